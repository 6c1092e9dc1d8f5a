"""Key management for the portal and the CLI: /portal/api/keys…, /portal/api/tokens…,
/v1/keys/health. Authenticated by an API key, a personal access token or the portal's session
cookie (with its CSRF token to change anything)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from local_gateway import fastjson
from local_gateway.api.appkeys import SERVICES
from local_gateway.api.body import json_response, read_limited
from local_gateway.api.sessions import account_principal
from local_gateway.services.accounts.key_health import POLICY, KeyHealth, age_days, assess, key_status
from local_gateway.services.accounts.key_params import parse_new_key, parse_new_token, parse_rotate
from local_gateway.services.accounts.keys import NewKey, Principal
from local_gateway.store.records import KeyRecord
from mg.errors import InvalidRequestError
from mg.times import format_time

routes = web.RouteTableDef()
BODY_LIMIT = 4 * 1024


def _time(moment: datetime | None) -> str | None:
    return format_time(moment) if moment is not None else None


def key_object(key: KeyRecord, now: datetime) -> dict[str, Any]:
    return {
        "id": key.id,
        "object": "api_key",
        "name": key.name,
        "environment": key.environment,
        "prefix": key.prefix,
        "last4": key.last4,
        "display": key.display,
        "created_at": _time(key.created_at),
        "last_used_at": _time(key.last_used_at),
        "expires_at": _time(key.expires_at),
        "revoked_at": _time(key.revoked_at),
        "replaced_by": key.replaced_by,
        "status": key_status(key, now),
        "age_days": age_days(key, now),
        "health": assess(key, now).status,
    }


def token_object(token: KeyRecord) -> dict[str, Any]:
    return {
        "id": token.id,
        "object": "personal_access_token",
        "name": token.name,
        "prefix": token.prefix,
        "last4": token.last4,
        "display": token.display,
        "created_at": _time(token.created_at),
        "last_used_at": _time(token.last_used_at),
        "revoked_at": _time(token.revoked_at),
    }


def health_object(health: KeyHealth) -> dict[str, Any]:
    key = health.key
    return {
        "key_id": key.id,
        "name": key.name,
        "environment": key.environment,
        "display": key.display,
        "created_at": _time(key.created_at),
        "last_used_at": _time(key.last_used_at),
        "age_days": health.age_days,
        "status": health.status,
        "recommendation": health.recommendation,
    }


async def _body(request: web.Request) -> Any:
    """An empty body means "all defaults"."""
    raw = await read_limited(request, BODY_LIMIT)
    if not raw.strip():
        return None
    try:
        return fastjson.loads(raw)
    except ValueError as exc:
        raise InvalidRequestError("The request body is not valid JSON.") from exc


async def _caller(request: web.Request) -> Principal:
    return await account_principal(request)


def _created(new: NewKey, now: datetime, **extra: Any) -> web.Response:
    return json_response({**key_object(new.key, now), "key": new.api_key, **extra}, status=201)


@routes.get("/portal/api/keys")
async def list_keys(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await _caller(request)
    now = services.clock.now()
    keys = await services.keys.list_keys(principal.developer_id)
    return json_response({"object": "list", "data": [key_object(k, now) for k in keys]})


@routes.post("/portal/api/keys")
async def create_key(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await _caller(request)
    params = parse_new_key(await _body(request))
    new = await services.keys.create_for(principal.developer_id, params.environment, params.name)
    return _created(new, services.clock.now())


@routes.post("/portal/api/keys/rotate")
async def rotate_key(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await _caller(request)
    params = parse_rotate(await _body(request))
    key_id = params.key_id
    if key_id is None:
        if principal.is_pat:
            raise InvalidRequestError('Name the key to rotate: {"key_id": "key_…"} (a PAT is not a key).')
        key_id = principal.key.id
    new = await services.keys.rotate(principal.developer_id, key_id, params.grace)
    expires = new.replaced.expires_at if new.replaced is not None else None
    return _created(new, services.clock.now(), replaces=key_id, old_key_expires_at=_time(expires))


@routes.delete("/portal/api/keys/{key_id}")
async def revoke_key(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await _caller(request)
    key = await services.keys.revoke_for(principal.developer_id, request.match_info["key_id"])
    return json_response(key_object(key, services.clock.now()))


@routes.get("/portal/api/tokens")
async def list_tokens(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await _caller(request)
    tokens = await services.keys.list_pats(principal.developer_id)
    return json_response({"object": "list", "data": [token_object(t) for t in tokens]})


@routes.post("/portal/api/tokens")
async def create_token(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await _caller(request)
    new = await services.keys.create_pat(principal.developer_id, parse_new_token(await _body(request)))
    return json_response({**token_object(new.key), "token": new.api_key}, status=201)


@routes.delete("/portal/api/tokens/{token_id}")
async def revoke_token(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await _caller(request)
    token = await services.keys.revoke_pat(principal.developer_id, request.match_info["token_id"])
    return json_response(token_object(token))


@routes.get("/v1/keys/health")
async def keys_health(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await _caller(request)
    now = services.clock.now()
    policy = [
        {"max_age_days": limit, "status": status, "recommendation": recommendation}
        for limit, status, recommendation in POLICY
    ]
    body: dict[str, Any] = {
        "object": "key_health",
        "policy": policy,
        "keys": [health_object(h) for h in await services.keys.health(principal.developer_id)],
    }
    if not principal.is_pat:
        own = health_object(assess(principal.key, now))
        body.update({k: own[k] for k in ("key_id", "age_days", "status", "recommendation", "last_used_at")})
    return json_response(body)
