"""Keys with their health and credits, and usage drawn per day and per model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

BAR = "█"
PARTS = " ▏▎▍▌▋▊▉"


@dataclass
class KeyRow:
    """One key the user has: the current one, or a configured profile's."""

    profile: str
    base_url: str
    me: dict[str, Any] | None = None
    health: dict[str, Any] | None = None
    credits: dict[str, Any] | None = None
    missing: list[str] = field(default_factory=list)
    error: str | None = None
    current: bool = False

    @property
    def gateway(self) -> str:
        """The current key's gateway is in the header; other profiles may use other gateways."""
        return "this session" if self.current else self.base_url

    @property
    def key_display(self) -> str:
        return str((self.me or {}).get("key") or "…")

    @property
    def balance(self) -> float | None:
        for source, name in ((self.credits, "balance_usd"), (self.credits, "credit_balance_usd")):
            if source and source.get(name) is not None:
                return float(source[name])
        value = (self.me or {}).get("credit_balance_usd")
        return float(value) if value is not None else None

    @property
    def health_status(self) -> str:
        if self.error:
            return "error"
        if self.health is None:
            return "n/a" if self.me is not None else "…"
        return str(self.health.get("status") or self.health.get("rotation_status") or "?")

    def cells(self) -> list[Any]:
        me = self.me or {}
        balance = self.balance
        health = self.health_status
        style = {"healthy": "green", "aging": "yellow", "stale": "bold red", "error": "bold red"}.get(
            health, "dim"
        )
        return [
            self.profile,
            self.key_display,
            str(me.get("environment") or "-"),
            str(me.get("tier_name") or me.get("tier") or "-"),
            Text("-" if balance is None else f"${balance:,.2f}", justify="right"),
            Text(health, style=style),
            self.gateway,
        ]


def key_facts(row: KeyRow) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    me, health, credits = row.me or {}, row.health or {}, row.credits or {}
    limits = me.get("rate_limits") or {}
    facts: list[tuple[str, Any]] = [
        ("account", me.get("email")),
        ("key", f"{me.get('key', '')} ({me.get('key_id', '')})" if me else None),
        ("limits", _limits(limits) if limits else None),
        ("age", f"{health['age_days']} days" if health.get("age_days") is not None else None),
        ("last used", health.get("last_used_at")),
        ("advice", health.get("recommendation")),
        ("spent today", _usd(credits.get("daily_usage_usd"))),
    ]
    for grant in credits.get("expirations") or credits.get("expiring") or []:
        facts.append(("expires", f"{_usd(grant.get('amount_usd'))} on {str(grant.get('expires_at'))[:10]}"))
    if row.error:
        facts.append(("error", row.error))
    for name, value in facts:
        if value not in (None, ""):
            table.add_row(name, str(value))
    return table


def _limits(limits: dict[str, Any]) -> str:
    parts = []
    if limits.get("requests_per_minute") is not None:
        parts.append(f"{limits['requests_per_minute']} requests/min")
    if limits.get("daily_cap_usd") is not None:
        parts.append(f"${limits['daily_cap_usd']:,.2f} a day")
    return ", ".join(parts)


def _usd(value: Any) -> str | None:
    return None if value is None else f"${float(value):,.4f}".rstrip("0").rstrip(".")


def _number(entry: dict[str, Any], *names: str) -> float:
    for name in names:
        if entry.get(name) is not None:
            return float(entry[name])
    return 0.0


def _entries(usage: dict[str, Any], *names: str) -> list[Any] | dict[str, Any]:
    """The first of ``names`` that holds a list (or a mapping); an empty list when none does.

    Names are tried in turn because gateways spell them differently, but a name may also hold
    something else: ``days`` is the period (a number) when ``daily`` is the list.
    """
    for name in names:
        value = usage.get(name)
        if isinstance(value, list | dict) and value:
            return value
    return []


def daily(usage: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(date, requests, cost in USD) per day, oldest first."""
    days = _entries(usage, "daily", "days", "data")
    rows = [
        (
            str(d.get("date") or d.get("day") or ""),
            _number(d, "requests", "request_count"),
            _number(d, "cost_usd", "cost"),
        )
        for d in days
        if isinstance(d, dict)
    ]
    return sorted(rows)


def per_model(usage: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(model, requests, tokens, cost in USD), the busiest first."""
    raw = _entries(usage, "by_model", "models")
    if isinstance(raw, dict):
        raw = [dict(v, model=k) for k, v in raw.items() if isinstance(v, dict)]
    rows = [
        (
            str(m.get("model") or "?"),
            _number(m, "requests", "request_count"),
            _number(m, "tokens", "total_tokens"),
            _number(m, "cost_usd", "cost"),
        )
        for m in raw
        if isinstance(m, dict)
    ]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def bar(value: float, top: float, width: int) -> str:
    if top <= 0 or value <= 0:
        return ""
    eighths = round(value / top * width * 8)
    return BAR * (eighths // 8) + (PARTS[eighths % 8] if eighths % 8 else "")


def model_chart(rows: list[tuple[str, float, float, float]], width: int = 24) -> Table | Text:
    if not rows:
        return Text("No requests in this period.", style="dim italic")
    top = max(r[1] for r in rows)
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(style="cyan", no_wrap=True, width=width)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(justify="right", style="dim", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for model, requests, tokens, cost in rows:
        table.add_row(
            model, bar(requests, top, width), f"{requests:,.0f}", f"{tokens:,.0f} tok", f"${cost:,.2f}"
        )
    return table


def day_summary(days: list[tuple[str, float, float]]) -> Text:
    if not days:
        return Text("No daily figures.", style="dim italic")
    requests = sum(d[1] for d in days)
    cost = sum(d[2] for d in days)
    if not requests:
        return Text(f"No requests from {days[0][0]} to {days[-1][0]}.", style="dim italic")
    busiest = max(days, key=lambda d: d[1])
    text = Text(f"{days[0][0]} … {days[-1][0]}", style="dim")
    text.append(f"   {requests:,.0f} requests · ${cost:,.2f}", style="")
    text.append(f" · busiest {busiest[0]} ({busiest[1]:,.0f})", style="dim")
    return text
