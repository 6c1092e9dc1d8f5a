"""The /v1/debug/symbols calls the symbols commands make, over httpx.

This is the seam to the SDK: each method here is what ``MonsterClient.symbols`` offers once the
client lands (same names, same return shapes), so the commands switch by swapping this object.
Errors come back as :mod:`mg.errors` classes parsed from the gateway's envelope.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from mg.errors import MonsterError, ServiceUnavailableError, from_envelope

DIRECT_LIMIT = 10 * 2**20
DEFAULT_BASE_URL = "http://127.0.0.1:8787"
_CHUNK = 1 << 20


def _error(response: httpx.Response) -> MonsterError:
    try:
        body = response.json()
    except ValueError:
        body = None
    return from_envelope(response.status_code, body)


class SymbolsApi:
    """Debug-symbol endpoints of one gateway, with retries of retryable failures."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        max_retries: int = 3,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.max_retries = max_retries
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=10.0),
            transport=transport,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SymbolsApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, send: Callable[[], httpx.Response], ok: tuple[int, ...] = (200, 201)) -> Any:
        attempt = 0
        while True:
            try:
                response = send()
            except httpx.TransportError as exc:
                error: MonsterError = ServiceUnavailableError(
                    f"Cannot reach the gateway at {self._http.base_url}: {exc}.",
                    remediation="Check --base-url / MG_BASE_URL, or start one with mg gateway serve.",
                )
            else:
                if response.status_code in ok:
                    return response.json()
                error = _error(response)
            if not error.is_retryable or attempt >= self.max_retries:
                raise error
            attempt += 1
            time.sleep(min(error.retry_after or 2 ** (attempt - 1), 30))

    # -- the SDK surface -------------------------------------------------------------------

    def check(self, hashes: list[str]) -> set[str]:
        """Which of these content hashes the server already holds for this account."""
        present: set[str] = set()
        for start in range(0, len(hashes), 1000):
            batch = hashes[start : start + 1000]
            body = self._call(lambda b=batch: self._http.post("/v1/debug/symbols/check", json={"sha256": b}))
            present.update(body["present"])
        return present

    def upload(
        self, path: Path, fields: Mapping[str, str], progress: Callable[[int], None] | None = None
    ) -> dict[str, Any]:
        """Upload one file: multipart up to 10 MB, a presigned PUT above (a new token per try)."""
        size = path.stat().st_size
        query = {"overwrite": "true"} if fields.get("overwrite") else None
        if size <= DIRECT_LIMIT:

            def direct() -> httpx.Response:
                with path.open("rb") as fh:
                    files = {"file": (fields.get("file_name") or path.name, fh, "application/octet-stream")}
                    data = {k: v for k, v in fields.items() if k != "overwrite"}
                    response = self._http.post(
                        "/v1/debug/symbols/upload", files=files, data=data, params=query
                    )
                if progress is not None and response.status_code < 300:
                    progress(size)
                return response

            return self._call(direct)

        def presigned() -> httpx.Response:
            signed = self._call(
                lambda: self._http.post(
                    "/v1/debug/symbols/presign", json=dict(fields, size=size), params=query
                )
            )
            return self._http.put(
                signed["upload_url"],
                content=_read_chunks(path, progress),
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            )

        return self._call(presigned)

    def lookup(self, module_name: str, debug_id: str) -> list[dict[str, Any]]:
        params = {"module_name": module_name, "debug_id": debug_id}
        return self._call(lambda: self._http.get("/v1/debug/symbols/lookup", params=params))["data"]

    def list(self, limit: int = 50, after: str | None = None, **filters: str | None) -> dict[str, Any]:
        params = {"limit": limit, **({"after": after} if after else {})}
        params.update({k: v for k, v in filters.items() if v})
        return self._call(lambda: self._http.get("/v1/debug/symbols", params=params))

    def iter_all(self, **filters: str | None) -> Iterator[dict[str, Any]]:
        after = None
        while True:
            page = self.list(limit=100, after=after, **filters)
            yield from page["data"]
            if not page["has_more"] or not page["data"]:
                return
            after = page["data"][-1]["id"]

    def delete(self, symbol_id: str) -> dict[str, Any]:
        return self._call(lambda: self._http.delete(f"/v1/debug/symbols/{symbol_id}"))


def _read_chunks(path: Path, progress: Callable[[int], None] | None) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if progress is not None:
                progress(len(chunk))
            yield chunk


def from_environment(api_key: str | None, base_url: str | None) -> tuple[str, str | None]:
    """Base URL and key from flags, then ``MG_BASE_URL`` / ``MG_API_KEY``, then the local gateway."""
    return (
        base_url or os.environ.get("MG_BASE_URL") or DEFAULT_BASE_URL,
        api_key or os.environ.get("MG_API_KEY") or None,
    )
