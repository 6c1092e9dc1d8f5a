"""Stripe: Checkout and billing-portal sessions for ``GET /v1/billing/manage``, and the webhook
that books what was paid (API reference: Billing & Credits).

With ``MG_STRIPE_SECRET_KEY`` set, the official ``stripe`` library makes the sessions; without
it the gateway says billing is not configured (never a made-up URL). ``checkout.session.completed``
events, verified with ``MG_STRIPE_WEBHOOK_SECRET``, book a credit purchase (or move the account to
the tier it bought) exactly once per Stripe event id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_gateway.services.accounts.tiers import load_tiers, normalize_tier
from local_gateway.services.core.clock import Clock
from local_gateway.store import accounts, ledger
from local_gateway.store import stripe as stripe_store
from local_gateway.store.db import Database
from mg.errors import InvalidRequestError, ServiceUnavailableError

if TYPE_CHECKING:
    import stripe

MIN_CREDITS_USD = 5
MAX_CREDITS_USD = 10_000
CENT_MICROS = 10_000  # Stripe counts US dollars in cents; the ledger in micro-dollars
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


@dataclass(frozen=True)
class Booked:
    """What one Stripe event did: ``fresh`` is False for a redelivered event (nothing booked)."""

    event_id: str
    developer_id: str | None
    amount_micros: int
    tier: str | None
    fresh: bool


def not_configured(what: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"Billing is not configured on this gateway ({what} is not set).",
        remediation=(
            "Local gateways have no billing: credits come from `admin grant-credits`. A deployed "
            "gateway sets MG_STRIPE_SECRET_KEY and MG_STRIPE_WEBHOOK_SECRET."
        ),
        is_retryable=False,
    )


def credits_micros(raw: str | None) -> int | None:
    """``credits_usd`` of the query: whole dollars, 5–10000."""
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value != int(value) or not MIN_CREDITS_USD <= value <= MAX_CREDITS_USD:
        raise InvalidRequestError(
            f"'credits_usd' must be a whole number of dollars from {MIN_CREDITS_USD} to {MAX_CREDITS_USD}."
        )
    return int(value) * 1_000_000


class StripeBilling:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        secret_key: str | None,
        webhook_secret: str | None,
        api_base: str | None = None,
    ) -> None:
        self.db, self.clock = db, clock
        self.secret_key, self.webhook_secret, self.api_base = secret_key, webhook_secret, api_base
        self._client: stripe.StripeClient | None = None

    def client(self) -> stripe.StripeClient:
        if not self.secret_key:
            raise not_configured("MG_STRIPE_SECRET_KEY")
        if self._client is None:
            import stripe

            addresses: Any = {"api": self.api_base} if self.api_base else None
            self._client = stripe.StripeClient(
                self.secret_key,
                base_addresses=addresses,
                http_client=stripe.HTTPXClient(),
                max_network_retries=2,
            )
        return self._client

    async def manage_url(
        self, developer_id: str, email: str, tier: str | None, credit: int | None, return_url: str
    ) -> dict[str, Any]:
        """A Checkout session for ``tier`` or for ``credit`` micro-dollars of credit; with neither,
        the billing portal of the developer's Stripe customer."""
        product: dict[str, Any] = {}
        if tier is not None:
            product = _tier_checkout(developer_id, tier)
        elif credit is not None:
            product = _credit_checkout(developer_id, credit)
        client = self.client()
        async with self.db.read() as session:
            customer = await stripe_store.customer_of(session, developer_id)
        if tier is None and credit is None:
            if customer is None:
                raise InvalidRequestError(
                    "There is no Stripe customer for this account yet: nothing to manage.",
                    remediation="Buy credit (?credits_usd=20) or a tier (?tier=pro) first.",
                )
            portal = await client.v1.billing_portal.sessions.create_async(
                params={"customer": customer, "return_url": return_url}
            )
            return {"object": "billing_portal_session", "url": portal.url, "id": portal.id}
        params: dict[str, Any] = {
            "client_reference_id": developer_id,
            "success_url": return_url + "?checkout=success",
            "cancel_url": return_url + "?checkout=cancelled",
        }
        params |= {"customer": customer} if customer else {"customer_email": email}
        params |= product
        checkout = await client.v1.checkout.sessions.create_async(params=params)  # type: ignore[arg-type]
        return {"object": "checkout_session", "url": checkout.url, "id": checkout.id}

    def verify(self, payload: bytes, signature: str | None) -> stripe.Event:
        """The event, when ``Stripe-Signature`` proves Stripe sent it (recently); else a 400."""
        import stripe

        if not self.webhook_secret:
            raise not_configured("MG_STRIPE_WEBHOOK_SECRET")
        try:
            event: stripe.Event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise InvalidRequestError(
                f"The Stripe event is not signed with this gateway's secret: {exc}"
            ) from exc
        return event

    async def book(self, event: stripe.Event) -> Booked:
        """Book a paid checkout once (per event id and per checkout session: a session paid later,
        by a delayed payment method, arrives as ``async_payment_succeeded``); other events are
        acknowledged and ignored."""
        obj: dict[str, Any] = event.data.object.to_dict() if event.type.startswith("checkout.") else {}
        metadata = obj.get("metadata") or {}
        developer_id = metadata.get("developer_id") or obj.get("client_reference_id")
        paid = event.type in PAID_EVENTS and obj.get("payment_status") in ("paid", "no_payment_required")
        kind = metadata.get("mg_kind")
        amount = int(obj.get("amount_total") or 0) * CENT_MICROS if paid and kind == "credits" else 0
        tier = metadata.get("tier") if paid and kind == "tier" else None
        if not paid or not developer_id:
            return Booked(event.id, None, 0, None, False)
        now = self.clock.now()
        async with self.db.write() as session:
            if await accounts.get_developer(session, developer_id) is None:
                return Booked(event.id, None, 0, None, False)  # an account since deleted: nothing to book
            fresh = await stripe_store.claim_event(session, event.id, event.type, developer_id, amount, now)
            if fresh and obj.get("id"):
                fresh = await stripe_store.claim_event(
                    session, str(obj["id"]), "checkout.session", developer_id, amount, now
                )
            if fresh and amount > 0:
                await ledger.add_entry(
                    session, developer_id, amount, "purchase", now, request_id=f"stripe:{event.id}",
                    note=f"Stripe checkout {obj.get('id')}",
                )  # fmt: skip
            if fresh and obj.get("customer"):
                await stripe_store.remember_customer(session, developer_id, str(obj["customer"]), now)
        return Booked(event.id, developer_id, amount if fresh else 0, tier if fresh else None, fresh)


