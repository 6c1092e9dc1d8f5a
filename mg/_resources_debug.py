"""Debug namespaces: symbols, crash reports and their analysis, debug sessions, for both clients.

Same pattern as :mod:`mg._resources`: each method describes one request of the API reference
(Debug Symbols, Crash Reports, Crash Analysis, Debug Sessions) and the client performs it; the
async namespaces at the end reuse the same functions (:func:`async_twin`).
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
        """``PUT`` the file's bytes to the ``upload_url`` of :meth:`presign`.

        When the gateway's blob store is S3 the URL is the bucket's (a presigned PUT, no API key
        sent) and the answer is empty: then call :meth:`complete_presigned` with ``complete_url``.
        Otherwise the gateway stores the file and answers with the symbol (the token is spent).
        """
        path = urlsplit(upload_url).path
        if path.startswith(f"{self._BASE}/upload/"):  # the gateway's own route
            return self._client._request("PUT", path, cast=_json, content=content)
        return self._client._request("PUT", upload_url, cast=_json, content=content)

    def complete_presigned(self, complete_url: str) -> JSON:
        """``POST`` the ``complete_url`` of :meth:`presign` after the bytes went to S3: the stored
        symbol with ``status`` (the token is spent)."""
        return self._client._request("POST", urlsplit(complete_url).path, cast=_json)

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


class AsyncSymbols(AsyncResource):
    __doc__ = Symbols.__doc__
    _BASE = Symbols._BASE
    upload = async_twin(Symbols.upload)
    presign = async_twin(Symbols.presign)
    upload_presigned = async_twin(Symbols.upload_presigned)
    complete_presigned = async_twin(Symbols.complete_presigned)
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


__all__ = [
    "CRASH_STATUSES",
    "AsyncCrashes",
    "AsyncDebug",
    "AsyncDebugSessions",
    "AsyncSymbols",
    "Crashes",
    "Debug",
    "DebugSessions",
    "Symbols",
]
