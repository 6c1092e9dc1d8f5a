"""Blobs as files under the data dir: the local default."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterable
from pathlib import Path
from typing import BinaryIO

from local_gateway.store.blobs.base import StagedBlob, Stager, check_sha256


class DiskBlobStore:
    """Blobs at ``<root>/sha256/ab/cd/<hash>``; staging files in ``<root>/tmp`` (same filesystem)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._stager = Stager(root / "tmp")
        (root / "sha256").mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    async def stage(self, chunks: AsyncIterable[bytes], max_size: int) -> StagedBlob:
        return await self._stager.stage(chunks, max_size)

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
        await self._stager.discard(staged)

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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
