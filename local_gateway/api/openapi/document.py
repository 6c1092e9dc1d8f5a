"""The OpenAPI 3.1 document of the running app: every route the router holds, described by the
operations table. Built once per app (the router is frozen when it serves)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from local_gateway.api.openapi.operations import OPERATIONS, Op
from local_gateway.api.openapi.schemas import SCHEMAS, ref

_PARAM = re.compile(r"\{([A-Za-z_]+)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}")
_MEDIA = {
    "text": "text/plain",
    "html": "text/html",
    "binary": "application/octet-stream",
    "sse": "text/event-stream",
}
_SUCCESS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 303: "See Other"}


def plain_path(canonical: str) -> str:
    """``/v1/models/{model_id:.+}`` → ``/v1/models/{model_id}``: OpenAPI has no regex paths."""
    return _PARAM.sub(lambda m: "{" + m.group(1) + "}", canonical)


def app_routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, OpenAPI path) of every route the app serves (HEAD comes with GET)."""
    found = []
    for resource in app.router.resources():
        path = plain_path(resource.canonical)
        for route in resource:
            if route.method not in ("HEAD", "*"):
                found.append((route.method, path))
    return found


def _parameter(spec: str, where: str) -> dict[str, Any]:
    name, _, kind = spec.partition(":")
    schema = {"type": kind or "string"}
    return {"name": name, "in": where, "required": where == "path", "schema": schema}


def _content(kind: str) -> dict[str, Any]:
    if kind in _MEDIA:
        schema: dict[str, Any] = {"type": "string"}
        if kind == "binary":
            schema["format"] = "binary"
        return {_MEDIA[kind]: {"schema": schema}}
    return {"application/json": {"schema": ref(kind)}}


def _request_body(kind: str) -> dict[str, Any]:
    if kind == "multipart":
        content: dict[str, Any] = {"multipart/form-data": {"schema": {"type": "object"}}}
    elif kind == "binary":
        content = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    elif kind == "form":
        content = {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}
    elif kind == "json":
        content = {"application/json": {"schema": {"type": "object"}}}
    else:
        content = {"application/json": {"schema": ref(kind)}}
    return {"required": True, "content": content}


def _errors(html: bool) -> dict[str, Any]:
    envelope: dict[str, Any] = {"application/json": {"schema": ref("Error")}}
    if html:
        envelope = {"text/html": {"schema": {"type": "string"}}, **envelope}
    return {
        "4XX": {"description": "The spec's error envelope", "content": envelope},
        "5XX": {"description": "The error envelope: upstream or gateway trouble", "content": envelope},
    }


def operation(method: str, path: str, op: Op) -> dict[str, Any]:
    content = _content(op.answer)
    for media in (*op.also, *(("text/event-stream",) if op.streams else ())):
        content[media] = {"schema": {"type": "string"}}
    success: dict[str, Any] = {"description": _SUCCESS_TEXT.get(op.status, "OK"), "content": content}
    if op.status == 303:
        # A redirect to the page to show next; a client that follows it gets that page (200).
        success = {"description": "See Other", "headers": {"Location": {"schema": {"type": "string"}}}}
    entry: dict[str, Any] = {
        "tags": [op.tag],
        "summary": op.summary,
        "operationId": f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}",
        "parameters": [_parameter(name, "path") for name in re.findall(r"\{([^}]+)\}", path)]
        + [_parameter(spec, "query") for spec in op.query],
        "responses": {str(op.status): success, **_errors(op.html_errors)},
    }
    if op.status != 200:
        # Some routes answer 200 for an existing resource (an idempotent repeat, a dry run).
        entry["responses"]["200"] = {"description": "OK", "content": _content(op.answer)}
    if op.body:
        entry["requestBody"] = _request_body(op.body)
    if op.auth in ("public", "token"):
        entry["security"] = []
    return entry


def build_document(app: web.Application, version: str) -> dict[str, Any]:
    """The document for this app; raises KeyError naming a route the table does not describe."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path in app_routes(app):
        op = OPERATIONS.get((method, path))
        if op is None:
            raise KeyError(f"{method} {path} is served but not described in api/openapi/operations.py")
        paths.setdefault(path, {})[method.lower()] = operation(method, path, op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mg gateway API",
            "version": version,
            "description": "OpenAI-compatible gateway for games: chat, embeddings, NPC threads, "
            "templates, crash reports, symbols, webhooks, keys, billing and status. Errors use one "
            "envelope everywhere (components.schemas.Error).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "mg_test_… or mg_live_… key, or a personal access token",
                }
            },
        },
        "paths": paths,
    }
