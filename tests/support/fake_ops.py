"""STAND-IN for gateway endpoints that are not built yet: usage, credit balance and key health
(API reference: Usage, Billing & Credits, Key Management). Crash triage is tested against the
real gateway's crash routes.

A small aiohttp app on a free loopback port, in a thread of its own (so sync snapshot tests and
async pilot tests can both use it), with fixed data in the shapes the TUI reads. It lets the
populated keys screen be tested before the gateway serves these routes; the
notice path ("this gateway does not offer …") is tested against the real gateway. Delete it
when the gateway has the routes.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

USAGE = {
    "object": "usage",
    "days": 7,
    "daily": [
        {"date": f"2026-11-{18 + i:02d}", "requests": n, "tokens": n * 310, "cost_usd": round(n * 0.0004, 4)}
        for i, n in enumerate([12, 30, 22, 48, 41, 9, 27])
    ],
    "by_model": [
        {"model": "deepseek-chat", "requests": 121, "tokens": 37510, "cost_usd": 0.0521},
        {"model": "claude-haiku-4-5", "requests": 52, "tokens": 16120, "cost_usd": 0.0306},
        {"model": "monster-gpt", "requests": 16, "tokens": 4960, "cost_usd": 0.0049},
    ],
}
ME = {
    "key_id": "key_fake01",
    "key": "mg_test_Fake…0001",
    "environment": "test",
    "email": "dev@studio.example",
    "tier": "studio",
    "tier_name": "Studio",
    "credit_balance_usd": 5.0,
    "rate_limits": {"requests_per_minute": 1000, "daily_cap_usd": 200.0},
}
HEALTH = {"key_id": "key_fake01", "age_days": 97, "status": "aging", "last_used_at": "2026-11-24T21:12:00Z",
          "recommendation": "Consider rotating: this key is older than 90 days."}  # fmt: skip
CREDITS = {"balance_usd": 4.9124, "daily_usage_usd": 0.0108,
           "expirations": [{"amount_usd": 5.0, "expires_at": "2027-02-01T00:00:00Z"}]}  # fmt: skip


def _envelope(status: int, code: str, message: str, remediation: str = "") -> web.Response:
    body = {"error": {"type": code.lower(), "code": code, "message": message, "is_retryable": False,
                      "retry_after": None, "reset_at": None, "remediation": remediation}}  # fmt: skip
    return web.json_response(body, status=status)


class FakeOps:
    """The stand-in's state: what it answers; calls are recorded."""

    def __init__(self) -> None:
        self.usage: dict[str, Any] | None = copy.deepcopy(USAGE)  # None: a gateway without /v1/usage
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.url = ""

    def app(self) -> web.Application:
        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            body = await request.json() if request.can_read_body else {}
            self.calls.append((request.method, request.path, dict(request.query) | (body or {})))
            try:
                return await handler(request)
            except web.HTTPNotFound:
                return _envelope(404, "NOT_FOUND", f"No route for {request.method} {request.path}.")

        routes = web.RouteTableDef()

        @routes.get("/v1/usage")
        async def usage(request: web.Request) -> web.Response:
            if self.usage is None:
                return _envelope(404, "NOT_FOUND", f"No route for {request.method} {request.path}.")
            return web.json_response(self.usage)

        @routes.get("/v1/keys/me")
        async def me(request: web.Request) -> web.Response:
            return web.json_response(ME)

        @routes.get("/v1/keys/health")
        async def health(request: web.Request) -> web.Response:
            return web.json_response(HEALTH)

        @routes.get("/v1/credits/balance")
        async def credits(request: web.Request) -> web.Response:
            return web.json_response(CREDITS)

        app = web.Application(middlewares=[record])
        app.add_routes(routes)
        return app


@contextmanager
def running_fake_ops() -> Iterator[FakeOps]:
    """The stand-in, served on 127.0.0.1 at a free port until the block ends."""
    fake = FakeOps()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.app())
    ready = threading.Event()

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        fake.url = f"http://127.0.0.1:{port}"
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    ready.wait(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
