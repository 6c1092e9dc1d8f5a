"""The blob store: content-addressed files (debug symbols, minidumps), on disk or in S3.

``MG_BLOB_URL`` chooses: unset keeps blobs under the data dir (:class:`DiskBlobStore`);
``s3://bucket/prefix`` puts them in a bucket (:class:`S3BlobStore`, endpoint, region and
credentials from ``AWS_*``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from local_gateway.store.blobs.base import (
    BlobStore,
    BlobStoreUnavailable,
    SizeLimitExceeded,
    StagedBlob,
    check_sha256,
)
from local_gateway.store.blobs.disk import DiskBlobStore

__all__ = [
    "BlobStore",
    "BlobStoreUnavailable",
    "DiskBlobStore",
    "SizeLimitExceeded",
    "StagedBlob",
    "check_sha256",
    "open_blob_store",
]


def open_blob_store(url: str | None, data_dir: Path, environ: Mapping[str, str]) -> BlobStore:
    if not url:
        return DiskBlobStore(data_dir / "blobs")
    from local_gateway.store.blobs.s3 import S3BlobStore, s3_store

    return S3BlobStore(s3_store(url, environ), data_dir / "blobs" / "tmp")
