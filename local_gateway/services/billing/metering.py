"""Metering: the one call that records a request made upstream on a developer's behalf.

Chat completions (streamed or not, failed over, re-asked for structured output, NPC turns with
their regenerations and repairs), embeddings and NPC summaries all end in :meth:`Meter.record`:
one request-log row and, for a billed key, its ledger debit, committed together by the request
log's group commit (:mod:`.request_log`). The cost is priced once (:mod:`.money`), less the
tier's discount, and the row's ``cost_micros`` is exactly the debit, so the ledger and the log
always agree. Once the row is committed the request's reservation settles to that cost
(:meth:`Meter.settle`), and a balance that fell below the low-credit threshold appends
``player.credit_low`` to the outbox, once per grant.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from local_gateway.providers.base import ModelInfo, Usage
from local_gateway.services.accounts.tiers import load_tiers
from local_gateway.services.billing.admission import day_key, month_key
from local_gateway.services.billing.book import Book, Settled
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.money import cost_micros, micros_to_usd
from local_gateway.services.billing.request_log import LogEntry, RequestLogWriter
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.store import events, spend
from local_gateway.store.db import Database
from local_gateway.store.events import NewEvent

log = logging.getLogger("mg.gateway.billing")
CREDIT_LOW = "player.credit_low"


def price(ctx: RequestContext, model: ModelInfo, usage: Usage) -> int:
    """What ``usage`` of ``model`` costs the caller of ``ctx`` (0 for a test key), micro-dollars."""
    if not ctx.billed:
        return 0
    return cost_micros(model, usage.prompt_tokens, usage.completion_tokens, discount_of(ctx))


def discount_of(ctx: RequestContext) -> int:
    return load_tiers()[ctx.principal.tier].discount


class Meter:
    def __init__(
        self,
        writer: RequestLogWriter,
        clock: Clock,
        book: Book | None = None,
        db: Database | None = None,
        low_percent: int = 20,
    ) -> None:
        self.writer = writer
        self.clock = clock
        self.book = book
        self.db = db
        self.low_percent = low_percent
        self._alerted: set[tuple[str, int]] = set()

    async def record(
        self,
        ctx: RequestContext,
        model: ModelInfo,
        provider: str,
        usage: Usage,
        *,
        status: int = 200,
        error_code: str | None = None,
        charged: bool = True,
        stream: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Record the request and return its cost in micro-dollars, once it is committed.

        A handler awaits this before it answers: a 2xx means the row and its debit are durable.
        ``charged=False`` logs a failed request at no cost (the provider produced nothing billable).
        """
        entry = self._entry(ctx, model, provider, usage, status, error_code, charged, stream, extra)
        await self.writer.record(entry)
        return entry.cost_micros

    def record_later(
        self,
        ctx: RequestContext,
        model: ModelInfo,
        provider: str,
        usage: Usage,
        *,
        status: int,
        error_code: str | None = None,
        stream: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """:meth:`record` without waiting for the commit: for a request whose client went away
        (nobody is waiting for an answer, and a closing stream cannot await)."""
        entry = self._entry(ctx, model, provider, usage, status, error_code, True, stream, extra)
        self.writer.record_nowait(entry)
        return entry.cost_micros

    def _entry(
        self,
        ctx: RequestContext,
        model: ModelInfo,
        provider: str,
        usage: Usage,
        status: int,
        error_code: str | None,
        charged: bool,
        stream: bool,
        extra: dict[str, Any] | None,
    ) -> LogEntry:
        cost = price(ctx, model, usage) if charged else 0
        hold = ctx.slot.take()
        return LogEntry(
            request_id=ctx.request_id,
            developer_id=ctx.developer_id,
            key_id=ctx.key_id,
            endpoint=ctx.endpoint,
            status=status,
            created_at=self.clock.now(),
            model=model.id,
            provider=provider,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_micros=cost,
            latency_ms=round((time.perf_counter() - ctx.started) * 1000, 3),
            error_code=error_code,
            stream=stream,
            extra=extra or None,
            charge_micros=cost,
            hold_id=hold.id if hold is not None else None,
            billed=ctx.billed,
        )

    async def settle(self, entries: Sequence[LogEntry]) -> None:
        """The request-log rows just committed: their holds become their actual costs."""
        due = [e for e in entries if e.billed and (e.hold_id is not None or e.charge_micros)]
        if self.book is not None and due:
            # Concurrently: with Redis a batch's settlements share the round trips.
            await asyncio.gather(*(self._settle_one(self.book, e) for e in due))

    async def _settle_one(self, book: Book, entry: LogEntry) -> None:
        settled = await book.settle(
            entry.developer_id, entry.hold_id, entry.charge_micros,
            day_key(entry.created_at), month_key(entry.created_at),
        )  # fmt: skip
        if settled is not None:
            await self._check_low(entry.developer_id, settled)

    async def _check_low(self, developer_id: str, settled: Settled) -> None:
        if self.db is None or not settled.grant_id or not settled.grant_micros:
            return
        threshold = settled.grant_micros * self.low_percent // 100
        key = (developer_id, settled.grant_id)
        if settled.after >= threshold or key in self._alerted:
            return
        self._alerted.add(key)
        now = self.clock.now()
        event = NewEvent(
            id=new_id("evt"),
            type=CREDIT_LOW,
            data={
                "developer_id": developer_id,
                "balance_usd": micros_to_usd(settled.after),
                "threshold_usd": micros_to_usd(threshold),
                "grant_usd": micros_to_usd(settled.grant_micros),
            },
            created_at=now,
        )
        async with self.db.write() as session:
            # The claim is unique per grant: one event however many processes see the crossing.
            if await spend.claim_alert(session, developer_id, settled.grant_id, now):
                await events.append(session, developer_id, [event])
