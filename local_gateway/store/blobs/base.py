"""What every blob store shares: the interface, the staged upload, the content address.

An upload is first *staged* (streamed to a temporary local file with a size cap, hashed on the
way), the caller validates the staged file, then *commits* it to its content address or discards
it. A blob's only name is its SHA-256, so no name a client sends ever becomes a path or a key.
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


class BlobStoreUnavailable(OSError):
    """The backend (an S3 endpoint) did not answer or refused; nothing was changed by this call."""


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
        """The blob for reading (blocking: call it in a thread); FileNotFoundError when absent."""
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


class Stager:
    """Temporary files of uploads in one local directory (same filesystem as a disk store)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self._remove_stale()

    async def stage(self, chunks: AsyncIterable[bytes], max_size: int) -> StagedBlob:
        path = self.tmp / f"upload-{secrets.token_hex(12)}"
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

    async def discard(self, staged: StagedBlob) -> None:
        staged.path.unlink(missing_ok=True)

    def _remove_stale(self) -> None:
        cutoff = time.time() - _STALE_TMP_SECONDS
        for entry in self.tmp.iterdir():
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
