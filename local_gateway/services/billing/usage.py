"""What an account spent: the credit balance, usage per day and model, the per-request log.

Usage figures come from the daily aggregates (``store/usage.py``), which outlive the request
log's retention; the log itself is read a page at a time, newest first, by an opaque cursor.
"""

from __future__ import annotations

import calendar
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from local_gateway.services.billing.credits import Credits
from local_gateway.services.billing.money import micros_to_usd
from local_gateway.services.core.clock import Clock
from local_gateway.store import ledger, usage
from local_gateway.store import request_log as log_store
from local_gateway.store.db import Database
from mg.times import format_time

MAX_DAYS = 90
MAX_LOG_PAGE = 200
LOG_ID_PREFIX = "log_"
CSV_FIELDS = ("date", "model", "requests", "errors", "prompt_tokens", "completion_tokens", "cost_usd")


@dataclass(frozen=True)
class LogQuery:
    limit: int = 50
    before: int | None = None
    model: str | None = None
    status: int | None = None
    failed: bool | None = None


def parse_log_id(value: str) -> int | None:
    """The row number behind ``log_<n>``; None for anything else."""
    if not value.startswith(LOG_ID_PREFIX) or not value[len(LOG_ID_PREFIX) :].isdigit():
        return None
    return int(value[len(LOG_ID_PREFIX) :])


class UsageService:
    def __init__(self, db: Database, clock: Clock, credits: Credits) -> None:
        self.db = db
        self.clock = clock
        self.credits = credits

    async def balance(self, developer_id: str, low_percent: int = 20) -> dict[str, Any]:
        """``GET /v1/credits/balance``: the balance, recent daily usage, expirations to come."""
        now = self.clock.now()
        today = now.date()
        week = today - timedelta(days=6)
        async with self.db.read() as session:
            balance = await ledger.balance(session, developer_id)
            rows = await usage.daily_rows(session, developer_id, min(week, today.replace(day=1)))
            grant = await ledger.last_grant(session, developer_id)
        per_day: dict[date, int] = {}
        for row in rows:
            per_day[row["day"]] = per_day.get(row["day"], 0) + row["cost_micros"]
        month = sum(cost for day, cost in per_day.items() if day >= today.replace(day=1))
        expiring = await self.credits.expiring(developer_id, now)
        threshold = grant.amount_micros * low_percent // 100 if grant else 0
        return {
            "object": "credit_balance",
            "balance_usd": micros_to_usd(balance),
            "currency": "usd",
            "daily_usage_usd": micros_to_usd(per_day.get(today, 0)),
            "month_usage_usd": micros_to_usd(month),
            "daily_usage": [
                {"date": d.isoformat(), "cost_usd": micros_to_usd(per_day.get(d, 0))}
                for d in (week + timedelta(days=i) for i in range(7))
            ],
            "expirations": [
                {"amount_usd": micros_to_usd(e.amount_micros), "expires_at": format_time(e.expires_at)}
                for e in expiring
            ],
            "low_balance_threshold_usd": micros_to_usd(threshold),
            "low_balance": bool(grant) and balance < threshold,
            "as_of": format_time(now),
        }

    async def report(self, developer_id: str, days: int) -> dict[str, Any]:
        """``GET /v1/usage?days=N``: per day and per model, a month-end projection, a forecast."""
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}")
        now = self.clock.now()
        today = now.date()
        start = today - timedelta(days=days - 1)
        month_start = today.replace(day=1)
        async with self.db.read() as session:
            rows = await usage.daily_rows(session, developer_id, min(start, month_start))
            balance = await ledger.balance(session, developer_id)
        daily = {start + timedelta(days=i): _zero() for i in range(days)}
        models: dict[str, dict[str, int]] = {}
        month_micros = 0
        for row in rows:
            if row["day"] >= month_start:
                month_micros += row["cost_micros"]
            if row["day"] < start:
                continue
            _add(daily[row["day"]], row)
            _add(models.setdefault(row["model"], _zero()), row)
        total = _zero()
        for sums in daily.values():
            _add(total, sums)
        rate = total["cost_micros"] / days  # micro-dollars a day over the window
        days_in_month = calendar.monthrange(today.year, today.month)[1]
        remaining_days = days_in_month - today.day
        days_left = balance / rate if rate > 0 and balance > 0 else None
        return {
            "object": "usage",
            "days": days,
            "start_date": start.isoformat(),
            "end_date": today.isoformat(),
            "daily": [dict(_public(s), date=d.isoformat()) for d, s in daily.items()],
            "by_model": sorted(
                (dict(_public(s), model=m) for m, s in models.items()),
                key=lambda m: (-m["cost_usd"], -m["requests"], m["model"]),
            ),
            "totals": _public(total),
            "projection": {
                "month_to_date_usd": micros_to_usd(month_micros),
                "month_end_usd": micros_to_usd(round(month_micros + rate * remaining_days)),
                "daily_average_usd": micros_to_usd(round(rate)),
            },
            "credit_forecast": {
                "balance_usd": micros_to_usd(balance),
                "days_left": round(days_left, 1) if days_left is not None else None,
                "runs_out_on": (today + timedelta(days=int(days_left))).isoformat()
                if days_left is not None and days_left < 36_500
                else None,
            },
        }

    @staticmethod
    def to_csv(rows: list[dict[str, Any]]) -> str:
        """RFC 4180 text (CRLF line ends, quoted where needed): one row per day and model."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_FIELDS)
        for row in rows:
            # Fixed decimals: a spreadsheet must not be handed 6e-06.
            writer.writerow([f"{row[n]:.6f}" if n == "cost_usd" else row[n] for n in CSV_FIELDS])
        return out.getvalue()

    async def rows_for_csv(self, developer_id: str, days: int) -> list[dict[str, Any]]:
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}")
        start = self.clock.now().date() - timedelta(days=days - 1)
        async with self.db.read() as session:
            rows = await usage.daily_rows(session, developer_id, start)
        return [dict(_public(r), date=r["day"].isoformat(), model=r["model"]) for r in rows]

    async def logs(self, developer_id: str, query: LogQuery) -> dict[str, Any]:
        """``GET /v1/logs``: a page of the developer's requests, newest first."""
        if not 1 <= query.limit <= MAX_LOG_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_LOG_PAGE}")
        async with self.db.read() as session:
            rows = await log_store.page(
                session, developer_id, limit=query.limit + 1, before=query.before,
                model=query.model, status=query.status, failed=query.failed,
            )  # fmt: skip
        page = rows[: query.limit]
        more = len(rows) > query.limit
        return {
            "object": "list",
            "data": [log_object(r) for r in page],
            "has_more": more,
            "next_cursor": f"{LOG_ID_PREFIX}{page[-1].id}" if more and page else None,
        }

    async def log(self, developer_id: str, log_id: str) -> dict[str, Any] | None:
        row_id = parse_log_id(log_id)
        if row_id is None:
            return None
        async with self.db.read() as session:
            row = await log_store.get(session, developer_id, row_id)
        return log_object(row) if row is not None else None

    async def prune(self, older_than: datetime, batch: int = 5000) -> int:
        """Delete request-log rows made before ``older_than``, a batch per transaction."""
        total = 0
        while True:
            async with self.db.write() as session:
                removed = await log_store.prune(session, older_than, batch)
            total += removed
            if removed < batch:
                return total


