"""``mg credits``, ``mg usage``, ``mg logs``, ``mg billing``, ``mg tiers``, ``mg pricing``, ``mg cost``:
what an account has, spends and may spend."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group

BAR = "█"
PARTS = " ▏▎▍▌▋▊▉"
app = new_group("Your spend caps, and buying credit or a tier (Stripe).", default="spend-limit")


@app.callback()
def billing() -> None:
    """Your spend caps, and buying credit or a tier (Stripe)."""
    # A callback keeps `billing` a group while it has one command (typer would collapse it).


def _usd(value: Any, places: int = 2) -> str:
    """Dollars to the cent (``places``), or to the micro-dollar where cents would hide an amount:
    $4.999994 is not $5.00, and $0.000006 spent is not nothing."""
    if value is None:
        return "-"
    amount = float(value)
    exact = f"{amount:,.6f}".rstrip("0")
    whole, _, fraction = exact.partition(".")
    return f"${whole}.{fraction.ljust(places, '0')}" if len(fraction) > places else f"${amount:,.{places}f}"


@command
def credits_show(session: Session, json_: JsonOption = False) -> None:
    """Show the credit balance, what was spent today and this month, and credit that expires.

    \b
    Examples:
      mg credits
      mg credits --json | jq .balance_usd
    """
    from mg.cli import _output

    with session.client() as client:
        body = client.credits.balance()
    if json_:
        _output.print_json(body)
        return
    rows = [
        ["balance", _usd(body.get("balance_usd"))],
        ["spent today", _usd(body.get("daily_usage_usd"))],
        ["this month", _usd(body.get("month_usage_usd"))],
    ]
    for grant in body.get("expirations") or []:
        rows.append(["expires", f"{_usd(grant['amount_usd'])} on {str(grant['expires_at'])[:10]}"])
    if body.get("low_balance"):
        rows.append(["note", f"low: below {_usd(body.get('low_balance_threshold_usd'))}"])
    _output.print_table(["", ""], rows)


def bar(value: float, top: float, width: int = 40) -> str:
    """A horizontal bar of ``value`` against ``top`` in eighths of a cell."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    return BAR * (eighths // 8) + (PARTS[eighths % 8] if eighths % 8 else "")


