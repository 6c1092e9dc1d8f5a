"""Operations namespaces: usage, the request log, credits, billing, pricing and telemetry, for
both clients (debug symbols, crashes and debug sessions are in :mod:`mg._resources_debug`).

Same pattern as :mod:`mg._resources`: each method describes one request of the API reference
(Usage, Billing & Credits, Telemetry) and the client performs it; the async namespaces at the
end reuse the same functions (:func:`async_twin`).
"""

from __future__ import annotations

from typing import Any

from mg._client_base import drop_none
from mg._resource_base import (
    JSON,
    AsyncResource,
    JSONList,
    Resource,
    _seg,
    _text,
    async_twin,
)


class Usage(Resource):
    def get(self, *, days: int | None = None) -> JSON:
        """``GET /v1/usage``: daily aggregates, cost per model, projections (``days`` ≤ 90)."""
        return self._get("/v1/usage", days=days)

    def csv(self, *, days: int | None = None) -> str:
        """``GET /v1/usage?format=csv``: one RFC 4180 row per day and model."""
        params = drop_none({"days": days, "format": "csv"})
        return self._client._request("GET", "/v1/usage", params=params, cast=_text)


class Logs(Resource):
    def list(
        self,
        *,
        limit: int | None = None,
        before: str | None = None,
        model: str | None = None,
        status: int | str | None = None,
    ) -> JSONList:
        """``GET /v1/logs``: the per-request audit log (model, tokens, cost, latency), newest first."""
        return self._list("/v1/logs", limit=limit, before=before, model=model, status=status)

    def page(
        self,
        *,
        limit: int | None = None,
        before: str | None = None,
        model: str | None = None,
        status: int | str | None = None,
    ) -> JSON:
        """:meth:`list` with the page around it: ``data``, ``has_more``, ``next_cursor`` (pass it
        as ``before`` for the next page). ``status``: a code, ``"error"`` or ``"success"``."""
        return self._get("/v1/logs", limit=limit, before=before, model=model, status=status)

    def get(self, log_id: str) -> JSON:
        return self._get(f"/v1/logs/{_seg(log_id)}")


class Credits(Resource):
    def balance(self) -> JSON:
        """``GET /v1/credits/balance``: balance, daily usage and expiration dates."""
        return self._get("/v1/credits/balance")


_KEEP: Any = object()


class Billing(Resource):
    """``/v1/billing``: the account's own spend caps, and Stripe pages to pay with."""

    def manage(self, *, tier: str | None = None, credits_usd: int | None = None) -> JSON:
        """``GET /v1/billing/manage``: a Stripe Checkout ``url`` for ``tier`` or ``credits_usd`` of
        credit, else the account's billing portal; 503 where the gateway has no Stripe."""
        return self._get("/v1/billing/manage", tier=tier, credits_usd=credits_usd)

    def spend_limit(self) -> JSON:
        """``GET /v1/billing/spend-limit``: ``daily_cap_usd`` and ``monthly_cap_usd`` (null: none)."""
        return self._get("/v1/billing/spend-limit")

    def set_spend_limit(
        self, *, daily_cap_usd: float | None = _KEEP, monthly_cap_usd: float | None = _KEEP
    ) -> JSON:
        """``PUT /v1/billing/spend-limit``: set either cap; ``None`` removes it, leaving it out keeps it."""
        body = {
            name: value
            for name, value in (("daily_cap_usd", daily_cap_usd), ("monthly_cap_usd", monthly_cap_usd))
            if value is not _KEEP
        }
        return self._send("PUT", "/v1/billing/spend-limit", body)


class Pricing(Resource):
    """Tiers, list prices and cost estimates (public: they need no key)."""

    def tiers(self) -> JSONList:
        """``GET /v1/tiers``: each tier's price, discount, rate limit, daily cap and seats."""
        return self._list("/v1/tiers")

    def list(self) -> JSONList:
        """``GET /v1/pricing``: every model's list price per 1M tokens."""
        return self._list("/v1/pricing")

    def cost(
        self, model: str, *, input_tokens: int = 0, output_tokens: int = 0, tier: str | None = None
    ) -> JSON:
        """``GET /v1/cost-calculator``: the cost of a request, with your tier's discount when authed."""
        return self._get(
            "/v1/cost-calculator",
            model=model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            tier=tier,
        )


class Telemetry(Resource):
    def event(self, event: str, *, source: str = "api", properties: dict[str, Any] | None = None) -> JSON:
        """``POST /v1/telemetry/event``: record one event (see the reference for the names)."""
        return self._send(
            "POST",
            "/v1/telemetry/event",
            drop_none({"event": event, "source": source, "properties": properties}),
        )

    def summary(self, *, days: int | None = None) -> JSON:
        """``GET /v1/telemetry/summary``: counts by event and source."""
        return self._get("/v1/telemetry/summary", days=days)


class AsyncUsage(AsyncResource):
    get = async_twin(Usage.get)
    csv = async_twin(Usage.csv)


class AsyncLogs(AsyncResource):
    list = async_twin(Logs.list)
    page = async_twin(Logs.page)
    get = async_twin(Logs.get)


class AsyncCredits(AsyncResource):
    balance = async_twin(Credits.balance)


class AsyncBilling(AsyncResource):
    __doc__ = Billing.__doc__
    manage = async_twin(Billing.manage)
    spend_limit = async_twin(Billing.spend_limit)
    set_spend_limit = async_twin(Billing.set_spend_limit)


class AsyncPricing(AsyncResource):
    __doc__ = Pricing.__doc__
    tiers = async_twin(Pricing.tiers)
    list = async_twin(Pricing.list)
    cost = async_twin(Pricing.cost)


class AsyncTelemetry(AsyncResource):
    event = async_twin(Telemetry.event)
    summary = async_twin(Telemetry.summary)


__all__ = [
    "AsyncBilling",
    "AsyncCredits",
    "AsyncLogs",
    "AsyncPricing",
    "AsyncTelemetry",
    "AsyncUsage",
    "Billing",
    "Credits",
    "Logs",
    "Pricing",
    "Telemetry",
    "Usage",
]
