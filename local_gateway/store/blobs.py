"""The blob store: content-addressed files (debug symbols now, minidumps later).

One interface, :class:`BlobStore`; :class:`DiskBlobStore` keeps blobs under the data dir. An
upload is first *staged* (streamed to a temporary file with a size cap, hashed on the way), the
caller validates the staged file, then *commits* it (atomic rename to its content address) or
discards it. A blob's only name is its SHA-256, so no name a client sends ever becomes a path.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

_SHA256 = re.compile(r"[0-9a-f]{64}")
# Chunks are gathered up to this size and written (and hashed) off the event loop.
_BATCH = 1 << 20
# Temporary files older than this at start-up belong to uploads that died with a process.
_STALE_TMP_SECONDS = 3600


class SizeLimitExceeded(Exception):
    """The stream went past ``max_size``; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StagedBlob:
    """A fully received upload, not yet in the store. ``path`` is readable for validation."""

    path: Path
    sha256: str
    size: int


class BlobStore(Protocol):
    async def stage(self, chunks: AsyncIterable[bytes], max_size: int) -> StagedBlob:
        """Receive a stream into a temporary file; :class:`SizeLimitExceeded` past ``max_size``."""
        ...

    async def commit(self, staged: StagedBlob) -> None:
        """Move a staged blob to its content address (atomic; a blob already there stays valid)."""
        ...

    async def discard(self, staged: StagedBlob) -> None: ...

    async def put_stream(self, chunks: AsyncIterable[bytes], max_size: int) -> tuple[str, int]:
        """Stage and commit in one go; returns (sha256, size)."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The blob for reading; FileNotFoundError when absent."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """A local file path for zero-copy serving, when the backend has one."""
        ...

    async def exists(self, sha256: str) -> bool: ...

    async def delete(self, sha256: str) -> None: ...


def check_sha256(sha256: object) -> str:
    # Callers pass what a client sent, so anything may arrive here.
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError("a blob is addressed by 64 lower-case hex digits")
    return sha256


class DiskBlobStore:
    """Blobs at ``<root>/sha256/ab/cd/<hash>``; staging files in ``<root>/tmp`` (same filesystem)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        (root / "sha256").mkdir(parents=True, exist_ok=True)
        self._remove_stale_tmp()

    def _path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    async def stage(self, chunks: AsyncIterable[bytes], max_size: int) -> StagedBlob:
        path = self._tmp / f"upload-{secrets.token_hex(12)}"
        digest = hashlib.sha256()
        size = 0
        out = _Staging(path, digest)
        try:
            buffer = bytearray()
            async for chunk in chunks:
                size += len(chunk)
                if size > max_size:
                    raise SizeLimitExceeded(max_size)
                buffer += chunk
                if len(buffer) >= _BATCH:
                    await asyncio.to_thread(out.write, bytes(buffer))
                    buffer.clear()
            # One trip to a thread for a small upload: open, write, fsync, close. The blob must
            # survive a crash once an upload is acknowledged.
            await asyncio.to_thread(out.finish, bytes(buffer))
        except BaseException:
            out.close()
            path.unlink(missing_ok=True)
            raise
        return StagedBlob(path, digest.hexdigest(), size)

    async def commit(self, staged: StagedBlob) -> None:
        await asyncio.to_thread(self._commit, staged)

    def _commit(self, staged: StagedBlob) -> None:
        target = self._path(staged.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Replacing an existing blob with identical bytes is harmless and keeps rename atomic.
        try:
            os.replace(staged.path, target)
        except FileNotFoundError:
            if not target.is_file():  # already committed by an earlier attempt
                raise
        _fsync_dir(target.parent)

    async def discard(self, staged: StagedBlob) -> None:
        staged.path.unlink(missing_ok=True)

    async def put_stream(self, chunks: AsyncIterable[bytes], max_size: int) -> tuple[str, int]:
        staged = await self.stage(chunks, max_size)
        await self.commit(staged)
        return staged.sha256, staged.size

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def local_path(self, sha256: str) -> Path | None:
        path = self._path(sha256)
        return path if path.is_file() else None

    async def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    async def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)

    def _remove_stale_tmp(self) -> None:
        cutoff = time.time() - _STALE_TMP_SECONDS
        for entry in self._tmp.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
            except OSError:
                pass


class _Staging:
    """The temporary file of one upload, opened on the first write (in a worker thread)."""

    def __init__(self, path: Path, digest: hashlib._Hash) -> None:
        self.path = path
        self.digest = digest
        self.fh: BinaryIO | None = None

    def write(self, data: bytes) -> None:
        if self.fh is None:
            self.fh = open(self.path, "xb")  # noqa: SIM115 (closed by finish/close)
        if data:
            self.digest.update(data)
            self.fh.write(data)

    def finish(self, data: bytes) -> None:
        self.write(data)
        assert self.fh is not None
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
