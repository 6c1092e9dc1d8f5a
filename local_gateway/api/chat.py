"""POST /v1/chat/completions and POST /v1/stream."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local_gateway import fastjson
from local_gateway.api import sse
from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticated
from local_gateway.api.body import json_response, read_json
from local_gateway.api.middleware import RESPONSE_HEADERS, error_log
from local_gateway.services.inference.chat import ChatOutcome
from local_gateway.services.inference.params import parse_chat
from mg.errors import InternalError, MonsterError

routes = web.RouteTableDef()


def _sse(data: Any) -> bytes:
    return b"data: " + fastjson.dumps(data) + b"\n\n"


async def _complete(request: web.Request, force_stream: bool) -> web.StreamResponse:
    services = request.app[SERVICES]
    ctx = await authenticated(request)
    params = parse_chat(await read_json(request, services.settings.completion_body_limit))
    if force_stream:
        params.stream = True
    return await respond(request, await services.chat.create(ctx, params))


async def respond(request: web.Request, outcome: ChatOutcome) -> web.StreamResponse:
    """A completion as JSON, or its chunks as server-sent events."""
    headers = dict(request.get(RESPONSE_HEADERS) or {}, **outcome.headers)
    headers["X-Request-Id"] = request["request_id"]
    if outcome.completion is not None:
        return json_response(outcome.completion, headers=headers)
    assert outcome.chunks is not None
    # The service has started the stream (a provider that fails to start got an ordinary error
    # envelope with the right status): its first chunk is ready, and leaves with the headers.
    chunks = outcome.chunks
    response = _EventStream(
        headers=dict(
            headers,
            **{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    )
    await response.prepare(request)
    done = False

    async def write(batch: list[dict[str, Any]]) -> None:
        await response.write(b"".join(map(_sse, batch)))

    try:
        # Each write carries every chunk that is ready at that moment, never later.
        await sse.pump(chunks, write)
        done = True
    except ConnectionResetError:
        return response  # the client went away; the service has recorded what was produced
    except MonsterError as exc:
        # Streaming has begun: the error travels as an SSE event, which the OpenAI SDKs raise.
        await _write_quietly(response, _sse(exc.to_envelope()))
    except Exception:
        error_log.exception("stream failed (request %s)", request["request_id"])
        failure = InternalError("The gateway failed while streaming this answer.")
        await _write_quietly(response, _sse(failure.to_envelope()))
    finally:
        await chunks.aclose()
    # `data: [DONE]` and the end of the body leave in one write.
    await _write_quietly(response, None, last=b"data: [DONE]\n\n" if done else b"")
    return response


class _EventStream(web.StreamResponse):
    # aiohttp sends a stream's headers on their own at prepare(); the first chunk is ready the
    # moment the pump asks for it, so they leave together with it in one write.
    _send_headers_immediately = False


async def _write_quietly(response: web.StreamResponse, data: bytes | None, last: bytes = b"") -> None:
    """Write (or end, for None, after ``last``) a stream whose client may have gone away meanwhile."""
    try:
        await (response.write(data) if data is not None else response.write_eof(last))
    except ConnectionResetError:
        pass


@routes.post("/v1/chat/completions")
async def chat_completions(request: web.Request) -> web.StreamResponse:
    return await _complete(request, force_stream=False)


@routes.post("/v1/stream")
async def stream(request: web.Request) -> web.StreamResponse:
    return await _complete(request, force_stream=True)
