"""NPC templates: the built-in ones (public) and a developer's own (create, version, delete).

Reading is public: an anonymous caller sees the built-ins, a caller with a key sees its own
templates too. ``?dry_run=true`` on POST, PUT and PATCH checks the body and answers the
template as it would be stored, storing nothing (``mg npc template diff`` shows that).
"""

from __future__ import annotations

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate, optional_principal
from local_gateway.api.body import json_response, read_json
from local_gateway.services.npc.template_params import parse_template
from mg.errors import InvalidRequestError

routes = web.RouteTableDef()


def _dry_run(request: web.Request) -> bool:
    raw = request.query.get("dry_run", "false").lower()
    if raw not in ("true", "1", "false", "0"):
        raise InvalidRequestError(f"'dry_run' must be true or false, got {raw!r}.")
    return raw in ("true", "1")


async def _body(request: web.Request) -> object:
    return await read_json(request, request.app[SERVICES].settings.npc_body_limit)


@routes.get("/v1/npc/templates")
async def list_templates(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await optional_principal(request)
    raw = request.query.get("tags", "")
    tags = [t.strip() for t in raw.split(",") if t.strip()]
    templates = await services.templates.list(principal.developer_id if principal else None, tags)
    return json_response({"object": "list", "data": [t.summary() for t in templates]})


@routes.post("/v1/npc/templates")
async def create_template(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    given = parse_template(await _body(request))
    template = await services.templates.create(principal, given, dry_run=_dry_run(request))
    return json_response(template.detail())


@routes.get("/v1/npc/templates/{template_id}")
async def get_template(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await optional_principal(request)
    developer_id = principal.developer_id if principal else None
    template = await services.templates.get(developer_id, request.match_info["template_id"])
    return json_response(template.detail())


async def _update(request: web.Request, partial: bool) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    template_id = request.match_info["template_id"]
    given = parse_template(await _body(request), path_id=template_id, partial=partial)
    template = await services.templates.update(
        principal, template_id, given, partial=partial, dry_run=_dry_run(request)
    )
    return json_response(template.detail())


@routes.put("/v1/npc/templates/{template_id}")
async def replace_template(request: web.Request) -> web.Response:
    """The whole template (fields left out take their defaults); a change makes a new version."""
    return await _update(request, partial=False)


@routes.patch("/v1/npc/templates/{template_id}")
async def patch_template(request: web.Request) -> web.Response:
    """The fields given; ``null`` resets an optional one."""
    return await _update(request, partial=True)


@routes.delete("/v1/npc/templates/{template_id}")
async def delete_template(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    template_id = request.match_info["template_id"]
    await services.templates.delete(principal, template_id)
    return json_response({"id": template_id, "object": "npc.template.deleted", "deleted": True})
