"""Request ids, the access log, and the one place that renders the error envelope."""

from __future__ import annotations

import asyncio
import logging
import re
import time

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.typedefs import Handler

from local_gateway.api.body import json_response
from local_gateway.services.core.ids import SequentialIds
from local_gateway.services.core.logs import ACCESS_LOG, REQUEST_ID
from mg.errors import (
    InternalError,
    InvalidRequestError,
    MethodNotAllowedError,
    MonsterError,
    NotFoundError,
    PayloadTooLargeError,
)

error_log = logging.getLogger("mg.gateway.error")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# A presigned upload URL carries its credential in the path; logs keep only its shape.
_SECRET_PATH = re.compile(r"^(/v1/debug/symbols/upload/)[^/]+")


def loggable_path(path: str) -> str:
    return _SECRET_PATH.sub(r"\1…", path)


# Headers that auth and rate limiting attach to an answer, kept on the request until it is sent.
RESPONSE_HEADERS = "mg.response_headers"
ACCESS_LOG_ENABLED = web.AppKey("access_log_enabled", bool)


_REQUEST_IDS = SequentialIds("req_")


def _request_id(request: web.Request) -> str:
    given = request.headers.get("X-Request-Id")
    return given if given and _SAFE_ID.match(given) else _REQUEST_IDS.next()


def error_response(exc: MonsterError, request: web.Request) -> web.Response:
    headers = dict(request.get(RESPONSE_HEADERS) or {})
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 405:
        allowed = request.get("mg.allowed_methods")
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
    response = json_response(exc.to_envelope(), status=exc.status, headers=headers)
    if exc.status == 413:
        # No keep-alive after an oversize body: aiohttp drains what follows for a few seconds
        # (so the client can read this answer) and then closes the connection.
        response.force_close()
    return response


async def _meant_route(request: web.Request) -> str | None:
    """The ``/v1`` path a request without that prefix (or with it twice) matches, if any.

    OpenAI clients append ``/chat/completions`` to their base URL, so a base URL given without
    ``/v1`` (or with ``/v1`` on top of one that had it) lands just beside a real route.
    """
    path = request.rel_url.path
    if path.startswith("/v1/v1/"):
        candidate = path[len("/v1") :]
    elif path == "/v1" or path.startswith("/v1/"):
        return None
    else:
        candidate = "/v1" + path
    match = await request.app.router.resolve(request.clone(rel_url=request.rel_url.with_path(candidate)))
    failure = match.http_exception
    # A wrong method on the right path still names the right URL; the answer there says the rest.
    return candidate if failure is None or failure.status == 405 else None


async def _route_not_found(request: web.Request) -> NotFoundError:
    message = f"No route for {request.method} {request.path}."
    meant = await _meant_route(request)
    if meant is None:
        return NotFoundError(message)
    origin = str(request.url.origin())
    why = (
        "This path has /v1 twice"
        if request.rel_url.path.startswith("/v1/v1/")
        else "The API's routes start with /v1"
    )
    return NotFoundError(
        message, remediation=f"{why}: use {origin}{meant}. An OpenAI client's base URL is {origin}/v1."
    )


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = _request_id(request)
    request["request_id"] = request_id
    # Every log line written while this request is handled carries its id (MG_LOG_FORMAT=json).
    context = REQUEST_ID.set(request_id)
    started = time.perf_counter()
    status = 500
    try:
        try:
            response = await handler(request)
        except MonsterError as exc:
            response = error_response(exc, request)
        except web.HTTPNotFound:
            response = error_response(await _route_not_found(request), request)
        except web.HTTPMethodNotAllowed as exc:
            request["mg.allowed_methods"] = exc.allowed_methods
            response = error_response(
                MethodNotAllowedError(f"{request.method} is not allowed on {request.path}."), request
            )
        except web.HTTPRequestEntityTooLarge:
            response = error_response(PayloadTooLargeError("The request body is too large."), request)
        except BadHttpMessage as exc:
            # A malformed body part (a multipart form with broken part headers): the client's.
            response = error_response(
                InvalidRequestError(f"The request body is malformed: {str(exc.message)[:200]}"), request
            )
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            err = MonsterError(exc.reason, status=exc.status, code=f"HTTP_{exc.status}")
            response = error_response(err, request)
        except asyncio.CancelledError:
            status = 499  # the client closed the connection before the answer was sent
            raise
        except Exception:
            # The details (and any SQL or secret in them) go to the log only, under the request id.
            error_log.exception(
                "unhandled error in %s %s (request %s)",
                request.method,
                loggable_path(request.path),
                request_id,
            )
            response = error_response(InternalError("The gateway failed to handle this request."), request)
        status = response.status
        if not response.prepared:
            for name, value in (request.get(RESPONSE_HEADERS) or {}).items():
                response.headers.setdefault(name, value)
            response.headers["X-Request-Id"] = request_id
        return response
    finally:
        if request.app.get(ACCESS_LOG_ENABLED, True):
            principal = request.get("principal")
            ACCESS_LOG.write(
                request_id,
                request.method,
                loggable_path(request.path),
                status,
                round((time.perf_counter() - started) * 1000, 2),
                principal.key.id if principal else None,
            )
        REQUEST_ID.reset(context)
