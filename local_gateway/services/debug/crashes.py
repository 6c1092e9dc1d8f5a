"""Crash reports in: store what was sent, process minidumps off the request path, group them.

* An inline stack trace (JSON) is fingerprinted and grouped at once.
* A minidump is streamed to the blob store (by :mod:`local_gateway.api.uploads`), checked for
  the ``MDMP`` magic, kept once per content hash, and processed by the ``crash.process`` job:
  the crash reads ``processing`` until the job sets ``processed`` (or ``failed``, with the
  reason). Uploading symbols a processed crash lacked queues it again (:meth:`symbols_arrived`).
* When the blob store cannot take the dump, the metadata is stored all the same and the caller
  answers 503 (the spec's contract), so nothing the game sent about the crash is lost.

Grouping and triage state live in :mod:`.crash_groups`.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.debug import crash_groups
from local_gateway.services.debug.crash import (
    MappingSymbolSource,
    MinidumpError,
    ProcessedCrash,
    fingerprint_stack_trace,
    process_minidump,
)
from local_gateway.services.debug.crash.dump import parse_minidump
from local_gateway.services.debug.crash_params import CrashMeta, Frame
from local_gateway.services.jobs import JobQueue, JobRecord
from local_gateway.store import crashes as store
from local_gateway.store import symbols as symbol_store
from local_gateway.store.blobs import BlobStore, BlobStoreUnavailable, StagedBlob
from local_gateway.store.crash_records import CrashRecord
from local_gateway.store.db import Database, Session
from local_gateway.store.records import SymbolRecord
from mg.debugfiles import is_minidump
from mg.debugfiles.ids import base_name
from mg.errors import InvalidRequestError, ServiceUnavailableError

log = logging.getLogger("mg.gateway.crashes")
PROCESS = "crash.process"
PROCESS_ATTEMPTS = 3
STORAGE_FAILED = "The minidump could not be stored (the blob store is unavailable); send it again."


def unstored_error(crash: CrashRecord) -> ServiceUnavailableError:
    """The spec's 503 for a crash whose metadata was kept but whose minidump was not."""
    return ServiceUnavailableError(
        f"{STORAGE_FAILED} The crash's metadata was stored as {crash.id}.",
        remediation=f"Retry the upload; {crash.id} keeps the report's fields.",
    )


@dataclass(frozen=True)
class Submission:
    crash: CrashRecord
    deduplicated: bool = False