def log_object(r: log_store.LogRow) -> dict[str, Any]:
    return {
        "id": f"{LOG_ID_PREFIX}{r.id}",
        "object": "request_log",
        "request_id": r.request_id,
        "created_at": format_time(r.created_at),
        "key_id": r.key_id,
        "endpoint": r.endpoint,
        "model": r.model,
        "provider": r.provider,
        "status": r.status,
        "error_code": r.error_code,
        "stream": r.stream,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "total_tokens": r.prompt_tokens + r.completion_tokens,
        "cost_usd": micros_to_usd(r.cost_micros),
        "latency_ms": r.latency_ms,
        "finish_reason": (r.extra or {}).get("finish_reason"),
        "fallback_from": (r.extra or {}).get("fallback_from"),
    }


def _zero() -> dict[str, int]:
    return {"requests": 0, "errors": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_micros": 0}


def _add(into: dict[str, int], row: dict[str, Any]) -> None:
    for name in into:
        into[name] += row[name]


def _public(sums: dict[str, Any]) -> dict[str, Any]:
    return {
        "requests": sums["requests"],
        "errors": sums["errors"],
        "prompt_tokens": sums["prompt_tokens"],
        "completion_tokens": sums["completion_tokens"],
        "tokens": sums["prompt_tokens"] + sums["completion_tokens"],
        "cost_usd": micros_to_usd(sums["cost_micros"]),
    }