@command
def usage_show(
    session: Session,
    days: Annotated[int, typer.Option("--days", "-d", min=1, max=90, help="Days to look back (1-90).")] = 7,
    csv: Annotated[
        bool, typer.Option("--csv", help="Print RFC 4180 CSV (one row per day and model).")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Show usage per day as a bar chart, per model, and where the month is heading.

    \b
    Examples:
      mg usage
      mg usage --days 30
      mg usage --days 90 --csv > usage.csv
    """
    from mg.cli import _output

    with session.client() as client:
        if csv:
            typer.echo(client.usage.csv(days=days), nl=False)
            return
        report = client.usage.get(days=days)
    if json_:
        _output.print_json(report)
        return
    daily = report.get("daily") or []
    top = max((float(d["cost_usd"]) for d in daily), default=0.0)
    _output.print_table(
        ["date", "requests", "cost", ""],
        [[d["date"], d["requests"], _usd(d["cost_usd"], 4), bar(float(d["cost_usd"]), top)] for d in daily],
        title=f"Usage, last {report.get('days', days)} days",
    )
    by_model = report.get("by_model") or []
    if by_model:
        _output.print_table(
            ["model", "requests", "tokens", "cost"],
            [[m["model"], m["requests"], f"{m['tokens']:,}", _usd(m["cost_usd"], 4)] for m in by_model],
        )
    projection, forecast = report.get("projection") or {}, report.get("credit_forecast") or {}
    days_left = forecast.get("days_left")
    _output.note(
        f"month to date {_usd(projection.get('month_to_date_usd'))}, month end about "
        f"{_usd(projection.get('month_end_usd'))}; credit "
        + (f"lasts about {days_left:g} more days" if days_left is not None else "is not being spent")
    )


def _log_row(e: dict[str, Any]) -> list[Any]:
    return [
        e["created_at"][:19].replace("T", " "), e.get("model") or "-", e["status"], e.get("error_code") or "",
        e["prompt_tokens"], e["completion_tokens"], _usd(e["cost_usd"], 4), f"{e['latency_ms']:.0f} ms",
        e["id"],
    ]  # fmt: skip


LOG_COLUMNS = ["time", "model", "status", "error", "in", "out", "cost", "latency", "id"]


@command
def logs_list(
    session: Session,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200, help="Rows (at most 200).")] = 20,
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="A code (429), error or success.")] = None,
    before: Annotated[str | None, typer.Option("--before", help="The next_cursor of a page.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new requests.")] = False,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between looks with --follow.")] = 2.0,
    json_: JsonOption = False,
) -> None:
    """Show the per-request log: model, tokens, cost, latency, status; newest first.

    \b
    Examples:
      mg logs --limit 50
      mg logs --status error
      mg logs --follow
    """
    from mg.cli import _output

    with session.client() as client:
        page = client.logs.page(limit=limit, before=before, model=model, status=status)
        rows = page.get("data") or []
        if json_ and not follow:
            _output.print_json(page)
            return
        if not follow:
            _output.print_table(LOG_COLUMNS, [_log_row(e) for e in rows])
            if page.get("next_cursor"):
                _output.note(f"more: mg logs --before {page['next_cursor']}")
            return
        last = 0
        for entry in reversed(rows):
            _print_followed(entry, json_)
            last = max(last, int(entry["id"][4:]))
        while True:
            time.sleep(interval)
            fresh = client.logs.list(limit=200, model=model, status=status)
            for entry in reversed([e for e in fresh if int(e["id"][4:]) > last]):
                _print_followed(entry, json_)
                last = max(last, int(entry["id"][4:]))


def _print_followed(entry: dict[str, Any], json_: bool) -> None:
    import json

    typer.echo(json.dumps(entry) if json_ else "\t".join(str(c) for c in _log_row(entry)))


@app.command("spend-limit")
@command
def billing_spend_limit(
    session: Session,
    daily: Annotated[float | None, typer.Option("--daily", min=0, help="Daily cap in USD.")] = None,
    monthly: Annotated[float | None, typer.Option("--monthly", min=0, help="Monthly cap in USD.")] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove both caps (or those named with it).")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Show or set your spend caps; requests past one are refused (429) until it resets (UTC).

    \b
    Examples:
      mg billing spend-limit
      mg billing spend-limit --daily 10 --monthly 100
      mg billing spend-limit --clear
    """
    from mg.cli import _output

    changes: dict[str, float | None] = {}
    if clear:
        changes = {"daily_cap_usd": None, "monthly_cap_usd": None}
    if daily is not None:
        changes["daily_cap_usd"] = daily
    if monthly is not None:
        changes["monthly_cap_usd"] = monthly
    with session.client() as client:
        body = client.billing.set_spend_limit(**changes) if changes else client.billing.spend_limit()
        if changes:
            body = client.billing.spend_limit()
    if json_:
        _output.print_json(body)
        return
    _output.print_table(
        ["cap", "USD"],
        [
            ["daily", _usd(body.get("daily_cap_usd")) if body.get("daily_cap_usd") is not None else "none"],
            [
                "monthly",
                _usd(body.get("monthly_cap_usd")) if body.get("monthly_cap_usd") is not None else "none",
            ],
            [
                "tier daily",
                _usd(body.get("tier_daily_cap_usd"))
                if body.get("tier_daily_cap_usd") is not None
                else "none",
            ],
        ],
    )


@app.command("manage")
@command
def billing_manage(
    session: Session,
    tier: Annotated[
        str | None, typer.Option("--tier", help="Buy this tier (a monthly subscription).", show_default=False)
    ] = None,
    credits_usd: Annotated[
        int | None,
        typer.Option(
            "--credits", min=5, max=10_000, help="Buy this much credit, in whole USD.", show_default=False
        ),
    ] = None,
    open_: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the page in a browser (in a terminal).")
    ] = True,
    json_: JsonOption = False,
) -> None:
    """Get a Stripe page: checkout for credit or a tier, else your billing portal.

    Prints the URL (and opens it when run in a terminal). A gateway without
    Stripe (the local one) says billing is not configured.

    \b
    Examples:
      mg billing manage --credits 20
      mg billing manage --tier pro
      mg billing manage --no-open        # invoices, payment method, cancel
    """
    from mg.cli import _output

    if tier is not None and credits_usd is not None:
        from mg.cli._errors import UsageError

        raise UsageError("Give --tier or --credits, not both.")
    with session.client() as client:
        body = client.billing.manage(tier=tier, credits_usd=credits_usd)
    if json_:
        _output.print_json(body)
        return
    print(body["url"])
    if open_ and _output.interactive():
        import webbrowser

        webbrowser.open(body["url"])
        _output.note("Opened it in your browser.")


@command
def tiers_list(session: Session, json_: JsonOption = False) -> None:
    """Show the tiers: monthly price, discount, requests per minute, daily cap, seats.

    \b
    Examples:
      mg tiers
    """
    from mg.cli import _output

    with session.client(need_key=False) as client:
        tiers = client.pricing.tiers()
    if json_:
        _output.print_json(tiers)
        return
    _output.print_table(
        ["tier", "monthly", "discount", "req/min", "daily cap", "seats", "models"],
        [
            [
                t["name"], "custom" if t["price_monthly_usd"] is None else _usd(t["price_monthly_usd"]),
                "custom" if t["discount_pct"] is None else f"{t['discount_pct']}%",
                f"{t['requests_per_minute']:,}",
                "custom" if t["daily_cap_usd"] is None else _usd(t["daily_cap_usd"]),
                "unlimited" if t["seats"] is None else t["seats"], t["models"],
            ]
            for t in tiers
        ],
    )  # fmt: skip


@command
def pricing_list(session: Session, json_: JsonOption = False) -> None:
    """Show every model's list price per million tokens (before your tier's discount).

    \b
    Examples:
      mg pricing
      mg pricing --json | jq '.[] | select(.input_per_1m < 0.5) | .model'
    """
    from mg.cli import _output

    with session.client(need_key=False) as client:
        prices = client.pricing.list()
    if json_:
        _output.print_json(prices)
        return
    _output.print_table(
        ["model", "provider", "min tier", "input/1M", "output/1M"],
        [
            [
                p["model"],
                p["provider"],
                p["tier_minimum"],
                f"${p['input_per_1m']:g}",
                f"${p['output_per_1m']:g}",
            ]
            for p in prices
        ],
    )


@command
def cost_estimate(
    session: Session,
    model: Annotated[str, typer.Argument(help="A model id, e.g. deepseek-chat.")],
    input_tokens: Annotated[int, typer.Option("--in", min=0, help="Prompt tokens.")] = 0,
    output_tokens: Annotated[int, typer.Option("--out", min=0, help="Completion tokens.")] = 0,
    json_: JsonOption = False,
) -> None:
    """Estimate what a request costs: list price, and with your tier's discount when logged in.

    \b
    Examples:
      mg cost gpt-4o --in 1200 --out 300
    """
    from mg.cli import _output

    with session.client(need_key=False) as client:
        body = client.pricing.cost(model, input_tokens=input_tokens, output_tokens=output_tokens)
    if json_:
        _output.print_json(body)
        return
    tier = f" ({body['tier']} tier, {body['discount_pct']}% off)" if body.get("tier") else ""
    typer.echo(
        f"{body['model']}: {input_tokens:,} in + {output_tokens:,} out = {_usd(body['cost_usd'])}{tier}"
        + (f"; list price {_usd(body['list_cost_usd'])}" if body["cost_usd"] != body["list_cost_usd"] else "")
    )
