"""Webhook endpoints and delivery logs: /v1/webhooks…"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.body import json_response, read_json
from local_gateway.services.webhooks import DeliveryView
from local_gateway.services.webhooks.params import parse_create, parse_limit, parse_status, parse_update
from local_gateway.services.webhooks.service import endpoint_times
from local_gateway.store.webhooks import EndpointRecord
from mg.times import format_time

routes = web.RouteTableDef()
BODY_LIMIT = 64 * 1024


def webhook_object(endpoint: EndpointRecord, *, secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": endpoint.id,
        "object": "webhook",
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "status": endpoint.status,
        "enabled": endpoint.status == "enabled",
        "disabled_reason": endpoint.disabled_reason,
        "environment": endpoint.environment,
        **endpoint_times(endpoint),
    }
    if secret:
        out["secret"] = endpoint.secret
    return out


def delivery_object(view: DeliveryView) -> dict[str, Any]:
    d = view.delivery
    return {
        "id": d.id,
        "object": "webhook.delivery",
        "webhook_id": d.webhook_id,
        "event_id": d.event_id,
        "event": d.event_type,
        "thread_id": d.thread_id,
        "status": d.status,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "next_attempt_at": format_time(d.next_attempt_at)
        if d.status == "pending" and d.next_attempt_at
        else None,
        "redelivery_of": d.redelivery_of,
        "created_at": format_time(d.created_at),
        "finished_at": format_time(d.finished_at) if d.finished_at else None,
        "attempt_log": [
            {
                "attempt": a.attempt,
                "at": format_time(a.started_at),
                "status_code": a.status_code,
                "latency_ms": a.latency_ms,
                "error": a.error,
                "response_excerpt": a.response_excerpt,
            }
            for a in view.attempts
        ],
    }


# Deliveries first: /v1/webhooks/deliveries is not a webhook named "deliveries".
@routes.get("/v1/webhooks/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    q = request.query
    views, has_more = await request.app[SERVICES].webhooks.deliveries(
        principal.developer_id,
        status=parse_status(q.get("status")),
        webhook_id=q.get("webhook_id") or None,
        thread_id=q.get("thread_id") or None,
        before=q.get("before") or None,
        limit=parse_limit(q.get("limit")),
    )
    return json_response(
        {
            "object": "list",
            "data": [delivery_object(v) for v in views],
            "has_more": has_more,
            "next_before": views[-1].delivery.id if views and has_more else None,
        }
    )


@routes.get("/v1/webhooks/deliveries/{delivery_id}")
async def get_delivery(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    view = await request.app[SERVICES].webhooks.delivery(
        principal.developer_id, request.match_info["delivery_id"]
    )
    return json_response(delivery_object(view))


@routes.post("/v1/webhooks/deliveries/{delivery_id}/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    view = await request.app[SERVICES].webhooks.redeliver(
        principal.developer_id, request.match_info["delivery_id"]
    )
    return json_response(delivery_object(view), status=202)


@routes.post("/v1/webhooks")
async def create_webhook(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    spec = parse_create(await read_json(request, BODY_LIMIT))
    endpoint = await request.app[SERVICES].webhooks.create(principal, spec)
    return json_response(webhook_object(endpoint, secret=True), status=201)


@routes.get("/v1/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    endpoints = await request.app[SERVICES].webhooks.list_endpoints(principal.developer_id)
    return json_response(
        {"object": "list", "data": [webhook_object(e) for e in endpoints], "has_more": False}
    )


@routes.get("/v1/webhooks/{webhook_id}")
async def get_webhook(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    endpoint = await request.app[SERVICES].webhooks.get(
        principal.developer_id, request.match_info["webhook_id"]
    )
    return json_response(webhook_object(endpoint))


@routes.patch("/v1/webhooks/{webhook_id}")
async def update_webhook(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    spec = parse_update(await read_json(request, BODY_LIMIT))
    endpoint = await request.app[SERVICES].webhooks.update(principal, request.match_info["webhook_id"], spec)
    return json_response(webhook_object(endpoint))


@routes.delete("/v1/webhooks/{webhook_id}")
async def delete_webhook(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    webhook_id = request.match_info["webhook_id"]
    await request.app[SERVICES].webhooks.delete(principal.developer_id, webhook_id)
    return json_response({"id": webhook_id, "object": "webhook.deleted", "deleted": True})


@routes.post("/v1/webhooks/{webhook_id}/rotate-secret")
async def rotate_secret(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    endpoint = await request.app[SERVICES].webhooks.rotate(
        principal.developer_id, request.match_info["webhook_id"]
    )
    return json_response(webhook_object(endpoint, secret=True))


@routes.post("/v1/webhooks/{webhook_id}/ping")
async def ping_webhook(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    view = await request.app[SERVICES].webhooks.ping(principal.developer_id, request.match_info["webhook_id"])
    return json_response(delivery_object(view))
