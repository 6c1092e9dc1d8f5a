"""The SDK on its own: envelopes into error classes, retries, streams (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from mg import AsyncMonsterClient, MonsterClient
from mg.errors import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    ProviderUnavailableError,
    RateLimitError,
    TierRestrictedError,
)

BASE = "http://gw.test"


def envelope(code: str, message: str = "nope", **extra: object) -> dict[str, object]:
    return {"error": {"type": code.lower(), "code": code, "message": message, "remediation": "do x", **extra}}


def completion(text: str = "Aye.") -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "deepseek-chat",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def sse(*events: object, done: bool = True) -> bytes:
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    return body + (b"data: [DONE]\n\n" if done else b"")


def chunk(content: str | None = None, finish: str | None = None, **extra: object) -> dict[str, object]:
    delta = {"content": content} if content is not None else {}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "deepseek-chat",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def client_for(
    handler: Callable[[httpx.Request], httpx.Response], **options: object
) -> tuple[MonsterClient, list[float]]:
    slept: list[float] = []
    client = MonsterClient("mg_test_abc", BASE, transport=httpx.MockTransport(handler), **options)
    client._sleep = slept.append
    return client, slept


def test_sends_key_and_extension_fields_and_types_the_answer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json=completion(), headers={"X-Monster-Provider": "sandbox", "X-Request-Id": "req_1"}
        )

    client, _ = client_for(handler)
    reply = client.chat.completions.create(
        model="deepseek-chat",
        messages=[{"role": "user", "content": "hi"}],
        npc_id="blacksmith_01",
        npc_template="merchant",
        player_id="p1",
        thread_id="thr_1",
    )
    assert reply.text == "Aye." and reply.usage.total_tokens == 5
    assert reply.info.provider == "sandbox" and reply.info.request_id == "req_1"
    request = seen[0]
    assert request.url == f"{BASE}/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer mg_test_abc"
    body = json.loads(request.content)
    assert body["npc_id"] == "blacksmith_01" and body["npc_template"] == "merchant"
    assert body["player_id"] == "p1" and body["thread_id"] == "thr_1"
    assert "temperature" not in body, "unset options are left out, not sent as null"


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "INVALID_API_KEY", AuthenticationError),
        (403, "TIER_RESTRICTED", TierRestrictedError),
        (404, "NOT_FOUND", NotFoundError),
    ],
)
def test_envelope_becomes_its_class(status: int, code: str, cls: type) -> None:
    client, slept = client_for(lambda r: httpx.Response(status, json=envelope(code, "bad thing")))
    with pytest.raises(cls) as err:
        client.whoami()
    assert err.value.code == code and err.value.message == "bad thing" and err.value.remediation == "do x"
    assert slept == [], "a non-retryable error is not retried"


def test_retryable_errors_back_off_exponentially_then_give_up() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json=envelope("PROVIDER_UNAVAILABLE", is_retryable=True))

    client, slept = client_for(handler, max_retries=3)
    with pytest.raises(ProviderUnavailableError) as err:
        client.models.list()
    assert len(calls) == 4 and len(slept) == 3
    assert err.value.attempts == 4
    # Equal jitter: each wait is within [backoff/2, backoff] of 0.5, 1, 2 s.
    for wait, backoff in zip(slept, [0.5, 1.0, 2.0], strict=True):
        assert backoff / 2 <= wait <= backoff


def test_retry_after_is_honoured_and_success_returns() -> None:
    answers = [
        httpx.Response(429, json=envelope("RATE_LIMITED", is_retryable=True), headers={"Retry-After": "7"}),
        httpx.Response(
            200, json={"object": "list", "data": [{"id": "deepseek-chat", "owned_by": "deepseek"}]}
        ),
    ]
    client, slept = client_for(lambda r: answers.pop(0))
    models = client.models.list()
    assert [m.id for m in models] == ["deepseek-chat"]
    assert len(slept) == 1 and 7 <= slept[0] <= 8


def test_retry_after_beyond_the_patience_limit_is_not_waited_for() -> None:
    client, slept = client_for(
        lambda r: httpx.Response(429, json=envelope("RATE_LIMITED", is_retryable=True, retry_after=3600))
    )
    with pytest.raises(RateLimitError) as err:
        client.whoami()
    assert slept == [] and err.value.retry_after == 3600


@pytest.mark.parametrize("options", [{"max_retries": 0}, {"retry": False}])
def test_retries_can_be_turned_off(options: dict[str, object]) -> None:
    client, slept = client_for(
        lambda r: httpx.Response(429, json=envelope("RATE_LIMITED", is_retryable=True)), **options
    )
    with pytest.raises(RateLimitError):
        client.whoami()
    assert slept == []


def test_max_retries_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MG_MAX_RETRIES", "1")
    client, slept = client_for(lambda r: httpx.Response(503, json=envelope("MAINTENANCE", is_retryable=True)))
    with pytest.raises(Exception, match="nope"):
        client.whoami()
    assert len(slept) == 1


def test_connection_failures_are_retried_then_raised_as_connection_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, slept = client_for(handler, max_retries=2)
    with pytest.raises(APIConnectionError, match=r"Cannot reach http://gw\.test"):
        client.health()
    assert len(slept) == 2


def test_on_retry_is_told_each_wait() -> None:
    told = []
    answers = [
        httpx.Response(503, json=envelope("MAINTENANCE", is_retryable=True)),
        httpx.Response(200, json={"status": "healthy"}),
    ]
    client, _ = client_for(lambda r: answers.pop(0), on_retry=told.append)
    assert client.health() == {"status": "healthy"}
    assert [(e.attempt, e.max_retries, e.error.code) for e in told] == [(1, 3, "MAINTENANCE")]


def test_stream_yields_typed_chunks_and_gathers_the_completion() -> None:
    body = sse(
        chunk("", role="assistant"),
        chunk("Aye, "),
        chunk("traveller."),
        chunk(finish="stop"),
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "deepseek-chat",
            "choices": [],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        },
    )
    client, _ = client_for(
        lambda r: httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"})
    )
    with client.chat.completions.create(
        model="deepseek-chat", messages=[{"role": "user", "content": "hi"}], stream=True
    ) as stream:
        pieces = [c.text for c in stream if c.text]
    assert pieces == ["Aye, ", "traveller."]
    whole = stream.completion
    assert whole.text == "Aye, traveller." and whole.choices[0].finish_reason == "stop"
    assert whole.usage.total_tokens == 5 and stream.done


def test_stream_error_event_raises_its_class() -> None:
    body = sse(chunk("Aye"), envelope("PROVIDER_UNAVAILABLE", is_retryable=True), done=False)
    client, _ = client_for(lambda r: httpx.Response(200, content=body))
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    with pytest.raises(ProviderUnavailableError):
        list(stream)
    assert stream.completion.text == "Aye", "what arrived before the error is kept"


def test_stream_cut_before_done_is_a_connection_error() -> None:
    client, _ = client_for(lambda r: httpx.Response(200, content=sse(chunk("Ay"), done=False)))
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    with pytest.raises(APIConnectionError, match=r"\[DONE\]"):
        list(stream)


def test_stream_errors_before_it_starts_are_retried_like_any_request() -> None:
    answers = [
        httpx.Response(503, json=envelope("PROVIDER_UNAVAILABLE", is_retryable=True)),
        httpx.Response(200, content=sse(chunk("ok"))),
    ]
    client, slept = client_for(lambda r: answers.pop(0))
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(stream.iter_text()) == "ok" and len(slept) == 1


def test_base_url_accepts_the_openai_style_v1_suffix() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"version": "x"})

    MonsterClient("k", "http://gw.test/v1/", transport=httpx.MockTransport(handler)).version()
    assert seen == ["http://gw.test/v1/version"]


def test_threads_and_templates_follow_the_spec_paths() -> None:
    seen: list[tuple[str, str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(
            (request.method, request.url.path, json.loads(request.content) if request.content else None)
        )
        return httpx.Response(200, json={"object": "list", "data": []})

    client, _ = client_for(handler)
    client.threads.set_state("thr_1", {"gold": 5})
    client.threads.set_actions("thr_1", [{"name": "offer_trade"}])
    client.threads.list(npc_id="blacksmith_01")
    client.npc.templates.get("merchant")
    assert seen == [
        ("POST", "/v1/threads/thr_1/state", {"gold": 5}),
        ("PUT", "/v1/threads/thr_1/actions", {"actions": [{"name": "offer_trade"}]}),
        ("GET", "/v1/threads", None),
        ("GET", "/v1/npc/templates/merchant", None),
    ]


def test_template_writes_follow_the_gateway_paths() -> None:
    seen: list[tuple[str, str, dict[str, str], object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, dict(request.url.params), body))
        return httpx.Response(200, json={"id": "bard", "version": 2})

    client, _ = client_for(handler)
    client.npc.templates.create({"id": "bard", "name": "Bard", "system_prompt": "Sing."}, dry_run=True)
    client.npc.templates.replace("bard", {"name": "Bard", "system_prompt": "Sing."}, version=1)
    client.npc.templates.update("bard", response_style="terse")
    client.npc.templates.delete("bard")
    assert seen == [
        (
            "POST",
            "/v1/npc/templates",
            {"dry_run": "true"},
            {"id": "bard", "name": "Bard", "system_prompt": "Sing."},
        ),
        ("PUT", "/v1/npc/templates/bard", {}, {"name": "Bard", "system_prompt": "Sing.", "version": 1}),
        ("PATCH", "/v1/npc/templates/bard", {}, {"response_style": "terse"}),
        ("DELETE", "/v1/npc/templates/bard", {}, None),
    ]


def test_thread_pages_state_modes_and_speak() -> None:
    seen: list[tuple[str, str, dict[str, str], object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, dict(request.url.params), body))
        if request.url.path.endswith("/speak"):
            if body and body.get("stream"):
                return httpx.Response(200, content=sse(chunk("Aye.", npc_id="mira"), chunk(None, "stop")))
            return httpx.Response(200, json=dict(completion("Aye."), npc_id="mira", thread_id="thr_1"))
        return httpx.Response(200, json={"object": "list", "data": [{"id": "x"}], "has_more": True})

    client, _ = client_for(handler)
    client.threads.set_state("thr_1", {"curse": None}, replace=True)
    page = client.threads.messages_page("thr_1", limit=2, order="desc", before="msg_9")
    assert page["has_more"] is True and page["data"] == [{"id": "x"}]
    assert client.threads.list_page(npc_id="smith")["has_more"] is True
    reply = client.threads.speak("thr_1", npc_id="mira", messages=[{"role": "user", "content": "hi"}])
    assert (reply.npc_id, reply.thread_id, reply.text) == ("mira", "thr_1", "Aye.")
    with client.threads.speak("thr_1", stream=True) as stream:
        assert stream.until_done().npc_id == "mira"
    assert seen[:4] == [
        ("POST", "/v1/threads/thr_1/state", {"mode": "replace"}, {"curse": None}),
        ("GET", "/v1/threads/thr_1/messages", {"limit": "2", "order": "desc", "before": "msg_9"}, None),
        ("GET", "/v1/threads", {"npc_id": "smith"}, None),
        (
            "POST",
            "/v1/threads/thr_1/speak",
            {},
            {"npc_id": "mira", "messages": [{"role": "user", "content": "hi"}]},
        ),
    ]
    assert seen[4][3] == {"stream": True, "stream_options": {"include_usage": True}}, (
        "no npc_id: the gateway picks"
    )


async def test_export_streams_in_pieces_on_both_clients() -> None:
    body = b'{"messages": [{"role": "user", "content": "hi"}]}\n' * 5000
    seen: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, stream=httpx.ByteStream(body))

    client, _ = client_for(handler)
    with client.threads.export_stream(format="jsonl", npc_id="smith", since=None) as stream:
        assert b"".join(stream) == body
    async with AsyncMonsterClient("k", BASE, transport=httpx.MockTransport(handler)) as twin:
        stream = await twin.threads.export_stream(format="json")
        assert b"".join([piece async for piece in stream]) == body
    assert seen == [{"format": "jsonl", "npc_id": "smith"}, {"format": "json"}]


async def test_async_twin_retries_and_streams() -> None:
    answers = [
        httpx.Response(429, json=envelope("RATE_LIMITED", is_retryable=True), headers={"Retry-After": "1"}),
        httpx.Response(200, content=sse(chunk("Aye, "), chunk("friend."))),
    ]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async with AsyncMonsterClient(
        "mg_test_abc", BASE, transport=httpx.MockTransport(lambda r: answers.pop(0))
    ) as client:
        client._sleep = fake_sleep
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        pieces = [c.text async for c in stream]
    assert pieces == ["Aye, ", "friend."] and len(slept) == 1 and 1 <= slept[0] <= 2


async def test_async_errors_are_the_same_classes() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(401, json=envelope("INVALID_API_KEY")))
    async with AsyncMonsterClient("bad", BASE, transport=transport) as client:
        with pytest.raises(AuthenticationError):
            await client.whoami()
