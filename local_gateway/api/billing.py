"""Billing & Credits, pricing and usage: balance, spend limits, tiers, prices, estimates,
usage per day and model, and the per-request log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate, optional_principal
from local_gateway.api.body import json_response, read_json
from local_gateway.services.billing import pricing
from local_gateway.services.billing.money import micros_to_usd, usd_to_micros
from local_gateway.services.billing.usage import MAX_LOG_PAGE, LogQuery, UsageService, parse_log_id
from mg.errors import InvalidRequestError, ModelNotFoundError, NotFoundError

routes = web.RouteTableDef()


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequestError(f"'{name}' must be a whole number, not {raw!r}.") from None
    if not low <= value <= high:
        raise InvalidRequestError(f"'{name}' must be between {low} and {high}.")
    return value


@routes.get("/v1/credits/balance")
async def credit_balance(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request, consume=False)
    developer_id = principal.developer_id
    await services.billing.admission.expire(developer_id)
    body = await services.billing.usage.balance(developer_id, services.settings.credit_low_percent)
    return json_response(body)


def _limits_body(daily: int | None, monthly: int | None) -> dict[str, Any]:
    return {
        "object": "spend_limit",
        "daily_cap_usd": micros_to_usd(daily) if daily is not None else None,
        "monthly_cap_usd": micros_to_usd(monthly) if monthly is not None else None,
    }


@routes.get("/v1/billing/spend-limit")
async def get_spend_limit(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request, consume=False)
    daily, monthly = await services.billing.limits.get(principal.developer_id)
    tier = services.catalog.tiers[principal.tier]
    return json_response(
        dict(_limits_body(daily, monthly), tier=tier.id, tier_daily_cap_usd=tier.daily_cap_usd)
    )


def _cap(body: dict[str, Any], name: str, current: int | None) -> int | None:
    if name not in body:
        return current
    value = body[name]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidRequestError(f"'{name}' must be a number of US dollars or null.")
    try:
        micros = usd_to_micros(value)
    except ValueError:
        raise InvalidRequestError(f"'{name}' must be a number of US dollars or null.") from None
    if micros < 0:
        raise InvalidRequestError(f"'{name}' must be 0 or more (null removes the cap).")
    return micros


@routes.put("/v1/billing/spend-limit")
async def put_spend_limit(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    body = await read_json(request, 4096)
    if not isinstance(body, dict) or not ({"daily_cap_usd", "monthly_cap_usd"} & set(body)):
        raise InvalidRequestError("Send daily_cap_usd and/or monthly_cap_usd (a number, or null to remove).")
    unknown = set(body) - {"daily_cap_usd", "monthly_cap_usd"}
    if unknown:
        raise InvalidRequestError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    limits = services.billing.limits
    daily, monthly = await limits.get(principal.developer_id)
    daily, monthly = _cap(body, "daily_cap_usd", daily), _cap(body, "monthly_cap_usd", monthly)
    await limits.set(principal.developer_id, daily, monthly)
    return json_response(_limits_body(daily, monthly))


@routes.get("/v1/tiers")
async def tiers(request: web.Request) -> web.Response:
    catalog = request.app[SERVICES].catalog
    data = pricing.tier_table(catalog.tiers.values(), catalog.models.values())
    return json_response({"object": "list", "data": data}, headers={"Cache-Control": "public, max-age=3600"})


@routes.get("/v1/pricing")
async def prices(request: web.Request) -> web.Response:
    catalog = request.app[SERVICES].catalog
    data = pricing.price_list(catalog.models.values())
    return json_response({"object": "list", "data": data}, headers={"Cache-Control": "public, max-age=3600"})


@routes.get("/v1/cost-calculator")
async def cost_calculator(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await optional_principal(request)
    name = request.query.get("model")
    if not name:
        raise InvalidRequestError("Pass ?model= (and input_tokens, output_tokens).")
    model = services.catalog.get(name)
    if model is None:
        raise ModelNotFoundError(f"The model '{name}' does not exist.")
    tier_name = request.query.get("tier") or (principal.tier if principal is not None else None)
    tier = services.catalog.tiers.get(tier_name) if tier_name else None
    if tier_name and tier is None:
        raise InvalidRequestError(
            f"Unknown tier {tier_name!r}; use one of {', '.join(services.catalog.tiers)}."
        )
    n_in = _int(request, "input_tokens", 0, 0, pricing.MAX_ESTIMATE_TOKENS)
    n_out = _int(request, "output_tokens", 0, 0, pricing.MAX_ESTIMATE_TOKENS)
    return json_response(pricing.estimate(model, n_in, n_out, tier))


@routes.get("/v1/usage")
async def usage(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request, consume=False)
    days = _int(request, "days", 30, 1, 90)
    report = services.billing.usage
    fmt = request.query.get("format", "json")
    if fmt == "csv":
        text = UsageService.to_csv(await report.rows_for_csv(principal.developer_id, days))
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        return web.Response(
            text=text,
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="mg-usage-{days}d-{stamp}.csv"'},
        )
    if fmt != "json":
        raise InvalidRequestError("'format' must be json or csv.")
    return json_response(await report.report(principal.developer_id, days))


def _log_query(request: web.Request) -> LogQuery:
    q = request.query
    before = None
    if q.get("before"):
        before = parse_log_id(q["before"])
        if before is None:
            raise InvalidRequestError("'before' takes the next_cursor of a page (log_…).")
    status, failed = None, None
    raw = q.get("status")
    if raw in ("error", "failed"):
        failed = True
    elif raw in ("ok", "success"):
        failed = False
    elif raw:
        status = _int(request, "status", 0, 100, 599)
    return LogQuery(
        _int(request, "limit", 50, 1, MAX_LOG_PAGE), before, q.get("model") or None, status, failed
    )


@routes.get("/v1/logs")
async def logs(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request, consume=False)
    return json_response(await services.billing.usage.logs(principal.developer_id, _log_query(request)))


@routes.get("/v1/logs/{log_id}")
async def log_entry(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request, consume=False)
    found = await services.billing.usage.log(principal.developer_id, request.match_info["log_id"])
    if found is None:
        raise NotFoundError("No such request-log entry.")
    return json_response(found)
