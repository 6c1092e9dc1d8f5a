"""`mg billing manage`: the Stripe page of a gateway with Stripe (a local double of Stripe's API),
and a clear one-line refusal from a gateway without it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from tests.support.fake_stripe import SECRET_KEY, FakeStripe, completed_event, running_fake_stripe
from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.mg_cli import run_mg

WEBHOOK_SECRET = "whsec_" + "cli0123456789abcdef0123456789abc"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, FakeStripe]]:
    with running_fake_stripe() as fake:
        env = {
            "MG_STRIPE_SECRET_KEY": SECRET_KEY,
            "MG_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "MG_STRIPE_API_BASE": fake.url,
        }
        with running_gateway(Path(tmp_path_factory.mktemp("gw-cli-stripe")), extra_env=env) as gateway:
            yield gateway, fake


def test_manage_prints_checkout_then_portal_urls(stack: tuple[GatewayProcess, FakeStripe]) -> None:
    gateway, fake = stack
    account = gateway.create_key()
    env = {"MG_BASE_URL": gateway.url, "MG_API_KEY": account["api_key"]}
    bought = run_mg("billing", "manage", "--credits", "20", **env)
    assert bought.code == 0, bought
    url = bought.out.strip()
    assert url.startswith("https://checkout.stripe.com/c/pay/cs_test_") and "Opened" not in bought.err
    assert fake.requests[-1][2]["line_items[0][price_data][unit_amount]"] == "2000"
    session = fake.sessions[url.rsplit("/", 1)[1]]
    payload = json.dumps(completed_event(session))
    headers = {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)}
    with gateway.client() as http:
        assert http.post("/v1/billing/stripe/webhook", content=payload, headers=headers).json()["booked"]
    assert run_mg("credits", "--json", **env).json()["balance_usd"] == pytest.approx(25.0)
    portal = run_mg("billing", "manage", "--json", **env)
    assert portal.code == 0 and portal.json()["object"] == "billing_portal_session"
    assert portal.json()["url"].startswith("https://billing.stripe.com/")
    tier = run_mg("billing", "manage", "--tier", "pro", "--no-open", **env)
    assert tier.code == 0 and fake.requests[-1][2]["mode"] == "subscription"
    both = run_mg("billing", "manage", "--tier", "pro", "--credits", "5", **env)
    assert both.code == 2 and "not both" in both.err


def test_a_gateway_without_stripe_says_so_in_one_line(sqlite_gateway: GatewayProcess) -> None:
    account = sqlite_gateway.create_key()
    refused = run_mg(
        "billing", "manage", "--credits", "20", MG_BASE_URL=sqlite_gateway.url, MG_API_KEY=account["api_key"]
    )
    assert refused.code == 1 and refused.out == ""
    first, *rest = refused.err.splitlines()
    assert first.startswith("error: Billing is not configured") and "Traceback" not in refused.err
    assert any("MG_STRIPE_SECRET_KEY" in line for line in rest) and "Retrying" not in refused.err
