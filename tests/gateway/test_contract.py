"""The error contract on every registered route, and what an unexpected failure looks like.

These run the app in-process (aiohttp's test server) so that they can walk its router and
break its services on purpose.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from local_gateway.api.appkeys import SERVICES
from local_gateway.app import create_app
from local_gateway.settings import Settings
from mg.errors import ERRORS_BY_CODE, from_envelope
from tests.support.envelope import ENVELOPE_KEYS

SECRET = "sk-upstream-SECRET-0042"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _shape(path: str) -> str:
    """A path with its parameters blanked: ``/v1/threads/{thread_id}`` and ``/…/:id`` alike."""
    return re.sub(r"\{[^}]+\}|:[A-Za-z_]+", "{}", path)


SPEC = json.loads((Path(__file__).resolve().parents[1] / "data" / "api_spec.json").read_text())


# Named by the reference's Pricing Tiers section without an auth marker: list prices and the
# tier table are public, like the model catalog (the calculator applies a discount when authed).
# The API's own description is public too, like any OpenAPI document a client generator reads.
PUBLIC_PRICING = {
    ("GET", "/v1/tiers"),
    ("GET", "/v1/pricing"),
    ("GET", "/v1/cost-calculator"),
    ("GET", "/openapi.json"),
}

# What a signed-out browser reads: the portal's sign-in page and form; signing out needs no
# session either (it only clears the cookies).
PUBLIC_PORTAL = {
    ("GET", "/portal"),
    ("POST", "/portal/sign-in"),
    ("POST", "/portal/sign-out"),
    ("POST", "/v1/auth/logout"),
}


# Called by a third party that proves itself with its own signature instead of a key: Stripe's
# webhook. This app has no Stripe configured, so it answers that billing is not configured.
SIGNED_BY_OTHERS = {("POST", "/v1/billing/stripe/webhook"): (503, "SERVICE_UNAVAILABLE")}


def public_endpoints() -> set[tuple[str, str]]:
    """The endpoints the API reference marks Public (no key needed)."""
    marked = {(r["method"], _shape(r["path"])) for r in SPEC["routes"] if r["auth"] == "public"}
    return marked | PUBLIC_PRICING | PUBLIC_PORTAL


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    settings = Settings(data_dir=tmp_path, bootstrap=False, save_bootstrap_key=False)
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


def _routes(app: web.Application) -> list[tuple[str, set[str]]]:
    out = []
    for resource in app.router.resources():
        methods = {route.method for route in resource} - {"HEAD"}
        out.append((resource.canonical, methods))
    return out


async def _envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, await response.text()
    body = await response.json()
    assert set(body) == {"error"} and set(body["error"]) == ENVELOPE_KEYS
    assert body["error"]["code"] == code
    assert response.headers["X-Request-Id"]
    return body["error"]


async def test_every_route_answers_the_envelope(client: TestClient[Any, Any]) -> None:
    public = public_endpoints()
    assert ("GET", "/v1/models/catalog") in public, "the spec's Public markers were not found"
    routes = _routes(client.app)
    assert len(routes) >= 6
    for path, methods in routes:
        url = _shape(path).replace("{}", "x_unknown")
        wrong = next(m for m in METHODS if m not in methods)
        response = await client.request(wrong, url)
        await _envelope(response, 405, "METHOD_NOT_ALLOWED")
        assert set(response.headers["Allow"].split(", ")) >= methods
        for method in methods:
            if (method, _shape(path)) in public:
                continue
            response = await client.request(method, url)
            status, code = SIGNED_BY_OTHERS.get((method, _shape(path)), (401, "INVALID_API_KEY"))
            await _envelope(response, status, code)


async def _key(client: TestClient[Any, Any]) -> str:
    new = await client.app[SERVICES].keys.create_key("dev@example.com", tier="studio")
    return new.api_key


async def test_unexpected_failure_is_a_bare_500(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"SELECT key_hash FROM api_keys WHERE provider_key = '{SECRET}'")

    monkeypatch.setattr(client.app[SERVICES].chat, "create", broken)
    headers = {"Authorization": f"Bearer {await _key(client)}", "X-Request-Id": "req-under-test"}
    body = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}
    with caplog.at_level(logging.ERROR, logger="mg.gateway.error"):
        response = await client.post("/v1/chat/completions", json=body, headers=headers)
    error = await _envelope(response, 500, "INTERNAL_ERROR")
    text = await response.text()
    assert SECRET not in text and "SELECT" not in text and "Traceback" not in text
    assert "X-Request-Id" in error["remediation"]
    logged = [r for r in caplog.records if r.name == "mg.gateway.error"]
    assert logged and "req-under-test" in logged[0].getMessage() and logged[0].exc_info


async def test_unexpected_failure_mid_stream_ends_the_stream(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = client.app[SERVICES].providers.sandbox
    real_stream = sandbox.stream

    async def breaks_midway(request: Any) -> AsyncIterator[Any]:
        async for n, event in _enumerate(real_stream(request)):
            if n == 2:
                raise RuntimeError(f"upstream said {SECRET}")
            yield event

    monkeypatch.setattr(sandbox, "stream", breaks_midway)
    headers = {"Authorization": f"Bearer {await _key(client)}", "X-Request-Id": "req-stream-test"}
    body = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with caplog.at_level(logging.ERROR, logger="mg.gateway.error"):
        response = await client.post("/v1/chat/completions", json=body, headers=headers)
        text = await response.text()
    assert response.status == 200  # the stream had begun
    events = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    assert '"INTERNAL_ERROR"' in events[-1] and SECRET not in text
    assert any("req-stream-test" in r.getMessage() for r in caplog.records)


async def _enumerate(items: AsyncIterator[Any]) -> AsyncIterator[tuple[int, Any]]:
    n = 0
    async for item in items:
        yield n, item
        n += 1


def test_error_classes_match_the_spec_table() -> None:
    table = SPEC["errors"]
    assert len(table) >= 15
    for row in table:
        status, code = row["status"], row["code"]
        cls = ERRORS_BY_CODE[code]
        error = cls("x")
        assert (error.status, error.is_retryable) == (status, row["retryable"]), code
        envelope = error.to_envelope()["error"]
        assert set(envelope) == ENVELOPE_KEYS and envelope["remediation"], code
        # The SDK reads the same class back from the wire.
        assert type(from_envelope(int(status), {"error": envelope})) is cls