def _tier_checkout(developer_id: str, raw_tier: str) -> dict[str, Any]:
    tiers = load_tiers()
    try:
        tier = tiers.get(normalize_tier(raw_tier))
    except ValueError:
        tier = None
    buyable = [t.id for t in tiers.values() if t.price_monthly_usd]
    if tier is None or not tier.price_monthly_usd:
        raise InvalidRequestError(f"'tier' must be one you can buy: {', '.join(buyable)}.")
    line = {
        "quantity": 1,
        "price_data": {
            "currency": "usd",
            "unit_amount": round(tier.price_monthly_usd * 100),
            "recurring": {"interval": "month"},
            "product_data": {"name": f"mg {tier.name} tier"},
        },
    }
    metadata = {"developer_id": developer_id, "mg_kind": "tier", "tier": tier.id}
    return {"mode": "subscription", "line_items": [line], "metadata": metadata}


def _credit_checkout(developer_id: str, micros: int) -> dict[str, Any]:
    line = {
        "quantity": 1,
        "price_data": {
            "currency": "usd",
            "unit_amount": micros // CENT_MICROS,
            "product_data": {"name": f"mg credit, ${micros // 1_000_000}"},
        },
    }
    metadata = {"developer_id": developer_id, "mg_kind": "credits"}
    return {"mode": "payment", "line_items": [line], "metadata": metadata}
