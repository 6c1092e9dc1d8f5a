"""Group scenes, and directing an NPC to speak (templates are in :mod:`npc_templates`)."""

from __future__ import annotations

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate, authenticated
from local_gateway.api.body import json_response, read_json
from local_gateway.api.chat import respond
from local_gateway.api.thread_views import thread_object
from local_gateway.services.inference.params import parse_chat
from local_gateway.services.npc.params import parse_group, require_object

routes = web.RouteTableDef()


@routes.post("/v1/threads/group")
async def create_group(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    spec = parse_group(await read_json(request, services.settings.npc_body_limit))
    thread = await services.threads.create_group(principal, spec)
    return json_response(thread_object(thread))


@routes.post("/v1/threads/{thread_id}/speak")
async def speak(request: web.Request) -> web.StreamResponse:
    """Have an NPC of the thread answer: ``npc_id`` names it (else who was addressed, or whose turn it is)."""
    services = request.app[SERVICES]
    ctx = await authenticated(request)
    body = dict(require_object(await read_json(request, services.settings.completion_body_limit)))
    body.pop("thread_id", None)  # the path names the thread
    params = parse_chat(body, speak=True)
    outcome = await services.chat.speak(ctx, request.match_info["thread_id"], params)
    return await respond(request, outcome)
