"""/v1/debug/sessions: create, list, get, archive (a soft delete)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.body import json_response, read_json
from local_gateway.services.debug.crash_params import parse_limit
from local_gateway.services.debug.sessions import MAX_BODY
from local_gateway.store.crash_records import DebugSessionRecord
from mg.errors import InvalidRequestError
from mg.times import format_time

routes = web.RouteTableDef()


def session_json(record: DebugSessionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "object": "debug.session",
        "name": record.name,
        "platform": record.platform,
        "engine": record.engine,
        "metadata": record.metadata,
        "created_at": format_time(record.created_at),
        "updated_at": format_time(record.updated_at),
        "archived": record.archived_at is not None,
    }


@routes.post("/v1/debug/sessions")
async def create(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    body = await read_json(request, MAX_BODY)
    if not isinstance(body, dict):
        raise InvalidRequestError("The body must be a JSON object.")
    record = await services.debug_sessions.create(principal.developer_id, body)
    return json_response(session_json(record), status=201)


@routes.get("/v1/debug/sessions")
async def list_sessions(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    limit = parse_limit(request.query.get("limit"), 20, 100)
    rows, has_more = await services.debug_sessions.list_sessions(
        principal.developer_id, limit, request.query.get("after") or None
    )
    return json_response({"object": "list", "data": [session_json(r) for r in rows], "has_more": has_more})


@routes.get("/v1/debug/sessions/{session_id}")
async def get_session(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    record = await services.debug_sessions.get(principal.developer_id, request.match_info["session_id"])
    return json_response(session_json(record))


@routes.delete("/v1/debug/sessions/{session_id}")
async def archive(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    record = await services.debug_sessions.archive(principal.developer_id, request.match_info["session_id"])
    return json_response({**session_json(record), "deleted": True})
