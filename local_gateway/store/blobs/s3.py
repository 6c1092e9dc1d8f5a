"""Blobs in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO) through obstore.

obstore binds the Rust ``object_store`` crate: one small wheel with no Python dependencies, a
native async API, streaming gets and multipart puts, and SigV4 URL signing, which is what
presigned uploads need (aiobotocore would bring botocore's ~80 MB and its own event loop glue).

Uploads are still staged on local disk first (validation reads the file), then put under
``<prefix>/sha256/ab/cd/<hash>``. Every call is bounded by short timeouts and few retries so an
unreachable endpoint answers :class:`BlobStoreUnavailable` in seconds, never a hang.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import S3Store

from local_gateway.store.blobs.base import BlobStoreUnavailable, StagedBlob, Stager, check_sha256

_INCOMING = "incoming/"
_READ_CHUNK = 1 << 20


def s3_store(url: str, environ: Mapping[str, str]) -> S3Store:
    """An obstore S3Store for ``s3://bucket/prefix`` with the usual AWS_* variables."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"MG_BLOB_URL must look like s3://bucket/prefix, not {url!r}")
    config: dict[str, Any] = {}
    for name, key in (
        ("AWS_ENDPOINT_URL", "endpoint"),
        ("AWS_REGION", "region"),
        ("AWS_ACCESS_KEY_ID", "access_key_id"),
        ("AWS_SECRET_ACCESS_KEY", "secret_access_key"),
        ("AWS_SESSION_TOKEN", "token"),
    ):
        if environ.get(name):
            config[key] = environ[name]
    config.setdefault("region", environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    endpoint = config.get("endpoint", "")
    client: Any = {
        "connect_timeout": timedelta(seconds=3),
        "timeout": timedelta(seconds=300),
        "allow_http": endpoint.startswith("http://"),
    }
    if endpoint:
        # MinIO, moto and most self-hosted endpoints serve buckets as paths, not host names.
        config["virtual_hosted_style_request"] = False
    retry: Any = {
        "max_retries": 2,
        "retry_timeout": timedelta(seconds=10),
        "backoff": {"init_backoff": timedelta(milliseconds=100), "max_backoff": timedelta(seconds=1)},
    }
    prefix = parts.path.strip("/") or None
    return S3Store(parts.netloc, prefix=prefix, client_options=client, retry_config=retry, **config)


class S3BlobStore:
    """Content-addressed blobs in a bucket; staging on local disk under ``staging``."""

    def __init__(self, store: S3Store, staging: Path) -> None:
        self.store = store
        self._stager = Stager(staging)

    @staticmethod
    def _key(sha256: str) -> str:
        check_sha256(sha256)
        return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    async def stage(self, chunks: AsyncIterable[bytes], max_size: int) -> StagedBlob:
        return await self._stager.stage(chunks, max_size)

    async def commit(self, staged: StagedBlob) -> None:
        try:
            # A put is atomic: readers see the whole object or none; same bytes, same key.
            await obstore.put_async(self.store, self._key(staged.sha256), staged.path)
        except Exception as exc:
            raise _unavailable(exc) from None

    async def discard(self, staged: StagedBlob) -> None:
        await self._stager.discard(staged)

    async def put_stream(self, chunks: AsyncIterable[bytes], max_size: int) -> tuple[str, int]:
        staged = await self.stage(chunks, max_size)
        try:
            await self.commit(staged)
        finally:
            await self.discard(staged)
        return staged.sha256, staged.size

    def open(self, sha256: str) -> BinaryIO:
        key = self._key(sha256)
        try:
            result = obstore.get(self.store, key)
        except (NotFoundError, FileNotFoundError):
            raise FileNotFoundError(sha256) from None
        except Exception as exc:
            raise _unavailable(exc) from None
        return io.BufferedReader(_StreamReader(iter(result.stream(_READ_CHUNK))), _READ_CHUNK)

    def local_path(self, sha256: str) -> Path | None:
        return None

    async def exists(self, sha256: str) -> bool:
        try:
            await obstore.head_async(self.store, self._key(sha256))
        except (NotFoundError, FileNotFoundError):
            return False
        except Exception as exc:
            raise _unavailable(exc) from None
        return True

    async def delete(self, sha256: str) -> None:
        await self._delete(self._key(sha256))

    async def _delete(self, key: str) -> None:
        try:
            await obstore.delete_async(self.store, key)
        except (NotFoundError, FileNotFoundError):
            pass
        except Exception as exc:
            raise _unavailable(exc) from None

    # -- uploads that go straight to the bucket ------------------------------------------------

    def presign_put(self, name: str, ttl: float) -> str:
        """A URL a client PUTs a file to without credentials; ``name`` is a server-made token hash."""
        return obstore.sign(self.store, "PUT", _INCOMING + check_sha256(name), timedelta(seconds=ttl))

    async def receive_direct(self, name: str, max_size: int) -> StagedBlob:
        """Stage what a client PUT to :meth:`presign_put`'s URL, then drop it from the bucket."""
        key = _INCOMING + check_sha256(name)
        try:
            result = await obstore.get_async(self.store, key)
        except (NotFoundError, FileNotFoundError):
            raise FileNotFoundError(name) from None
        except Exception as exc:
            raise _unavailable(exc) from None
        try:
            staged = await self._stager.stage(_chunks(result.stream(_READ_CHUNK)), max_size)
        finally:
            await self._delete(key)
        return staged


async def _chunks(stream: Any) -> Any:
    try:
        async for chunk in stream:
            yield bytes(chunk)
    except Exception as exc:
        raise _unavailable(exc) from None


def _unavailable(exc: Exception) -> BlobStoreUnavailable:
    if isinstance(exc, BlobStoreUnavailable):
        return exc
    # obstore's message may carry the endpoint and key; keep only the kind for callers.
    return BlobStoreUnavailable(f"the S3 blob store failed ({type(exc).__name__})")


class _StreamReader(io.RawIOBase):
    """A blocking file over obstore's chunk iterator, so readers stay memory-flat."""

    def __init__(self, chunks: Iterator[Any]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = bytes(next(self._chunks))
            except StopIteration:
                return 0
            except Exception as exc:
                raise _unavailable(exc) from None
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
