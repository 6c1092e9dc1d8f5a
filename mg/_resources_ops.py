"""Operations namespaces: debug symbols, crash reports and their analysis, usage, the request log
and credits, for both clients.

Same pattern as :mod:`mg._resources`: each method describes one request of the API reference
(Debug Symbols, Crash Reports, Crash Analysis, Usage, Billing & Credits) and the client performs
it; the async namespaces at the end reuse the same functions (:func:`async_twin`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from json import dumps as json_text
from typing import IO, Any
from urllib.parse import urlsplit

from mg._client_base import drop_none
from mg._resource_base import (
    JSON,
    AsyncClient,
    AsyncResource,
    JSONList,
    Resource,
    SyncClient,
    _json,
    _seg,
    _text,
    async_twin,
)

CRASH_STATUSES = ("new", "investigating", "resolved", "wont_fix")


class Symbols(Resource):
    """Debug symbols (``/v1/debug/symbols``): upload, de-duplicate, look up, list, remove.

    ``module_name``, ``debug_id``, ``platform`` and ``file_type`` of an upload may be left out
    for the gateway to read from the file itself.
    """

    _BASE = "/v1/debug/symbols"

    def upload(
        self,
        file: IO[bytes] | bytes,
        *,
        file_name: str,
        overwrite: bool = False,
        module_name: str | None = None,
        debug_id: str | None = None,
        platform: str | None = None,
        file_type: str | None = None,
    ) -> JSON:
        """``POST /upload`` (multipart, up to 10 MB): the stored symbol with ``status`` (created,
        unchanged or replaced)."""
        fields = {
            "file_name": file_name,
            "module_name": module_name,
            "debug_id": debug_id,
            "platform": platform,
            "file_type": file_type,
        }
        return self._client._request(
            "POST",
            f"{self._BASE}/upload",
            cast=_json,
            files={"file": (file_name, file, "application/octet-stream")},
            data=drop_none(fields),
            params={"overwrite": "true"} if overwrite else None,
        )

    def presign(
        self,
        *,
        size: int | None = None,
        overwrite: bool = False,
        file_name: str | None = None,
        module_name: str | None = None,
        debug_id: str | None = None,
        platform: str | None = None,
        file_type: str | None = None,
    ) -> JSON:
        """``POST /presign``: a one-time ``upload_url`` (valid 1 hour) for a file of up to 500 MB."""
        body = drop_none(
            {
                "size": size,
                "file_name": file_name,
                "module_name": module_name,
                "debug_id": debug_id,
                "platform": platform,
                "file_type": file_type,
            }
        )
        if overwrite:
            body["overwrite"] = True
        return self._send("POST", f"{self._BASE}/presign", body)

    def upload_presigned(self, upload_url: str, content: bytes | Iterable[bytes]) -> JSON:
        """``PUT`` the file's bytes to the ``upload_url`` of :meth:`presign` (the token is spent)."""
        return self._client._request("PUT", urlsplit(upload_url).path, cast=_json, content=content)

    def check(self, sha256: Sequence[str]) -> JSON:
        """``POST /check``: ``{"present": [...], "missing": [...]}`` among your symbols (≤ 1000)."""
        return self._send("POST", f"{self._BASE}/check", {"sha256": sha256})

    def lookup(self, module_name: str, debug_id: str) -> JSONList:
        """``GET /lookup``: every stored file of a module and debug id (case-insensitive)."""
        return self._list(f"{self._BASE}/lookup", module_name=module_name, debug_id=debug_id)

    def list(
        self,
        *,
        limit: int | None = None,
        after: str | None = None,
        module_name: str | None = None,
        debug_id: str | None = None,
        file_type: str | None = None,
    ) -> JSON:
        """``GET /v1/debug/symbols``: a page, newest first (``data``, ``has_more``)."""
        return self._get(
            self._BASE,
            limit=limit,
            after=after,
            module_name=module_name,
            debug_id=debug_id,
            file_type=file_type,
        )

    def get(self, symbol_id: str) -> JSON:
        return self._get(f"{self._BASE}/{_seg(symbol_id)}")

    def delete(self, symbol_id: str) -> JSON:
        return self._send("DELETE", f"{self._BASE}/{_seg(symbol_id)}")


