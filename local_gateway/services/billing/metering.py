"""Metering: the one call that records a request made upstream on a developer's behalf.

Chat completions (streamed or not, failed over, re-asked for structured output, NPC turns with
their regenerations and repairs), embeddings and NPC summaries all end in :meth:`Meter.record`:
one request-log row and, for a billed key, its ledger debit, committed together by the request
log's group commit (:mod:`.request_log`). The cost is priced once (:mod:`.money`) and the row's
``cost_micros`` is exactly the debit, so the ledger and the log always agree.
"""

from __future__ import annotations

import time
from typing import Any

from local_gateway.providers.base import ModelInfo, Usage
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.money import cost_micros
from local_gateway.services.billing.request_log import LogEntry, RequestLogWriter
from local_gateway.services.core.clock import Clock


class Meter:
    def __init__(self, writer: RequestLogWriter, clock: Clock) -> None:
        self.writer = writer
        self.clock = clock

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
        cost = (
            cost_micros(model, usage.prompt_tokens, usage.completion_tokens) if charged and ctx.billed else 0
        )
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
        )
