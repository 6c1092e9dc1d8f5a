"""Debug symbols: validate an upload by its content, store it once, find it again.

An upload arrives as a :class:`StagedBlob` (already streamed to a temporary file under a size
cap). :meth:`SymbolService.store` reads the file's own identifiers with :mod:`mg.debugfiles`,
checks them against what the uploader declared, and only then moves the blob into the
content-addressed store and records one row per debug object (a universal Mach-O or a zip of
several dSYMs holds more than one).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.debug.symbol_params import UploadParams, platform_from_os
from local_gateway.store import events as event_store
from local_gateway.store import symbols as store
from local_gateway.store.blobs import BlobStore, BlobStoreUnavailable, SizeLimitExceeded, StagedBlob
from local_gateway.store.db import Conflict, Database, Session
from local_gateway.store.events import NewEvent
from local_gateway.store.records import SymbolRecord, UploadTokenRecord
from mg.debugfiles import DebugFileError, DebugFileInfo, detect_all, is_minidump
from mg.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
)

UploadStatus = Literal["created", "unchanged", "replaced"]
AfterUpload = Callable[[Session, str, Sequence[SymbolRecord]], Awaitable[None]]
TOKEN_PREFIX = "mgup_"
MAX_CHECK_HASHES = 1000
_TYPE_NAMES = {
    "sym": "a Breakpad .sym file",
    "pdb": "a PDB",
    "pe": "a PE executable or DLL",
    "elf": "an ELF file",
    "macho": "a Mach-O file",
    "dsym": "a zipped .dSYM bundle",
}


@dataclass(frozen=True)
class UploadOutcome:
    status: UploadStatus
    symbols: list[SymbolRecord]


@dataclass(frozen=True)
class PresignedUpload:
    token: str
    expires_at: datetime
    max_size: int
    # When the blob store is S3: a presigned PUT straight to the bucket (then POST …/complete).
    direct_url: str | None = None


@dataclass(frozen=True)
class _Planned:
    info: DebugFileInfo
    module_name: str
    slot: str
    existing: SymbolRecord | None


def slot_of(info: DebugFileInfo) -> str:
    """Which of the files sharing a module and debug id this one is (see ``SymbolFile.slot``)."""
    # A split debug file (ELF .debug, the DWARF file inside a .dSYM) has DWARF but no unwind
    # tables of its own: its code sections are empty.
    debug_only = "debug" in info.features and "unwind" not in info.features
    if info.file_type == "elf":
        return "debuginfo" if debug_only else "executable"
    if info.file_type == "macho" and debug_only:
        return "macho-dwarf"
    return info.file_type


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SymbolService:
    def __init__(
        self, db: Database, blobs: BlobStore, clock: Clock, presign_limit: int, presign_ttl: float
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.clock = clock
        self.presign_limit = presign_limit
        self.presign_ttl = presign_ttl
        # Called inside an upload's transaction with the records it stored (crash processing
        # re-queues the crashes that lacked them); set by the app.
        self.after_upload: AfterUpload | None = None

    # -- uploads ---------------------------------------------------------------------------

    async def store(self, developer_id: str, staged: StagedBlob, params: UploadParams) -> UploadOutcome:
        """Validate a staged upload and keep it; the staged file is consumed either way."""
        try:
            infos = await asyncio.to_thread(self._identify, staged, params)
            try:
                try:
                    return await self._record(developer_id, staged, params, infos)
                except Conflict:
                    # A concurrent upload filled the same slot first; the second pass sees its row.
                    return await self._record(developer_id, staged, params, infos)
            except BlobStoreUnavailable:
                raise blob_store_unavailable("The symbol file") from None
        finally:
            await self.blobs.discard(staged)

    def _identify(self, staged: StagedBlob, params: UploadParams) -> list[DebugFileInfo]:
        label = params.file_name or params.module_name or "the file"
        try:
            infos = detect_all(staged.path, name=params.module_name or params.file_name or "unnamed")
        except DebugFileError as exc:
            raise InvalidRequestError(
                f"{label} cannot be read as a debug file: {exc}",
                remediation="Upload the file exactly as the build wrote it; this one is damaged or cut.",
            ) from None
        if not infos:
            with staged.path.open("rb") as fh:
                head = fh.read(8)
            if is_minidump(head):
                message = f"{label} is a minidump (a crash report), not a debug file."
            else:
                message = f"{label} is not a debug file (its content starts with {head!r})."
            raise InvalidRequestError(
                message,
                remediation=(
                    "Upload a Breakpad .sym, PDB, PE, ELF, Mach-O or zipped .dSYM; "
                    "file types are recognised by content, not by name."
                ),
            )
        found = infos[0].file_type
        if params.file_type and params.file_type != found:
            raise InvalidRequestError(
                f"file_type is {params.file_type!r} but {label} is {_TYPE_NAMES[found]} ({found!r}).",
                remediation=f"Send file_type={found}, or leave file_type out to detect it.",
            )
        if params.debug_id:
            matching = [i for i in infos if i.debug_id == params.debug_id]
            if not matching:
                ids = ", ".join(sorted({i.debug_id or "none" for i in infos}))
                raise InvalidRequestError(
                    f"debug_id mismatch: declared {params.debug_id} but {label} has {ids}.",
                    remediation="Upload the file that belongs to this build, or leave debug_id out.",
                )
        missing = [i for i in infos if not i.debug_id]
        if missing:
            raise InvalidRequestError(
                f"{label} has no debug id ({found}), so no crash could ever be matched to it.",
                remediation="Build with debug ids (a CodeView record, a GNU build id, an LC_UUID).",
            )
        return infos

    async def _record(
        self, developer_id: str, staged: StagedBlob, params: UploadParams, infos: list[DebugFileInfo]
    ) -> UploadOutcome:
        now = self.clock.now()
        file_name = params.file_name or params.module_name or infos[0].debug_file or "unnamed"
        async with self.db.write() as session:
            planned = []
            for info in infos:
                module_name = (params.module_name or info.debug_file or file_name)[:255]
                slot = slot_of(info)
                assert info.debug_id is not None  # _identify refuses files without one
                existing = await store.in_slot(
                    session, developer_id, module_name.lower(), info.debug_id, slot
                )
                if existing and existing.sha256 != staged.sha256 and not params.overwrite:
                    raise ConflictError(
                        f"{module_name} {info.debug_id} ({slot}) is already stored with different "
                        f"content (sha256 {existing.sha256[:12]}…, this file {staged.sha256[:12]}…).",
                        remediation="Pass overwrite=true (mg symbols upload --overwrite) to replace it.",
                    )
                planned.append(_Planned(info, module_name, slot, existing))
            await store.lock_blob(session, staged.sha256, staged.size, now)
            # Under the blob lock: a concurrent delete cannot unlink what these rows will use.
            await self.blobs.commit(staged)
            results: list[SymbolRecord] = []
            statuses: set[UploadStatus] = set()
            stale: set[str] = set()
            for plan in planned:
                info, existing = plan.info, plan.existing
                fields = dict(
                    module_name=plan.module_name,
                    module_key=plan.module_name.lower(),
                    debug_id=info.debug_id,
                    slot=plan.slot,
                    file_type=info.file_type,
                    platform=params.platform or platform_from_os(info.os),
                    arch=info.arch,
                    code_id=info.code_id,
                    code_file=info.code_file,
                    code_key=info.code_id.lower() if info.code_id else None,
                    file_name=file_name,
                    features=sorted(info.features),
                    sha256=staged.sha256,
                    size=staged.size,
                    updated_at=now,
                )
                if existing is None:
                    record = await store.add_symbol(
                        session, id=new_id("sym"), developer_id=developer_id, created_at=now, **fields
                    )
                    statuses.add("created")
                elif existing.sha256 == staged.sha256:
                    results.append(existing)
                    statuses.add("unchanged")
                    continue
                else:
                    stale.add(existing.sha256)
                    record = await store.replace_symbol(session, developer_id, existing.id, **fields)
                    statuses.add("replaced")
                results.append(record)
                await event_store.append(
                    session, developer_id, [_symbol_event("symbols.uploaded", record, now)]
                )
            for sha256 in stale - {staged.sha256}:
                await self._drop_blob_if_unused(session, sha256)
            if self.after_upload is not None and results:
                await self.after_upload(session, developer_id, results)
        status: UploadStatus = (
            "created" if "created" in statuses else "replaced" if "replaced" in statuses else "unchanged"
        )
        return UploadOutcome(status, results)

    async def _drop_blob_if_unused(self, session: Session, sha256: str) -> None:
        if await store.lock_existing_blob(session, sha256) and not await store.blob_in_use(session, sha256):
            await store.delete_blob_row(session, sha256)
            await self.blobs.delete(sha256)

    # -- presigned uploads -----------------------------------------------------------------

    async def presign(self, developer_id: str, params: UploadParams, size: int | None) -> PresignedUpload:
        if size is not None and size > self.presign_limit:
            raise PayloadTooLargeError(
                f"size is {size} bytes; a presigned upload takes at most {self.presign_limit // 2**20} MB.",
                remediation="Strip the file or split the build's debug files.",
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.clock.now()
        expires = now + timedelta(seconds=self.presign_ttl)
        max_size = self.presign_limit if size is None else size
        async with self.db.write() as session:
            await store.add_token(
                session,
                token_hash=hash_token(token),
                developer_id=developer_id,
                params=params.to_dict(),
                max_size=max_size,
                created_at=now,
                expires_at=expires,
            )
        direct = getattr(self.blobs, "presign_put", None)
        url = direct(hash_token(token), self.presign_ttl) if direct is not None else None
        return PresignedUpload(token, expires, max_size, url)

    async def redeem(self, token: str) -> tuple[str, UploadParams, int]:
        """Spend a presigned token: (developer id, declared params, size cap). Single use."""
        digest = hash_token(token)
        now = self.clock.now()
        async with self.db.write() as session:
            found = await self._valid_token(session, token, now)
            if not await store.spend_token(session, digest, now):
                raise _token_error("This upload token was already used.", _TOKEN_REMEDIATION)
        return found.developer_id, UploadParams.from_dict(found.params), found.max_size

    async def complete(self, token: str) -> UploadOutcome:
        """Record the file a client PUT to the bucket through a presigned S3 URL."""
        # The token first: it is this route's only credential (401 before anything else).
        async with self.db.read() as session:
            found = await self._valid_token(session, token, self.clock.now())
        receive = getattr(self.blobs, "receive_direct", None)
        if receive is None:
            raise InvalidRequestError(
                "This gateway keeps blobs on its own disk: PUT the file to upload_url instead.",
                remediation="Send the file with PUT /v1/debug/symbols/upload/{token}; nothing to complete.",
            )
        try:
            staged: StagedBlob = await receive(hash_token(token), found.max_size)
        except FileNotFoundError:
            raise InvalidRequestError(
                "Nothing was uploaded to this token's upload_url yet.",
                remediation="PUT the file's bytes to upload_url first, then POST …/complete.",
            ) from None
        except SizeLimitExceeded:
            raise PayloadTooLargeError(
                f"The uploaded file is larger than the {found.max_size} bytes this token was made for.",
                remediation="Ask for a new upload URL with the file's real size.",
            ) from None
        except BlobStoreUnavailable:
            raise blob_store_unavailable("The uploaded file") from None
        try:
            developer_id, params, _ = await self.redeem(token)
        except BaseException:
            await self.blobs.discard(staged)
            raise
        return await self.store(developer_id, staged, params)

    async def _valid_token(self, session: Session, token: str, now: datetime) -> UploadTokenRecord:
        found = await store.get_token(session, hash_token(token)) if token.startswith(TOKEN_PREFIX) else None
        if found is None:
            raise _token_error("This upload token is not valid.", _TOKEN_REMEDIATION)
        if found.used_at is not None:
            raise _token_error("This upload token was already used.", _TOKEN_REMEDIATION)
        if found.expires_at <= now:
            raise _token_error("This upload token has expired.", _TOKEN_REMEDIATION)
        return found

    # -- reading and managing --------------------------------------------------------------

    async def missing(self, developer_id: str, hashes: list[str]) -> tuple[list[str], list[str]]:
        """Split content hashes into (present, missing) for this developer's symbols."""
        if len(hashes) > MAX_CHECK_HASHES:
            raise InvalidRequestError(f"sha256 lists at most {MAX_CHECK_HASHES} hashes per request.")
        async with self.db.read() as session:
            present = await store.present_hashes(session, developer_id, set(hashes))
        return [h for h in hashes if h in present], [h for h in hashes if h not in present]

    async def lookup(self, developer_id: str, module_name: str, debug_id: str) -> list[SymbolRecord]:
        async with self.db.read() as session:
            return await store.by_module(session, developer_id, module_name.lower(), debug_id)

    async def list(
        self,
        developer_id: str,
        limit: int,
        after: str | None = None,
        module_name: str | None = None,
        debug_id: str | None = None,
        file_type: str | None = None,
    ) -> tuple[list[SymbolRecord], bool]:
        async with self.db.read() as session:
            cursor = None
            if after:
                cursor = await store.get_symbol(session, developer_id, after)
                if cursor is None:
                    raise InvalidRequestError(f"after={after[:60]!r} is not one of your symbol ids.")
            rows = await store.list_symbols(
                session,
                developer_id,
                limit + 1,
                cursor,
                module_name.lower() if module_name else None,
                debug_id,
                file_type,
            )
        return rows[:limit], len(rows) > limit

    async def get(self, developer_id: str, symbol_id: str) -> SymbolRecord:
        async with self.db.read() as session:
            found = await store.get_symbol(session, developer_id, symbol_id)
        if found is None:
            raise NotFoundError(f"No symbol file {symbol_id[:60]!r}.")
        return found

    async def delete(self, developer_id: str, symbol_id: str) -> SymbolRecord:
        now = self.clock.now()
        async with self.db.write() as session:
            found = await store.get_symbol(session, developer_id, symbol_id)
            if found is None:
                raise NotFoundError(f"No symbol file {symbol_id[:60]!r}.")
            # Lock the blob before the row goes, in the same order an upload takes them.
            await store.lock_existing_blob(session, found.sha256)
            await store.delete_symbol(session, developer_id, symbol_id)
            await event_store.append(session, developer_id, [_symbol_event("symbols.deleted", found, now)])
            await self._drop_blob_if_unused(session, found.sha256)
        return replace(found, updated_at=now)


def _symbol_event(kind: str, symbol: SymbolRecord, now: datetime) -> NewEvent:
    data = {"symbol_id": symbol.id, "module_name": symbol.module_name, "debug_id": symbol.debug_id}
    return NewEvent(new_id("evt"), kind, data, now)


_TOKEN_REMEDIATION = "Ask for a new upload URL (POST /v1/debug/symbols/presign); each works once, for 1 hour."


def blob_store_unavailable(what: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"{what} could not be stored: the blob store is unavailable.",
        remediation="Retry in a moment; nothing was recorded.",
    )


def _token_error(message: str, remediation: str) -> AuthenticationError:
    return AuthenticationError(message, remediation=remediation)