class Crashes(Resource):
    """``/v1/debug/crashes``: crash reports, their trends by fingerprint, and their status."""

    def list(
        self,
        /,
        *,
        game_id: str | None = None,
        status: str | None = None,
        platform: str | None = None,
        version: str | None = None,
        fingerprint: str | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> JSONList:
        """``GET /v1/debug/crashes``: crash reports (at most 100 a page), newest first; ``after``
        is the last id of the previous page."""
        return self._list(
            "/v1/debug/crashes",
            game_id=game_id,
            status=status,
            platform=platform,
            version=version,
            fingerprint=fingerprint,
            limit=limit,
            after=after,
        )

    def submit(
        self,
        *,
        stack_trace: Sequence[str | dict[str, Any]],
        game_id: str | None = None,
        platform: str | None = None,
        version: str | None = None,
        engine: str | None = None,
        build: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> JSON:
        """``POST /v1/debug/crashes`` (JSON): a crash as a stack trace, innermost frame first
        (``"module!function"`` strings or ``{"function", "module", "file", "line"}``)."""
        body = drop_none(
            {
                "stack_trace": list(stack_trace),
                "game_id": game_id,
                "platform": platform,
                "version": version,
                "engine": engine,
                "build": build,
                "tags": tags,
            }
        )
        return self._send("POST", "/v1/debug/crashes", body)

    def submit_minidump(
        self,
        file: IO[bytes] | bytes,
        *,
        file_name: str = "crash.dmp",
        game_id: str | None = None,
        platform: str | None = None,
        version: str | None = None,
        engine: str | None = None,
        build: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> JSON:
        """``POST /v1/debug/crashes`` (multipart, up to 50 MB): a minidump. The answer comes
        before processing: poll :meth:`get` until ``processing`` is ``processed`` or ``failed``.
        ``deduplicated`` says the same dump was sent before."""
        fields = {
            "game_id": game_id,
            "platform": platform,
            "version": version,
            "engine": engine,
            "build": build,
        }
        data = drop_none(fields)
        if tags:
            data["tags"] = json_text(tags)
        return self._client._request(
            "POST",
            "/v1/debug/crashes",
            cast=_json,
            files={"upload_file_minidump": (file_name, file, "application/octet-stream")},
            data=data,
        )

    def get(self, crash_id: str) -> JSON:
        """``GET /v1/debug/crashes/{id}``: one report with its stack and minidump metadata."""
        return self._get(f"/v1/debug/crashes/{_seg(crash_id)}")

    def trends(
        self,
        *,
        game_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
    ) -> JSONList:
        """``GET /v1/debug/crashes/trends``: crash groups by fingerprint (count, first and last
        seen, platforms, versions, status, regression flag), most frequent first."""
        return self._list("/v1/debug/crashes/trends", game_id=game_id, since=since, until=until, limit=limit)

    def stats(self, *, game_id: str | None = None) -> JSON:
        """``GET /v1/debug/crashes/stats``: totals, status breakdown and velocity."""
        return self._get("/v1/debug/crashes/stats", game_id=game_id)

    def update(self, crash_id: str, *, status: str) -> JSON:
        """``PATCH /v1/debug/crashes/{id}``: ``status`` is one of :data:`CRASH_STATUSES`."""
        return self._send("PATCH", f"/v1/debug/crashes/{_seg(crash_id)}", {"status": status})


class DebugSessions(Resource):
    """``/v1/debug/sessions``: debug sessions (DAP integrations); ``archive`` is a soft delete."""

    def create(
        self,
        *,
        name: str,
        platform: str | None = None,
        engine: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> JSON:
        body = drop_none({"name": name, "platform": platform, "engine": engine, "metadata": metadata})
        return self._send("POST", "/v1/debug/sessions", body)

    def list(self, *, limit: int | None = None, after: str | None = None) -> JSONList:
        return self._list("/v1/debug/sessions", limit=limit, after=after)

    def get(self, session_id: str) -> JSON:
        return self._get(f"/v1/debug/sessions/{_seg(session_id)}")

    def archive(self, session_id: str) -> JSON:
        return self._send("DELETE", f"/v1/debug/sessions/{_seg(session_id)}")


class Debug(Resource):
    def __init__(self, client: SyncClient) -> None:
        super().__init__(client)
        self.crashes = Crashes(client)
        self.sessions = DebugSessions(client)

    def analyze(
        self,
        *,
        crash_id: str | None = None,
        stack_trace: list[str] | None = None,
        platform: str | None = None,
        engine: str | None = None,
        question: str | None = None,
    ) -> JSON:
        """``POST /v1/debug/analyze``: an AI analysis of a stored crash (``crash_id``) or of an
        inline ``stack_trace``; a stored crash moves to ``investigating``."""
        body = drop_none(
            {
                "crash_id": crash_id,
                "stack_trace": stack_trace,
                "platform": platform,
                "engine": engine,
                "question": question,
            }
        )
        return self._send("POST", "/v1/debug/analyze", body)


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
    """``/v1/billing``: the account's own spend caps."""

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


class AsyncSymbols(AsyncResource):
    __doc__ = Symbols.__doc__
    _BASE = Symbols._BASE
    upload = async_twin(Symbols.upload)
    presign = async_twin(Symbols.presign)
    upload_presigned = async_twin(Symbols.upload_presigned)
    check = async_twin(Symbols.check)
    lookup = async_twin(Symbols.lookup)
    list = async_twin(Symbols.list)
    get = async_twin(Symbols.get)
    delete = async_twin(Symbols.delete)


class AsyncCrashes(AsyncResource):
    __doc__ = Crashes.__doc__
    list = async_twin(Crashes.list)
    submit = async_twin(Crashes.submit)
    submit_minidump = async_twin(Crashes.submit_minidump)
    get = async_twin(Crashes.get)
    trends = async_twin(Crashes.trends)
    stats = async_twin(Crashes.stats)
    update = async_twin(Crashes.update)


class AsyncDebugSessions(AsyncResource):
    __doc__ = DebugSessions.__doc__
    create = async_twin(DebugSessions.create)
    list = async_twin(DebugSessions.list)
    get = async_twin(DebugSessions.get)
    archive = async_twin(DebugSessions.archive)


class AsyncDebug(AsyncResource):
    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client)
        self.crashes = AsyncCrashes(client)
        self.sessions = AsyncDebugSessions(client)

    analyze = async_twin(Debug.analyze)


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
    "CRASH_STATUSES",
    "AsyncBilling",
    "AsyncCrashes",
    "AsyncCredits",
    "AsyncDebug",
    "AsyncDebugSessions",
    "AsyncLogs",
    "AsyncPricing",
    "AsyncSymbols",
    "AsyncTelemetry",
    "AsyncUsage",
    "Billing",
    "Crashes",
    "Credits",
    "Debug",
    "DebugSessions",
    "Logs",
    "Pricing",
    "Symbols",
    "Telemetry",
    "Usage",
]
