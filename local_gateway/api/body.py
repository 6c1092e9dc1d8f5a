"""Reading request bodies with a size cap enforced while reading, never after buffering."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import MultipartReader, web

from local_gateway import fastjson
from mg.errors import InvalidRequestError, PayloadTooLargeError

_CHUNK = 64 * 1024


async def read_limited(request: web.Request, limit: int, what: str = "request body") -> bytes:
    declared = request.content_length
    if declared is not None and declared > limit:
        raise PayloadTooLargeError(f"The {what} is {declared} bytes; the limit is {limit // 1024} KB.")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"The {what} exceeds the limit of {limit // 1024} KB.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request, limit: int) -> Any:
    raw = await read_limited(request, limit)
    if not raw.strip():
        raise InvalidRequestError("The request body is empty; send a JSON object.")
    try:
        return fastjson.loads(raw)
    except UnicodeDecodeError as exc:
        raise InvalidRequestError("The request body is not UTF-8 text.") from exc
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from exc


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=fastjson.dumps(data),
        status=status,
        headers=headers,
        content_type="application/json",
    )


async def open_multipart(request: web.Request, remediation: str) -> MultipartReader:
    """The form's reader; a multipart Content-Type without a usable boundary is the client's
    mistake (400), not a failure of the gateway (aiohttp raises KeyError/ValueError for it)."""
    try:
        return await request.multipart()
    except (KeyError, ValueError) as exc:
        raise InvalidRequestError(
            "The multipart/form-data Content-Type has no valid boundary.", remediation=remediation
        ) from exc
