"""Every wrong input answers the spec's envelope with the right status, code and field name."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.envelope import ENVELOPE_KEYS, assert_envelope
from tests.support.gateway_process import GatewayProcess, running_gateway

# A local model with a small window, as an operator would add an Ollama model.
TINY = {"id": "tiny-local", "provider": "ollama", "context_window": 64, "max_output": 32}


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    data_dir = tmp_path_factory.mktemp("gw-errors")
    models = data_dir / "models.json"
    models.write_text(json.dumps({"models": [TINY]}))
    with running_gateway(data_dir, extra_env={"MG_MODELS_FILE": str(models)}) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def client(gw: GatewayProcess) -> Iterator[httpx.Client]:
    with gw.client(gw.create_key(tier="studio")["api_key"]) as c:
        yield c


def _base() -> dict[str, Any]:
    return {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}


def _with(**fields: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda body: {**body, **fields}


def _without(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda body: {k: v for k, v in body.items() if k != name}


def _message(**fields: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda body: {**body, "messages": [fields]}


TOOL = {"type": "function", "function": {"name": "open_shop", "parameters": {"type": "object"}}}
NAMED = {"type": "function", "function": {"name": "no_such_tool"}}
# (case id, change to a valid body, status, code, what the message must name)
CASES: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]], int, str, str]] = [
    ("model-missing", _without("model"), 400, "INVALID_REQUEST", "'model'"),
    ("model-number", _with(model=5), 400, "INVALID_REQUEST", "'model'"),
    ("model-empty", _with(model=" "), 400, "INVALID_REQUEST", "'model'"),
    ("model-unknown", _with(model="gpt-nonexistent"), 400, "MODEL_NOT_FOUND", "gpt-nonexistent"),
    ("messages-missing", _without("messages"), 400, "INVALID_REQUEST", "'messages'"),
    ("messages-string", _with(messages="hi"), 400, "INVALID_REQUEST", "'messages'"),
    ("messages-empty", _with(messages=[]), 400, "INVALID_REQUEST", "'messages'"),
    ("message-not-object", _with(messages=["hi"]), 400, "INVALID_REQUEST", "'messages[0]'"),
    ("role-bad", _message(role="wizard", content="hi"), 400, "INVALID_ROLE", "'messages[0].role'"),
    ("role-number", _message(role=3, content="hi"), 400, "INVALID_ROLE", "'messages[0].role'"),
    ("role-missing", _message(content="hi"), 400, "INVALID_REQUEST", "'messages[0].role'"),
    ("content-missing", _message(role="user"), 400, "INVALID_REQUEST", "'messages[0].content'"),
    ("content-number", _message(role="user", content=5), 400, "INVALID_REQUEST", "'messages[0].content'"),
    (
        "tool-without-id",
        _with(messages=[{"role": "user", "content": "hi"}, {"role": "tool", "content": "ok"}]),
        400,
        "INVALID_REQUEST",
        "'messages[1].tool_call_id'",
    ),
    *[
        (f"max_tokens-{v!r}", _with(max_tokens=v), 400, "INVALID_MAX_TOKENS", "'max_tokens'")
        for v in (0, 128001, "10", 1.5, True, -1)
    ],
    (
        "max_completion_tokens-0",
        _with(max_completion_tokens=0),
        400,
        "INVALID_MAX_TOKENS",
        "'max_completion_tokens'",
    ),
    *[
        (f"temperature-{v!r}", _with(temperature=v), 400, "INVALID_REQUEST", "'temperature'")
        for v in (-1, 3, "hot", True)
    ],
    *[(f"top_p-{v!r}", _with(top_p=v), 400, "INVALID_REQUEST", "'top_p'") for v in (-0.1, 1.5, "all")],
    ("stream-yes", _with(stream="yes"), 400, "INVALID_REQUEST", "'stream'"),
    ("stream_options-string", _with(stream_options="usage"), 400, "INVALID_REQUEST", "'stream_options'"),
    (
        "stream_options-usage-string",
        _with(stream=True, stream_options={"include_usage": "yes"}),
        400,
        "INVALID_REQUEST",
        "'stream_options.include_usage'",
    ),
    *[(f"stop-{v!r}", _with(stop=v), 400, "INVALID_REQUEST", "'stop'") for v in (5, ["a"] * 5, [1])],
    *[(f"seed-{v!r}", _with(seed=v), 400, "INVALID_REQUEST", "'seed'") for v in ("7", 1.5, True)],
    ("tools-string", _with(tools="open_shop"), 400, "INVALID_REQUEST", "'tools'"),
    ("tools-item-number", _with(tools=[5]), 400, "INVALID_REQUEST", "'tools[0]'"),
    ("tools-no-function", _with(tools=[{"type": "function"}]), 400, "INVALID_REQUEST", "'tools[0].function'"),
    (
        "tools-no-name",
        _with(tools=[{"type": "function", "function": {"parameters": {}}}]),
        400,
        "INVALID_REQUEST",
        "'tools[0].function.name'",
    ),
    (
        "tools-bad-schema",
        _with(tools=[{"type": "function", "function": {"name": "x", "parameters": {"type": "nonsense"}}}]),
        400,
        "INVALID_REQUEST",
        "'tools[0].function.parameters'",
    ),
    ("tools-repeated", _with(tools=[TOOL, TOOL]), 400, "INVALID_REQUEST", "'tools[1].function.name'"),
    ("tool_choice-unknown", _with(tools=[TOOL], tool_choice=NAMED), 400, "INVALID_REQUEST", "'tool_choice'"),
    (
        "tool_choice-word",
        _with(tools=[TOOL], tool_choice="sometimes"),
        400,
        "INVALID_REQUEST",
        "'tool_choice'",
    ),
    ("tool_choice-required-no-tools", _with(tool_choice="required"), 400, "INVALID_REQUEST", "'tool_choice'"),
    ("response_format-string", _with(response_format="json"), 400, "INVALID_REQUEST", "'response_format'"),
    (
        "response_format-type",
        _with(response_format={"type": "yaml"}),
        400,
        "INVALID_REQUEST",
        "'response_format.type'",
    ),
    (
        "response_format-no-json_schema",
        _with(response_format={"type": "json_schema"}),
        400,
        "INVALID_REQUEST",
        "'response_format.json_schema'",
    ),
    (
        "response_format-no-schema",
        _with(response_format={"type": "json_schema", "json_schema": {"name": "loot"}}),
        400,
        "INVALID_REQUEST",
        "'response_format.json_schema.schema'",
    ),
    (
        "response_format-bad-schema",
        _with(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": 5}}}),
        400,
        "INVALID_REQUEST",
        "'response_format.json_schema.schema'",
    ),
    ("npc_id-number", _with(npc_id=5), 400, "INVALID_REQUEST", "'npc_id'"),
    ("player_id-array", _with(player_id=["p1"]), 400, "INVALID_REQUEST", "'player_id'"),
    ("npc_template-object", _with(npc_template={}), 400, "INVALID_REQUEST", "'npc_template'"),
    ("response_style-number", _with(response_style=3), 400, "INVALID_REQUEST", "'response_style'"),
    ("response_style-unknown", _with(response_style="shouty"), 400, "INVALID_REQUEST", "'response_style'"),
    ("allow_fallback-string", _with(allow_fallback="yes"), 400, "INVALID_REQUEST", "'allow_fallback'"),
    (
        "parallel_tool_calls-string",
        _with(parallel_tool_calls="no"),
        400,
        "INVALID_REQUEST",
        "'parallel_tool_calls'",
    ),
    ("user-number", _with(user=5), 400, "INVALID_REQUEST", "'user'"),
    (
        "context-overflow",
        _with(model="tiny-local", messages=[{"role": "user", "content": "word " * 80}]),
        400,
        "CONTEXT_OVERFLOW",
        "tiny-local",
    ),
    (
        "context-overflow-with-max_tokens",
        _with(model="tiny-local", messages=[{"role": "user", "content": "word " * 40}], max_tokens=30),
        400,
        "CONTEXT_OVERFLOW",
        "max_tokens",
    ),
]


@pytest.mark.parametrize(
    ("change", "status", "code", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_every_wrong_field_is_named(
    client: httpx.Client,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    status: int,
    code: str,
    names: str,
) -> None:
    response = client.post("/v1/chat/completions", json=change(_base()))
    error = assert_envelope(response, status, code)
    assert names in error["message"]
    assert error["is_retryable"] is False and error["retry_after"] is None
    assert "X-RateLimit-Remaining" in response.headers, "an authenticated answer reports its budget"


def test_the_valid_base_body_and_the_tiny_model_work(client: httpx.Client) -> None:
    # Guards the table above: each case fails because of its one change, not the base.
    assert client.post("/v1/chat/completions", json=_base()).status_code == 200
    tiny = client.post("/v1/chat/completions", json={**_base(), "model": "tiny-local"})
    assert tiny.status_code == 200 and tiny.json()["model"] == "tiny-local"


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (b"{bad json", "not valid JSON"),
        (b"", "empty"),
        (b"[1, 2]", "JSON object"),
        (b'"hello"', "JSON object"),
        (b'{"model": "\xff"}', "UTF-8"),
    ],
    ids=["malformed", "empty", "array", "string", "not-utf8"],
)
def test_malformed_bodies(client: httpx.Client, raw: bytes, names: str) -> None:
    response = client.post("/v1/chat/completions", content=raw, headers={"Content-Type": "application/json"})
    assert names in assert_envelope(response, 400, "INVALID_REQUEST")["message"]


def test_tier_restricted(gw: GatewayProcess) -> None:
    with gw.client(gw.create_key(tier="free")["api_key"]) as free:
        response = free.post("/v1/chat/completions", json={**_base(), "model": "claude-sonnet-4-6"})
    error = assert_envelope(response, 403, "TIER_RESTRICTED")
    assert "claude-sonnet-4-6" in error["message"] and "Starter" in error["message"]


def test_unknown_route_and_wrong_method(client: httpx.Client) -> None:
    assert_envelope(client.get("/v1/no-such-thing"), 404, "NOT_FOUND")
    assert_envelope(client.get("/"), 404, "NOT_FOUND")
    wrong = client.delete("/v1/chat/completions")
    assert_envelope(wrong, 405, "METHOD_NOT_ALLOWED")
    assert wrong.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    ("method", "path", "meant"),
    [
        ("POST", "/chat/completions", "/v1/chat/completions"),
        ("POST", "/embeddings", "/v1/embeddings"),
        ("GET", "/models/deepseek-chat", "/v1/models/deepseek-chat"),
        ("GET", "/chat/completions", "/v1/chat/completions"),  # the wrong method, too
        ("POST", "/v1/v1/chat/completions", "/v1/chat/completions"),
    ],
)
def test_a_path_beside_a_v1_route_names_the_right_url(
    gw: GatewayProcess, client: httpx.Client, method: str, path: str, meant: str
) -> None:
    error = assert_envelope(client.request(method, path, json=_base()), 404, "NOT_FOUND")
    assert f"No route for {method} {path}." == error["message"]
    assert f"use {gw.url}{meant}." in error["remediation"]
    assert f"base URL is {gw.url}/v1." in error["remediation"]


def test_a_path_beside_nothing_gets_no_v1_advice(client: httpx.Client) -> None:
    for path in ("/no-such-thing", "/v1/no-such-thing", "/v1/v1/no-such-thing"):
        assert "/v1" not in assert_envelope(client.get(path), 404, "NOT_FOUND")["remediation"]


def test_declared_oversize_body_is_refused_unread(client: httpx.Client) -> None:
    body = json.dumps({**_base(), "messages": [{"role": "user", "content": "x" * 70_000}]})
    response = client.post("/v1/chat/completions", content=body, headers={"Content-Type": "application/json"})
    assert "64 KB" in assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")["message"]
    assert response.headers["Connection"] == "close"
    just_under = json.dumps({**_base(), "messages": [{"role": "user", "content": "x" * 60_000}]})
    assert client.post("/v1/chat/completions", content=just_under).status_code == 200


def test_endless_chunked_body_gets_413_while_still_sending(gw: GatewayProcess, client: httpx.Client) -> None:
    """No Content-Length and a body that never ends: the answer comes while the client sends."""
    where = urlsplit(gw.url)
    auth = client.headers["Authorization"]

    async def run() -> tuple[bytes, int, bool]:
        reader, writer = await asyncio.open_connection(where.hostname, where.port)
        writer.write(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
            + f"Authorization: {auth}\r\n".encode()
            + b"Transfer-Encoding: chunked\r\n\r\n"
        )
        sent = 0
        piece = b" " * 4096
        chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"

        async def pump() -> None:
            nonlocal sent
            try:
                while True:  # never the terminating zero-length chunk
                    writer.write(chunk)
                    await writer.drain()
                    sent += len(piece)
            except ConnectionError:
                pass

        sending = asyncio.create_task(pump())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        still_sending = not sending.done()
        length = int(
            next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1]
        )
        body = await reader.readexactly(length)
        sending.cancel()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()  # else the gateway lingers on this connection at shutdown
        return head + body, sent, still_sending

    answer, sent, still_sending = asyncio.run(run())
    assert answer.startswith(b"HTTP/1.1 413")
    assert still_sending, "the answer came before the client stopped sending"
    assert sent >= 64 * 1024
    error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
    assert set(error) == ENVELOPE_KEYS and error["code"] == "PAYLOAD_TOO_LARGE"


def test_request_id_is_echoed_or_made(client: httpx.Client) -> None:
    mine = client.get("/v1/whoami", headers={"X-Request-Id": "game-client:42.a"})
    assert mine.headers["X-Request-Id"] == "game-client:42.a"
    unsafe = client.get("/v1/whoami", headers={"X-Request-Id": "bad id <script>"})
    assert unsafe.headers["X-Request-Id"].startswith("req_")
    too_long = client.get("/v1/whoami", headers={"X-Request-Id": "x" * 65})
    assert too_long.headers["X-Request-Id"].startswith("req_")
    assert client.get("/v1/nope").headers["X-Request-Id"].startswith("req_")


def test_models_file_must_be_valid(tmp_path: Path) -> None:
    bad = tmp_path / "models.json"
    bad.write_text('{"models": [{"id": "x"}]}')
    with (
        pytest.raises(RuntimeError, match="lacks provider, context_window"),
        running_gateway(tmp_path / "d", extra_env={"MG_MODELS_FILE": str(bad)}),
    ):
        pass
