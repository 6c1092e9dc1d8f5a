"""A local double of Stripe's API, for the paid service the gateway cannot call in tests.

It speaks Stripe's wire format as documented (https://docs.stripe.com/api): form-encoded request
bodies with bracketed keys (``line_items[0][price_data][currency]=usd``), ``Authorization:
Bearer sk_…``, JSON objects with ``id`` and ``object``, and errors as ``{"error": {"type",
"message", "param"}}``. Only what ``/v1/billing/manage`` uses: Checkout sessions and billing-portal
sessions. Served on a free loopback port from a thread of its own; every request is recorded.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SECRET_KEY = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"


def _error(
    status: int, message: str, param: str | None = None, kind: str = "invalid_request_error"
) -> web.Response:
    return web.json_response({"error": {"type": kind, "message": message, "param": param}}, status=status)


@dataclass
class FakeStripe:
    url: str = ""
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def app(self) -> web.Application:
        routes = web.RouteTableDef()

        @web.middleware
        async def auth(request: web.Request, handler: Any) -> web.StreamResponse:
            if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                return _error(401, "Invalid API Key provided.", kind="invalid_request_error")
            form = dict(await request.post())
            self.requests.append((request.method, request.path, {k: str(v) for k, v in form.items()}))
            return await handler(request)

        @routes.post("/v1/checkout/sessions")
        async def checkout(request: web.Request) -> web.Response:
            form = self.requests[-1][2]
            for required in ("mode", "success_url", "line_items[0][price_data][unit_amount]"):
                if required not in form:
                    return _error(400, f"Missing required param: {required}.", required)
            session_id = "cs_test_" + secrets.token_hex(12)
            amount = int(form["line_items[0][price_data][unit_amount]"]) * int(
                form["line_items[0][quantity]"]
            )
            body = {
                "id": session_id,
                "object": "checkout.session",
                "mode": form["mode"],
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "amount_total": amount,
                "currency": form.get("line_items[0][price_data][currency]"),
                "client_reference_id": form.get("client_reference_id"),
                "customer": form.get("customer"),
                "customer_email": form.get("customer_email"),
                "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
                "payment_status": "unpaid",
                "status": "open",
            }
            self.sessions[session_id] = body
            return web.json_response(body)

        @routes.post("/v1/billing_portal/sessions")
        async def portal(request: web.Request) -> web.Response:
            form = self.requests[-1][2]
            if "customer" not in form:
                return _error(400, "Missing required param: customer.", "customer")
            session_id = "bps_" + secrets.token_hex(12)
            return web.json_response(
                {
                    "id": session_id,
                    "object": "billing_portal.session",
                    "customer": form["customer"],
                    "return_url": form.get("return_url"),
                    "url": f"https://billing.stripe.com/p/session/test_{session_id}",
                }
            )

        app = web.Application(middlewares=[auth])
        app.add_routes(routes)
        return app


@contextmanager
def running_fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.app())

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        fake.url = f"http://127.0.0.1:{port}"

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def completed_event(
    session: dict[str, Any], *, customer: str = "cus_test_1", event_id: str | None = None
) -> dict[str, Any]:
    """The ``checkout.session.completed`` event Stripe sends when that session was paid."""
    paid = dict(session, status="complete", payment_status="paid", customer=customer)
    return {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": 1_764_700_000,
        "type": "checkout.session.completed",
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": paid},
    }
