"""The symbol server: ``/symbols/…`` (Breakpad, symsrv, SSQP) and ``/buildid/…`` (debuginfod).

Outside /v1 because the clients build these paths themselves. They authenticate with the API key
as a Bearer token or as the password of HTTP basic auth (symsrv and debuginfod clients can only
send the latter, e.g. ``http://mg:<key>@host/symbols``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import IO

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.middleware import RESPONSE_HEADERS
from local_gateway.services.debug.symbol_server import is_probe
from local_gateway.store.records import SymbolRecord
from mg.errors import NotFoundError

routes = web.RouteTableDef()
_CHUNK = 256 * 1024
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="mg symbols", charset="UTF-8"'}


async def _principal_id(request: web.Request) -> str:
    # Sent with a 401 so that clients holding credentials (libcurl, symsrv) answer the challenge.
    request[RESPONSE_HEADERS] = dict(_CHALLENGE)
    principal = await authenticate(request, consume=False)
    return principal.developer_id


def _not_found(what: str) -> NotFoundError:
    return NotFoundError(
        f"No symbols at {what}.", remediation="Upload them with mg symbols upload <build dir>."
    )


async def _send(request: web.Request, record: SymbolRecord) -> web.StreamResponse:
    blobs = request.app[SERVICES].blobs
    headers = {
        "Content-Type": "application/octet-stream",
        "Cache-Control": "private, max-age=3600",
        "X-Symbol-Id": record.id,
    }
    path = blobs.local_path(record.sha256)
    if path is not None:
        return web.FileResponse(path, headers=headers)
    try:
        fh = await asyncio.to_thread(blobs.open, record.sha256)
    except FileNotFoundError:
        raise _not_found(request.path) from None
    response = web.StreamResponse(headers=dict(headers, **{"Content-Length": str(record.size)}))
    await response.prepare(request)
    try:
        async for chunk in _read(fh):
            await response.write(chunk)
    finally:
        fh.close()
    await response.write_eof()
    return response


async def _read(fh: IO[bytes]) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(fh.read, _CHUNK):
        yield chunk


@routes.get("/symbols/{first}/{key}/{name}")
async def symbol_file(request: web.Request) -> web.StreamResponse:
    developer_id = await _principal_id(request)
    first, key, name = (request.match_info[k] for k in ("first", "key", "name"))
    if is_probe(name):
        raise _not_found(request.path)
    record = await request.app[SERVICES].symbol_server.resolve(developer_id, first, key, name)
    if record is None:
        raise _not_found(request.path)
    return await _send(request, record)


@routes.get("/buildid/{build_id}/{kind}")
async def debuginfod(request: web.Request) -> web.StreamResponse:
    developer_id = await _principal_id(request)
    build_id, kind = request.match_info["build_id"], request.match_info["kind"]
    if kind not in ("debuginfo", "executable"):
        raise _not_found(request.path)
    record = await request.app[SERVICES].symbol_server.build_id(developer_id, build_id, kind)
    if record is None:
        raise _not_found(request.path)
    return await _send(request, record)


@routes.get("/buildid/{build_id}/source/{path:.*}")
async def debuginfod_source(request: web.Request) -> web.StreamResponse:
    await _principal_id(request)
    # Sources are not stored (no format read here embeds them); say so quickly.
    raise _not_found(request.path)