class CrashService:
    def __init__(self, db: Database, blobs: BlobStore, clock: Clock, jobs: JobQueue) -> None:
        self.db = db
        self.blobs = blobs
        self.clock = clock
        self.jobs = jobs
        jobs.kinds.register(PROCESS, self.run_job, max_attempts=PROCESS_ATTEMPTS)

    # -- ingestion -------------------------------------------------------------------------

    async def submit_trace(self, developer_id: str, meta: CrashMeta, frames: Sequence[Frame]) -> CrashRecord:
        now = self.clock.now()
        fingerprint = fingerprint_stack_trace([f.key_text() for f in frames])
        title = next((f.function for f in frames if f.function), None)
        async with self.db.write() as session:
            crash = await store.add_crash(
                session,
                **self._base(developer_id, meta, "stack_trace", now),
                processing="processed",
                processed_at=now,
                fingerprint=fingerprint,
                title=title[:300] if title else None,
                stack_trace=[f.to_dict(i) for i, f in enumerate(frames)],
            )
            return await crash_groups.record(session, crash, now, first=True)

    async def submit_dump(
        self, developer_id: str, meta: CrashMeta, staged: StagedBlob, *, source: str = "minidump"
    ) -> Submission:
        """Keep a staged minidump (consumed either way) and queue its processing."""
        try:
            with staged.path.open("rb") as fh:
                head = fh.read(8)
            if not is_minidump(head):
                raise InvalidRequestError(
                    f"The uploaded file is not a minidump (it starts with {head[:4]!r}, not b'MDMP').",
                    remediation="Send the .dmp file Breakpad or Crashpad wrote, in the field "
                    "upload_file_minidump; or send a JSON stack_trace instead.",
                )
            now = self.clock.now()
            try:
                return await self._keep_dump(developer_id, meta, staged, source, now)
            except BlobStoreUnavailable:
                crash = await self.submit_unstored(developer_id, meta, source=source)
                raise unstored_error(crash) from None
        finally:
            await self.blobs.discard(staged)

    async def _keep_dump(
        self, developer_id: str, meta: CrashMeta, staged: StagedBlob, source: str, now: Any
    ) -> Submission:
        async with self.db.write() as session:
            original = await store.first_with_dump(session, developer_id, staged.sha256)
            if original is None:
                await symbol_store.lock_blob(session, staged.sha256, staged.size, now)
                await self.blobs.commit(staged)
            crash = await store.add_crash(
                session,
                **self._base(developer_id, meta, source, now),
                processing="processing",
                minidump_sha256=staged.sha256,
                minidump_size=staged.size,
                minidump_stored=True,
                duplicate_of=original.id if original else None,
            )
            await self._enqueue(session, crash)
        return Submission(crash, deduplicated=original is not None)

    async def submit_unstored(self, developer_id: str, meta: CrashMeta, *, source: str) -> CrashRecord:
        """The metadata of a crash whose minidump the blob store could not take."""
        now = self.clock.now()
        async with self.db.write() as session:
            return await store.add_crash(
                session,
                **self._base(developer_id, meta, source, now),
                processing="failed",
                processing_error=STORAGE_FAILED,
            )

    def _base(self, developer_id: str, meta: CrashMeta, source: str, now: Any) -> dict[str, Any]:
        return dict(
            id=new_id("crash"),
            developer_id=developer_id,
            source=source,
            game_id=meta.game_id,
            platform=meta.platform,
            version=meta.version,
            engine=meta.engine,
            build=meta.build,
            tags=dict(meta.tags),
            status="new",
            created_at=now,
            updated_at=now,
        )

    async def _enqueue(self, session: Session, crash: CrashRecord) -> None:
        payload = {"crash_id": crash.id, "developer_id": crash.developer_id}
        await self.jobs.enqueue(session, PROCESS, payload, dedupe_key=f"{PROCESS}:{crash.id}")

    # -- reprocessing ----------------------------------------------------------------------

    async def symbols_arrived(
        self, session: Session, developer_id: str, records: Sequence[SymbolRecord]
    ) -> None:
        """Called in the symbol upload's transaction: re-queue the crashes that lacked these."""
        modules = {(r.module_name.lower(), r.debug_id) for r in records}
        for crash_id in await store.crashes_missing(session, developer_id, modules):
            crash = await store.update_crash(
                session, developer_id, crash_id, processing="processing", updated_at=self.clock.now()
            )
            if crash is not None:
                await self._enqueue(session, crash)

    # -- processing ------------------------------------------------------------------------

    async def run_job(self, job: JobRecord) -> None:
        """The ``crash.process`` handler."""
        developer_id, crash_id = str(job.payload["developer_id"]), str(job.payload["crash_id"])
        try:
            await self.process(developer_id, crash_id)
        except Exception as exc:
            if job.attempts < job.max_attempts:
                raise
            log.exception("crash %s could not be processed", crash_id)
            await self._fail(developer_id, crash_id, f"Processing failed: {type(exc).__name__}.")

    async def process(self, developer_id: str, crash_id: str) -> CrashRecord | None:
        async with self.db.read() as session:
            crash = await store.get_crash(session, developer_id, crash_id)
        if crash is None or crash.minidump_sha256 is None or not crash.minidump_stored:
            return crash
        data = await asyncio.to_thread(self._read_blob, crash.minidump_sha256)
        try:
            modules = await asyncio.to_thread(_dump_modules, data)
            source = await self._symbols_for(developer_id, modules)
            processed = await asyncio.to_thread(process_minidump, data, source)
        except MinidumpError as exc:
            return await self._fail(developer_id, crash_id, f"Not a processable minidump: {exc}")
        return await self._processed(developer_id, crash_id, processed)

    def _read_blob(self, sha256: str) -> bytes:
        with self.blobs.open(sha256) as fh:
            return fh.read()

    async def _symbols_for(self, developer_id: str, modules: set[tuple[str, str]]) -> MappingSymbolSource:
        async with self.db.read() as session:
            records = await symbol_store.for_modules(session, developer_id, modules)
        files: dict[tuple[str, str], list[Any]] = {}
        for record in records:
            path = self.blobs.local_path(record.sha256)
            data: Any = path if path is not None else await asyncio.to_thread(self._read_blob, record.sha256)
            files.setdefault((record.module_name, record.debug_id), []).append(data)
        return MappingSymbolSource(files)

    async def _processed(
        self, developer_id: str, crash_id: str, processed: ProcessedCrash
    ) -> CrashRecord | None:
        now = self.clock.now()
        result = processed.to_dict()
        missing = set()
        for key in processed.missing_symbols:
            debug_file, _, debug_id = key.rpartition("/")
            missing.add((base_name(debug_file).lower(), debug_id))
        async with self.db.write() as session:
            before = await store.get_crash(session, developer_id, crash_id, lock=True)
            if before is None:
                return None
            crash = await store.update_crash(
                session,
                developer_id,
                crash_id,
                processing="processed",
                processing_error=None,
                processed_at=now,
                updated_at=now,
                result=result,
                fingerprint=processed.fingerprint,
                title=_title(processed),
                crash_reason=(processed.crash_reason or "")[:200] or None,
                platform=before.platform or processed.platform,
            )
            assert crash is not None
            await store.set_missing_symbols(session, developer_id, crash_id, missing)
            if missing and await symbol_store.for_modules(session, developer_id, missing):
                # Symbols arrived while this run was walking without them: run once more.
                await self._enqueue(session, crash)
            return await crash_groups.record(
                session, crash, now, previous=before.fingerprint, first=before.fingerprint is None
            )

    async def _fail(self, developer_id: str, crash_id: str, reason: str) -> CrashRecord | None:
        now = self.clock.now()
        async with self.db.write() as session:
            return await store.update_crash(
                session,
                developer_id,
                crash_id,
                processing="failed",
                processing_error=reason[:1000],
                processed_at=now,
                updated_at=now,
            )


def _dump_modules(data: bytes) -> set[tuple[str, str]]:
    """The (debug file, debug id) of every module in the dump: the symbols to look up."""
    try:
        dump = parse_minidump(data)
    except (MinidumpError, struct.error, IndexError, KeyError, ValueError, OverflowError, TypeError):
        return set()  # process_minidump says what is wrong with it
    return {
        (base_name(m.debug_file).lower(), m.debug_id) for m in dump.modules if m.debug_file and m.debug_id
    }


def _title(crash: ProcessedCrash) -> str | None:
    """The crashing thread's top in-app function, else its top named one, else the reason."""
    thread = crash.crashed_thread
    frames = thread.frames if thread else ()
    named = [f for f in frames if f.function]
    top = next((f for f in named if f.in_app), named[0] if named else None)
    title = top.function if top else crash.crash_reason
    return title[:300] if title else None
