"""Billing through Stripe: /v1/billing/manage against a local double of Stripe's API, and the
webhook fed with events signed the way Stripe signs them (the stripe library's own scheme)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from tests.support.fake_stripe import SECRET_KEY, FakeStripe, completed_event, running_fake_stripe
from tests.support.gateway_process import (
    GatewayProcess,
    create_pg_database,
    drop_pg_database,
    running_gateway,
)

WEBHOOK_SECRET = "whsec_" + "test0123456789abcdef0123456789ab"
WEBHOOK = "/v1/billing/stripe/webhook"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, FakeStripe]]:
    """A gateway with Stripe configured, on SQLite or on its own PostgreSQL database."""
    database_url = create_pg_database() if request.param == "postgres" else None
    try:
        with running_fake_stripe() as fake:
            env = {
                "MG_STRIPE_SECRET_KEY": SECRET_KEY,
                "MG_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "MG_STRIPE_API_BASE": fake.url,
            }
            data_dir = Path(tmp_path_factory.mktemp("gw-stripe"))
            with running_gateway(data_dir, database_url, extra_env=env) as gateway:
                yield gateway, fake
    finally:
        if database_url:
            drop_pg_database(database_url)


def signed(event: dict, secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return payload.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


def balance(gateway: GatewayProcess, key: str) -> float:
    with gateway.client(key) as http:
        return float(http.get("/v1/credits/balance").json()["balance_usd"])


def test_a_local_gateway_says_billing_is_not_configured(sqlite_gateway: GatewayProcess) -> None:
    key = sqlite_gateway.create_key()["api_key"]
    with sqlite_gateway.client(key) as http:
        answer = http.get("/v1/billing/manage", params={"credits_usd": "20"})
        webhook = http.post(WEBHOOK, content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"})
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE" and error["is_retryable"] is False
    assert "not configured" in error["message"] and "MG_STRIPE_SECRET_KEY" in error["remediation"]
    assert "url" not in answer.json()
    assert webhook.status_code == 503 and "MG_STRIPE_WEBHOOK_SECRET" in webhook.json()["error"]["message"]


def test_buying_credit_books_one_purchase_per_event(stack: tuple[GatewayProcess, FakeStripe]) -> None:
    gateway, fake = stack
    account = gateway.create_key(live=True)
    with gateway.client(account["api_key"]) as http:
        answer = http.get("/v1/billing/manage", params={"credits_usd": "20"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["object"] == "checkout_session" and body["url"].startswith("https://checkout.stripe.com/")
    method, path, form = fake.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert form["mode"] == "payment" and form["line_items[0][price_data][unit_amount]"] == "2000"
    assert (
        form["client_reference_id"] == account["developer_id"] and form["customer_email"] == account["email"]
    )
    assert form["success_url"].endswith("/portal?checkout=success")

    before = balance(gateway, account["api_key"])
    event = completed_event(fake.sessions[body["id"]])
    payload, headers = signed(event)
    with gateway.client() as http:
        first = http.post(WEBHOOK, content=payload, headers=headers)
        again = http.post(WEBHOOK, content=payload, headers=signed(event)[1])  # Stripe retries
    assert first.status_code == 200 and first.json()["booked"] is True and first.json()["amount_usd"] == 20.0
    assert again.status_code == 200 and again.json()["booked"] is False
    # Another event for the same session (as with a delayed payment method) books nothing more.
    late = dict(completed_event(fake.sessions[body["id"]]), type="checkout.session.async_payment_succeeded")
    late_payload, late_headers = signed(late)
    with gateway.client() as http:
        other = http.post(WEBHOOK, content=late_payload, headers=late_headers)
    assert other.status_code == 200 and other.json()["booked"] is False
    assert balance(gateway, account["api_key"]) == pytest.approx(before + 20.0, abs=1e-9)
    rows = gateway.query(
        "SELECT amount_micros, reason FROM credit_ledger WHERE developer_id = $1 AND reason = 'purchase'",
        account["developer_id"],
    )
    assert [(r["amount_micros"], r["reason"]) for r in rows] == [(20_000_000, "purchase")]

    with gateway.client(account["api_key"]) as http:  # now a customer: the portal
        portal = http.get("/v1/billing/manage")
    assert portal.status_code == 200 and portal.json()["object"] == "billing_portal_session"
    assert (
        fake.requests[-1][1] == "/v1/billing_portal/sessions"
        and fake.requests[-1][2]["customer"] == "cus_test_1"
    )


def test_a_delayed_payment_is_booked_when_it_succeeds(stack: tuple[GatewayProcess, FakeStripe]) -> None:
    gateway, fake = stack
    account = gateway.create_key()
    with gateway.client(account["api_key"]) as http:
        body = http.get("/v1/billing/manage", params={"credits_usd": "10"}).json()
    session = fake.sessions[body["id"]]
    unpaid = completed_event(session)
    unpaid["data"]["object"]["payment_status"] = "unpaid"  # e.g. a bank debit still pending
    succeeded = dict(completed_event(session), type="checkout.session.async_payment_succeeded")
    before = balance(gateway, account["api_key"])
    with gateway.client() as http:
        unpaid_payload, unpaid_headers = signed(unpaid)
        pending = http.post(WEBHOOK, content=unpaid_payload, headers=unpaid_headers).json()
        assert pending["booked"] is False and balance(gateway, account["api_key"]) == before
        payload, headers = signed(succeeded)
        paid = http.post(WEBHOOK, content=payload, headers=headers).json()
    assert paid["booked"] is True and paid["amount_usd"] == 10.0
    assert balance(gateway, account["api_key"]) == pytest.approx(before + 10.0, abs=1e-9)


def test_a_bought_tier_moves_the_account(stack: tuple[GatewayProcess, FakeStripe]) -> None:
    gateway, fake = stack
    account = gateway.create_key(tier="starter")
    with gateway.client(account["api_key"]) as http:
        body = http.get("/v1/billing/manage", params={"tier": "pro"}).json()
        refused = http.get("/v1/billing/manage", params={"tier": "nonsense"})
    assert (
        refused.status_code == 400 and "'tier' must be one you can buy" in refused.json()["error"]["message"]
    )
    form = next(f for _, p, f in reversed(fake.requests) if f.get("metadata[tier]") == "pro")
    assert (
        form["mode"] == "subscription" and form["line_items[0][price_data][recurring][interval]"] == "month"
    )
    payload, headers = signed(completed_event(fake.sessions[body["id"]], customer="cus_test_2"))
    with gateway.client() as http:
        booked = http.post(WEBHOOK, content=payload, headers=headers).json()
    assert booked["tier"] == "pro" and booked["amount_usd"] == 0
    with gateway.client(account["api_key"]) as http:
        assert http.get("/v1/keys/me").json()["tier"] == "pro"


def test_an_event_for_an_unknown_account_is_acknowledged_and_books_nothing(
    stack: tuple[GatewayProcess, FakeStripe],
) -> None:
    gateway, fake = stack
    account = gateway.create_key()
    with gateway.client(account["api_key"]) as http:
        body = http.get("/v1/billing/manage", params={"credits_usd": "5"}).json()
    event = completed_event(fake.sessions[body["id"]])
    event["data"]["object"]["metadata"]["developer_id"] = "dev_nobodyhere"
    payload, headers = signed(event)
    with gateway.client() as http:
        answer = http.post(WEBHOOK, content=payload, headers=headers)
    assert answer.status_code == 200 and answer.json()["booked"] is False  # Stripe stops retrying
    assert gateway.query("SELECT id FROM credit_ledger WHERE developer_id = $1", "dev_nobodyhere") == []


def test_unsigned_forged_or_stale_events_are_refused(stack: tuple[GatewayProcess, FakeStripe]) -> None:
    gateway, fake = stack
    account = gateway.create_key()
    with gateway.client(account["api_key"]) as http:
        body = http.get("/v1/billing/manage", params={"credits_usd": "5"}).json()
    event = completed_event(fake.sessions[body["id"]])
    payload, _ = signed(event)
    forged = signed(event, secret="whsec_someone_else")[1]
    stale = {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
        payload.decode(), WEBHOOK_SECRET, timestamp=1_600_000_000)}  # fmt: skip
    before = balance(gateway, account["api_key"])
    with gateway.client() as http:
        for headers in ({}, forged, stale):
            answer = http.post(WEBHOOK, content=payload, headers=headers)
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["code"] == "INVALID_REQUEST"
    assert balance(gateway, account["api_key"]) == before


def test_bad_credit_amounts_are_refused(stack: tuple[GatewayProcess, FakeStripe]) -> None:
    gateway, fake = stack
    account = gateway.create_key()
    seen = len(fake.requests)
    with gateway.client(account["api_key"]) as http:
        for value in ("2", "20.5", "lots", "1e9"):
            answer = http.get("/v1/billing/manage", params={"credits_usd": value})
            assert answer.status_code == 400 and "credits_usd" in answer.json()["error"]["message"], value
        nothing = http.get("/v1/billing/manage")
    assert nothing.status_code == 400 and "?credits_usd=" in nothing.json()["error"]["remediation"]
    assert len(fake.requests) == seen, "nothing reached Stripe"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_migration_builds_the_tables_the_models_describe(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from typing import Any

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from local_gateway.store import migrate, stripe_tables  # noqa: F401  (registers the tables)
    from local_gateway.store.db import Database
    from tests.support.gateway_process import run_async

    url = (
        f"sqlite:///{tmp_path / 'stripe.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    migrate.upgrade(url)

    def compare(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async def diff() -> list[Any]:
        db = Database(url)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await db.close()

    assert [d for d in run_async(diff()) if "stripe" in repr(d)] == []
