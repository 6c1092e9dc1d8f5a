"""Reading and triaging crashes: list, get, status, trends, stats, and analysis.

Analysis: test keys and the local gateway get the rule-based analyser (it says so); live keys
ask ``deepseek-chat`` through the gateway's normal completion path (admission, fallback,
metering: debited like any completion), given the processed crash and the rule-based findings
as evidence. A successful analysis moves a ``new`` crash (and its group) to ``investigating``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local_gateway.services.billing.context import RequestContext
from local_gateway.services.core.clock import Clock
from local_gateway.services.debug import crash_groups
from local_gateway.services.debug.crash import Analysis, analyze_stack_trace
from local_gateway.services.debug.crash.analysis import CrashFacts, analyze
from local_gateway.store import crash_stats
from local_gateway.store import crashes as store
from local_gateway.store.crash_records import CrashRecord
from local_gateway.store.db import Database
from mg.errors import InvalidRequestError, NotFoundError

ANALYSIS_MODEL = "deepseek-chat"
RULES_MODEL = "rule-based"
# (context, messages) → the model's answer text; the gateway's chat path, injected at start-up.
Complete = Callable[[RequestContext, list[dict[str, Any]], str], Awaitable[str]]


@dataclass(frozen=True)
class AnalysisAnswer:
    crash_id: str | None
    analysis: str
    model: str
    analyzed_at: datetime
    details: dict[str, Any]


def _not_found(crash_id: str) -> NotFoundError:
    return NotFoundError(
        f"No crash {crash_id[:60]!r} for this account.", remediation="List crashes with mg crashes list."
    )


class CrashTriage:
    def __init__(self, db: Database, clock: Clock, complete: Complete | None = None) -> None:
        self.db = db
        self.clock = clock
        self.complete = complete

    async def get(self, developer_id: str, crash_id: str) -> CrashRecord:
        async with self.db.read() as session:
            crash = await store.get_crash(session, developer_id, crash_id)
        if crash is None:
            raise _not_found(crash_id)
        return crash

    async def list_crashes(
        self, developer_id: str, limit: int, filters: dict[str, str], after: str | None = None
    ) -> tuple[list[CrashRecord], bool]:
        async with self.db.read() as session:
            before = None
            if after:
                cursor = await store.get_crash(session, developer_id, after)
                if cursor is None:
                    raise InvalidRequestError(f"after: no crash {after[:60]!r} to continue from.")
                before = (cursor.created_at, cursor.id)
            rows = await store.list_crashes(session, developer_id, limit + 1, before=before, filters=filters)
        return rows[:limit], len(rows) > limit

    async def set_status(self, developer_id: str, crash_id: str, status: str) -> CrashRecord:
        async with self.db.write() as session:
            crash = await store.get_crash(session, developer_id, crash_id, lock=True)
            if crash is None:
                raise _not_found(crash_id)
            return await crash_groups.set_status(session, crash, status, self.clock.now())

    async def trends(
        self,
        developer_id: str,
        *,
        game_id: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        async with self.db.read() as session:
            rows = await crash_stats.trends(
                session, developer_id, game_id=game_id, since=since, until=until, limit=limit
            )
        for row in rows:
            row["regression"] = row["regressed_at"] is not None and row["status"] in ("new", "investigating")
        return rows

    async def stats(self, developer_id: str, game_id: str | None) -> dict[str, Any]:
        async with self.db.read() as session:
            return await crash_stats.stats(session, developer_id, self.clock.now(), game_id=game_id)

    # -- analysis --------------------------------------------------------------------------

    async def analyze(
        self,
        ctx: RequestContext,
        *,
        crash_id: str | None,
        stack_trace: Sequence[str] | None,
        platform: str | None,
        engine: str | None,
        question: str | None,
    ) -> AnalysisAnswer:
        developer_id = ctx.principal.developer_id
        crash = await self.get(developer_id, crash_id) if crash_id else None
        if crash is not None:
            if crash.processing == "processing":
                raise InvalidRequestError(
                    f"Crash {crash.id} is still being processed; analyse it when it reads processed.",
                    remediation="mg crashes show " + crash.id,
                )
            rules = _analyze_record(crash, engine or crash.engine, question)
            platform = platform or crash.platform
        else:
            rules = analyze_stack_trace(
                stack_trace or [], platform=platform, engine=engine, question=question
            )
        related = await self._related(developer_id, crash, rules)
        if related:
            rules = Analysis(**{**rules.__dict__, "related_patterns": tuple(related)})
        if ctx.principal.is_test or self.complete is None:
            text, model = rules.to_markdown(), RULES_MODEL
        else:
            messages = _model_prompt(crash, stack_trace, platform, engine, question, rules)
            text, model = await self.complete(ctx, messages, ANALYSIS_MODEL), ANALYSIS_MODEL
        now = self.clock.now()
        details = rules.to_dict()
        if crash is not None:
            stored = {"analysis": text, "model": model, "analyzed_at": now.isoformat(), **details}
            async with self.db.write() as session:
                await store.update_crash(session, developer_id, crash.id, analysis=stored, updated_at=now)
                current = await store.get_crash(session, developer_id, crash.id, lock=True)
                if current is not None and current.status == "new":
                    await crash_groups.set_status(session, current, "investigating", now)
        return AnalysisAnswer(crash.id if crash else None, text, model, now, details)

    async def _related(self, developer_id: str, crash: CrashRecord | None, rules: Analysis) -> list[str]:
        """Other fingerprints of this developer whose crashes share a top function with this one."""
        functions = _top_functions(crash) if crash else []
        if not functions:
            return list(rules.related_patterns)
        async with self.db.read() as session:
            groups = await crash_stats.trends(session, developer_id, limit=200)
        related = [
            f"{g['fingerprint'][:12]} ({g['title']}, {g['count']}×)"
            for g in groups
            if g["fingerprint"] != crash.fingerprint and g["title"] in functions  # type: ignore[union-attr]
        ]
        return [*rules.related_patterns, *related[:5]]


def _top_functions(crash: CrashRecord) -> list[str]:
    if crash.stack_trace:
        return [f["function"] for f in crash.stack_trace[:3] if f.get("function")]
    thread = _crashed_thread(crash.result)
    return [f["function"] for f in (thread or {}).get("frames", [])[:3] if f.get("function")]


def _crashed_thread(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if not result:
        return None
    threads = result.get("threads") or []
    index = result.get("crashing_thread")
    if isinstance(index, int) and 0 <= index < len(threads):
        return dict(threads[index])
    return dict(threads[0]) if threads else None


def _analyze_record(crash: CrashRecord, engine: str | None, question: str | None) -> Analysis:
    if crash.stack_trace is not None or crash.result is None:
        frames = [
            f"{f['module']}!{f['function']}" if f.get("module") else str(f.get("function") or "??")
            for f in crash.stack_trace or []
        ]
        return analyze_stack_trace(frames, platform=crash.platform, engine=engine, question=question)
    result = crash.result
    thread = _crashed_thread(result) or {}
    names: list[str] = []
    repeat: list[str] = []
    for frame in thread.get("frames", []):
        module = frame.get("module") or "?"
        calls = [f"{module}!{call['function']}" for call in frame.get("inlines", [])]
        calls.append(
            f"{module}!{frame['function']}"
            if frame.get("function")
            else f"{module}+{frame.get('module_offset')}"
        )
        names.extend(calls)
        if frame.get("trust") != "scan" or frame.get("function"):
            repeat.extend(calls)
    address = result.get("crash_address")
    facts = CrashFacts(
        family=result.get("crash_family"),
        reason=result.get("crash_reason"),
        address=int(address, 16) if isinstance(address, str) else None,
        access=result.get("crash_access"),
        frames=tuple(names),
        platform=crash.platform,
        repeat_frames=tuple(repeat),
        engine=engine,
        hints=tuple(str(v) for v in [result.get("assertion"), *(result.get("tags") or {}).values()] if v),
    )
    return analyze(facts, question=question)


def _model_prompt(
    crash: CrashRecord | None,
    stack_trace: Sequence[str] | None,
    platform: str | None,
    engine: str | None,
    question: str | None,
    rules: Analysis,
) -> list[dict[str, Any]]:
    if crash is not None and crash.result is not None:
        thread = _crashed_thread(crash.result) or {}
        frames = [
            f"#{f['index']} {f.get('module') or '?'}!{f.get('function') or f.get('module_offset')}"
            + (f" ({f['file']}:{f['line']})" if f.get("file") else "")
            for f in thread.get("frames", [])[:40]
        ]
        reason = crash.result.get("crash_reason")
    else:
        raw = crash.stack_trace if crash is not None else None
        frames = [str(f.get("function")) for f in raw] if raw else [str(f) for f in stack_trace or []][:40]
        reason = crash.crash_reason if crash is not None else None
    lines = [
        f"Platform: {platform or 'unknown'}; engine: {engine or 'unknown'}; reason: {reason or 'unknown'}.",
        "Crashing thread, innermost first:",
        *frames,
        f"Rule-based findings: {rules.category}: {rules.root_cause}",
    ]
    if question:
        lines.append(f"The developer asks: {question}")
    system = (
        "You are a senior game-engine crash analyst. Answer in Markdown with the sections "
        "**Root Cause:**, **Severity:** (critical/high/medium/low), **Fix Suggestion:**, "
        "**Prevention:** and **Related Patterns:**. Be specific to the frames given."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(lines)}]
