"""Threads: CRUD, messages, batch population, export, state and actions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.body import json_response, read_json, read_limited
from local_gateway.api.thread_views import (
    actions_object,
    message_list,
    state_object,
    thread_object,
)
from local_gateway.services.npc.params import (
    parse_actions,
    parse_append,
    parse_batch,
    parse_export,
    parse_limit,
    parse_patch,
    parse_state,
    parse_thread,
)
from mg.errors import InvalidRequestError

if TYPE_CHECKING:
    from local_gateway.store.thread_records import MessageRecord

routes = web.RouteTableDef()


async def _body(request: web.Request) -> Any:
    return await read_json(request, request.app[SERVICES].settings.npc_body_limit)


# Collection actions share the shape of /v1/threads/{thread_id}; another method on them is a
# 405 (they take POST only), not a thread named "batch" that is not found.
_COLLECTION_ACTIONS = ("batch", "export", "group")


def _thread_id(request: web.Request) -> str:
    thread_id = request.match_info["thread_id"]
    if thread_id in _COLLECTION_ACTIONS and request.path.rstrip("/").endswith(thread_id):
        raise web.HTTPMethodNotAllowed(request.method, ["POST"])
    return thread_id


@routes.post("/v1/threads")
async def create_thread(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    spec = parse_thread(await _body(request))
    thread = await services.threads.create(principal, spec)
    return json_response(thread_object(thread))


@routes.get("/v1/threads")
async def list_threads(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    q = request.query
    rows, has_more = await services.threads.list(
        principal.developer_id,
        npc_id=q.get("npc_id") or None,
        player_id=q.get("player_id") or None,
        limit=parse_limit(q.get("limit")),
        before=q.get("before") or None,
    )
    return json_response(
        {
            "object": "list",
            "data": [thread_object(t) for t in rows],
            "has_more": has_more,
            "next_before": rows[-1].id if rows and has_more else None,
        }
    )


@routes.post("/v1/threads/batch")
async def batch_threads(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    specs = parse_batch(await _body(request))
    results = await services.threads.batch(principal, specs)
    return json_response(
        {
            "object": "list",
            "data": [dict(thread_object(t), created=created) for t, created in results],
            "created": sum(1 for _, c in results if c),
            "updated": sum(1 for _, c in results if not c),
        }
    )


@routes.post("/v1/threads/export")
async def export_threads(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    raw = await read_limited(request, services.settings.completion_body_limit)
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequestError("The request body is not valid JSON.") from exc
    spec = parse_export(body)
    jsonl = spec.format == "jsonl"
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/jsonl; charset=utf-8" if jsonl else "application/json",
            "Content-Disposition": f'attachment; filename="threads.{spec.format}"',
            "X-Request-Id": request["request_id"],
        }
    )
    await response.prepare(request)
    async for chunk in services.export.stream(principal, spec):
        await response.write(chunk)
    await response.write_eof()
    return response


@routes.get("/v1/threads/{thread_id}")
async def get_thread(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    thread_id = _thread_id(request)
    principal = await authenticate(request)
    thread = await services.threads.get(principal.developer_id, thread_id)
    return json_response(thread_object(thread, await services.threads.memory(thread)))


@routes.patch("/v1/threads/{thread_id}")
async def patch_thread(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    thread_id = _thread_id(request)
    principal = await authenticate(request)
    patch = parse_patch(await _body(request))
    thread = await services.threads.update(principal, thread_id, patch)
    return json_response(thread_object(thread))


@routes.delete("/v1/threads/{thread_id}")
async def delete_thread(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    thread_id = _thread_id(request)
    principal = await authenticate(request)
    await services.threads.delete(principal.developer_id, thread_id)
    return json_response({"id": thread_id, "object": "thread.deleted", "deleted": True})


@routes.get("/v1/threads/{thread_id}/messages")
async def list_messages(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    q = request.query
    order = q.get("order", "asc")
    if order not in ("asc", "desc"):
        raise InvalidRequestError(f"'order' must be 'asc' or 'desc', got {order!r}.")
    rows, has_more = await services.threads.messages(
        principal.developer_id,
        _thread_id(request),
        limit=parse_limit(q.get("limit")),
        descending=order == "desc",
        after=q.get("after") or None,
        before=q.get("before") or None,
    )
    return json_response(message_list(rows, has_more))


@routes.post("/v1/threads/{thread_id}/messages")
async def append_messages(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    messages = parse_append(await _body(request))
    # Annotated: inside the service's class, `list[...]` in its return type names its `list` method.
    stored: list[MessageRecord] = await services.threads.append(principal, _thread_id(request), messages)
    return json_response(
        {
            "object": "list",
            "thread_id": _thread_id(request),
            "added": len(stored),
            "first_id": stored[0].id,
            "last_id": stored[-1].id,
        }
    )


@routes.post("/v1/threads/{thread_id}/state")
async def post_state(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    state = parse_state(await _body(request))
    mode = request.query.get("mode", "merge")
    scope = request.query.get("scope")  # world | player; the thread's own when left out
    view = await services.threads.set_state(principal, _thread_id(request), state, mode, scope)
    return json_response(state_object(view))


@routes.get("/v1/threads/{thread_id}/state")
async def get_state(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    view = await services.threads.get_state(principal.developer_id, _thread_id(request))
    return json_response(state_object(view))


@routes.put("/v1/threads/{thread_id}/actions")
async def put_actions(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    actions = parse_actions(await _body(request))
    thread = await services.threads.set_actions(principal, _thread_id(request), actions)
    return json_response(actions_object(thread))


@routes.get("/v1/threads/{thread_id}/actions")
async def get_actions(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    thread = await services.threads.get(principal.developer_id, _thread_id(request))
    return json_response(actions_object(thread))
