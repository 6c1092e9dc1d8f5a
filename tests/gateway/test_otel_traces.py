"""MG_OTEL_ENDPOINT: a real gateway exports request and upstream spans over OTLP/HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from openai import OpenAI

from tests.gateway.conftest import gateway_with_fakes
from tests.support.fake_upstreams import Reply, Upstreams
from tests.support.gateway_process import GatewayProcess
from tests.support.otlp_receiver import OtlpReceiver, ReceivedSpan, otlp_receiver

SERVER, CLIENT = 2, 3  # Span.SpanKind in the OTLP protobuf
UNSET, ERROR = 0, 2  # Status.StatusCode
DOWN = Reply(status=503, body={"error": {"message": "upstream down", "type": "server_error"}})
HI = [{"role": "user", "content": "Sword?"}]


@pytest.fixture(scope="module")
def traced(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[GatewayProcess, Upstreams, OtlpReceiver]]:
    with otlp_receiver() as receiver:
        env = {"MG_OTEL_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        with gateway_with_fakes(tmp_path_factory.mktemp("gw-otel"), env) as (gw, upstreams):
            yield gw, upstreams, receiver


def _wait(receiver: OtlpReceiver, found: Callable[[list[ReceivedSpan]], bool]) -> list[ReceivedSpan]:
    deadline = time.monotonic() + 15
    while True:
        spans = receiver.snapshot()
        if found(spans) or time.monotonic() > deadline:
            return spans
        time.sleep(0.1)


def test_a_completion_is_one_request_span_with_its_upstream_call_inside(
    traced: tuple[GatewayProcess, Upstreams, OtlpReceiver],
) -> None:
    gw, upstreams, receiver = traced
    client = OpenAI(
        base_url=gw.base_url, api_key=gw.create_key(tier="free", live=True)["api_key"], max_retries=0
    )
    raw = client.chat.completions.with_raw_response.create(model="deepseek-chat", messages=HI)
    assert raw.parse().model == "deepseek-chat"
    request_id = raw.headers["x-request-id"]

    spans = _wait(receiver, lambda s: any(x.attributes.get("mg.request_id") == request_id for x in s))
    server = [s for s in spans if s.attributes.get("mg.request_id") == request_id]
    assert len(server) == 1
    request_span = server[0]
    assert request_span.name == "POST /v1/chat/completions" and request_span.kind == SERVER
    assert request_span.attributes["http.route"] == "/v1/chat/completions"
    assert request_span.attributes["http.response.status_code"] == 200
    assert request_span.attributes["mg.model"] == "deepseek-chat"
    assert request_span.resource["service.name"] == "mg-gateway"
    assert request_span.status_code == UNSET
    assert set(receiver.paths) == {"/v1/traces"}

    upstream = [s for s in spans if s.parent_span_id == request_span.span_id]
    assert [s.name for s in upstream] == ["upstream deepseek"]
    assert upstream[0].kind == CLIENT and upstream[0].trace_id == request_span.trace_id
    assert upstream[0].attributes == {"mg.provider": "deepseek", "mg.model": "deepseek-chat", "mg.attempt": 1}
    assert len(upstreams.fakes["deepseek"].calls("openai.chat")) == 1


def test_an_error_answer_is_a_span_with_its_status_and_code(
    traced: tuple[GatewayProcess, Upstreams, OtlpReceiver],
) -> None:
    gw, _, receiver = traced
    answer = httpx.get(gw.url + "/v1/threads/thr_nope", headers={"Authorization": "Bearer mg_test_wrong"})
    assert answer.status_code == 401
    request_id = answer.headers["X-Request-Id"]
    spans = _wait(receiver, lambda s: any(x.attributes.get("mg.request_id") == request_id for x in s))
    mine = [s for s in spans if s.attributes.get("mg.request_id") == request_id]
    assert len(mine) == 1
    assert mine[0].attributes["http.response.status_code"] == 401
    assert mine[0].attributes["http.route"] == "/v1/threads/{thread_id}"
    assert mine[0].attributes["mg.error_code"] == answer.json()["error"]["code"]
    assert mine[0].status_code == UNSET  # the client's mistake, not the gateway's error


def test_a_failed_upstream_is_an_error_span_and_the_5xx_answer_too(
    traced: tuple[GatewayProcess, Upstreams, OtlpReceiver],
) -> None:
    gw, upstreams, receiver = traced
    upstreams.reset()
    upstreams.fakes["deepseek"].fail("openai.chat", DOWN)
    key = gw.create_key(tier="free", live=True)["api_key"]
    with gw.client(key) as client:
        answer = client.post("/v1/chat/completions", json={"model": "deepseek-chat", "messages": HI})
    assert answer.status_code == 503
    request_id = answer.headers["X-Request-Id"]
    spans = _wait(receiver, lambda s: any(x.attributes.get("mg.request_id") == request_id for x in s))
    request_span = next(s for s in spans if s.attributes.get("mg.request_id") == request_id)
    assert request_span.status_code == ERROR
    upstream = [s for s in spans if s.parent_span_id == request_span.span_id]
    # MG_UPSTREAM_RETRIES defaults to 1: two attempts, each its own failed span.
    assert [s.attributes["mg.attempt"] for s in upstream] == [1, 2]
    assert all(s.status_code == ERROR and s.attributes["mg.error_code"] for s in upstream)
