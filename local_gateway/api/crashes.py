"""/v1/debug/crashes (+ the Breakpad / Crashpad upload form) and /v1/debug/analyze."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from local_gateway import fastjson
from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate, authenticated
from local_gateway.api.body import json_response, read_json
from local_gateway.api.crash_uploads import read_crash_form
from local_gateway.services.debug.crash_params import (
    parse_filters,
    parse_frames,
    parse_limit,
    parse_meta,
    parse_status,
    parse_time,
    split_breakpad_form,
)
from local_gateway.services.debug.crashes import Submission, unstored_error
from local_gateway.store.crash_records import CrashRecord
from mg.errors import AuthenticationError, InvalidRequestError
from mg.times import format_time

# Handlers of one path stay next to each other: aiohttp makes one resource of adjacent routes
# only, and a second resource for the same path would answer a wrong method with 401, not 405.
routes = web.RouteTableDef()
_ID = "{crash_id:(?!(?:trends|stats|breakpad)$)[^/]+}"
_JSON_LIMIT = 1024 * 1024
_META_FIELDS = ("game_id", "platform", "version", "engine", "build")
# What GET /v1/debug/crashes/{id} adds from the processed dump (ProcessedCrash.to_dict).
_DETAIL_FIELDS = (
    "system_info", "crash_address", "exception_code", "crashing_thread", "assertion",
    "main_module", "modules", "threads", "missing_symbols", "warnings", "crash_family",
)  # fmt: skip


def _time(value: Any) -> str | None:
    return format_time(value) if value is not None else None


def _stack(crash: CrashRecord) -> list[dict[str, Any]]:
    """The crashing thread's frames, in the short form lists and the TUI show."""
    if crash.stack_trace is not None:
        return list(crash.stack_trace)
    result = crash.result or {}
    threads = result.get("threads") or []
    index = result.get("crashing_thread")
    thread = threads[index] if isinstance(index, int) and 0 <= index < len(threads) else None
    frames = []
    for frame in (thread or {}).get("frames", []):
        frames.append(
            {
                "frame": frame["index"],
                "module": frame.get("module"),
                "function": frame.get("function"),
                "file": frame.get("file"),
                "line": frame.get("line"),
                "offset": frame.get("module_offset"),
                "trust": frame.get("trust"),
                "inlines": frame.get("inlines") or [],
            }
        )
    return frames


def crash_json(crash: CrashRecord, *, detail: bool = False) -> dict[str, Any]:
    result = crash.result or {}
    system = result.get("system_info") or {}
    minidump = None
    if crash.minidump_sha256 is not None or crash.source != "stack_trace":
        minidump = {
            "size_bytes": crash.minidump_size,
            "sha256": crash.minidump_sha256,
            "stored": crash.minidump_stored,
            "os": " ".join(p for p in (system.get("os"), system.get("os_version")) if p) or None,
            "cpu": system.get("cpu_arch"),
            "crash_address": result.get("crash_address"),
            "sanitized": True,
        }
    analysis = crash.analysis or {}
    body: dict[str, Any] = {
        "id": crash.id,
        "object": "crash",
        "source": crash.source,
        "game_id": crash.game_id,
        "platform": crash.platform,
        "version": crash.version,
        "engine": crash.engine,
        "build": crash.build,
        "tags": crash.tags,
        "status": crash.status,
        "processing": crash.processing,
        "processing_error": crash.processing_error,
        "fingerprint": crash.fingerprint,
        "title": crash.title,
        "crash_reason": crash.crash_reason,
        "regression": crash.regression,
        "duplicate_of": crash.duplicate_of,
        "minidump": minidump,
        "analysis": analysis.get("analysis"),
        "created_at": _time(crash.created_at),
        "updated_at": _time(crash.updated_at),
        "processed_at": _time(crash.processed_at),
        "stack": _stack(crash),
    }
    if detail:
        body["analysis_details"] = analysis or None
        for name in _DETAIL_FIELDS:
            body[name] = result.get(name)
    return body


def _submission_json(submission: Submission) -> dict[str, Any]:
    return dict(crash_json(submission.crash), deduplicated=submission.deduplicated)


async def _submit_form(request: web.Request, developer_id: str, *, breakpad: bool) -> Submission:
    services = request.app[SERVICES]
    form = await read_crash_form(request, services.blobs, services.settings.crash_upload_limit)
    try:
        meta_fields, tags = split_breakpad_form(form.fields)
        if "tags" in tags and not breakpad:
            given = _json_object(tags.pop("tags"), "tags")
            tags = {**tags, **given}
        meta = parse_meta(meta_fields, tags)
        if form.storage_failed:
            crash = await services.crashes.submit_unstored(
                developer_id, meta, source="breakpad" if breakpad else "minidump"
            )
            raise unstored_error(crash)
        if form.staged is None:
            raise InvalidRequestError(
                "The form has no minidump: send it in a part named upload_file_minidump (or minidump).",
                remediation="curl -F upload_file_minidump=@crash.dmp -F game_id=… …/v1/debug/crashes",
            )
    except BaseException:
        if form.staged is not None:
            await services.blobs.discard(form.staged)
        raise
    return await services.crashes.submit_dump(
        developer_id, meta, form.staged, source="breakpad" if breakpad else "minidump"
    )


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        value = fastjson.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidRequestError(f'The form field {name} must be a JSON object, e.g. {{"level": "3"}}.')
    return value


@routes.post("/v1/debug/crashes")
async def submit(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    if request.content_type.startswith("multipart/"):
        submission = await _submit_form(request, principal.developer_id, breakpad=False)
        return json_response(_submission_json(submission), status=201 if not submission.deduplicated else 200)
    if request.content_type not in ("application/json", ""):
        raise InvalidRequestError(
            "Send a JSON crash report (stack_trace + metadata) or a multipart form with a minidump.",
            remediation="mg crashes submit crash.dmp --game-id … does the multipart form for you.",
        )
    body = await read_json(request, _JSON_LIMIT)
    if not isinstance(body, dict):
        raise InvalidRequestError("The body must be a JSON object.")
    unknown = sorted(set(body) - {"stack_trace", "tags", *_META_FIELDS})
    if unknown:
        raise InvalidRequestError(
            f"Unknown field(s): {', '.join(unknown)[:200]}.",
            remediation="A crash report takes stack_trace, game_id, platform, version, engine, build, tags.",
        )
    meta = parse_meta(body, body.get("tags"))
    frames = parse_frames(body.get("stack_trace"))
    crash = await services.crashes.submit_trace(principal.developer_id, meta, frames)
    return json_response(dict(crash_json(crash), deduplicated=False), status=201)


@routes.get("/v1/debug/crashes")
async def list_crashes(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    query = request.query
    limit = parse_limit(query.get("limit"), 20, 100)
    rows, has_more = await services.crash_triage.list_crashes(
        principal.developer_id, limit, parse_filters(query), after=query.get("after") or None
    )
    return json_response({"object": "list", "data": [crash_json(c) for c in rows], "has_more": has_more})


@routes.post("/v1/debug/crashes/breakpad")
async def submit_breakpad(request: web.Request) -> web.Response:
    """The form Breakpad and Crashpad clients send; they read the answer as the report id."""
    api_key = request.query.get("api_key")
    if not api_key:
        raise AuthenticationError(
            "Missing API key: pass it in the URL: …/v1/debug/crashes/breakpad?api_key=mg_live_… "
            "(crash handlers cannot set headers)."
        )
    principal = await authenticate(request, api_key=api_key)
    if not request.content_type.startswith("multipart/"):
        raise InvalidRequestError("Breakpad and Crashpad uploads are multipart/form-data.")
    submission = await _submit_form(request, principal.developer_id, breakpad=True)
    return web.Response(text=submission.crash.id + "\n", content_type="text/plain")


@routes.get("/v1/debug/crashes/trends")
async def trends(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    query = request.query
    since, until = parse_time(query.get("since"), "since"), parse_time(query.get("until"), "until")
    if since and until and since >= until:
        raise InvalidRequestError("since must be before until.")
    rows = await services.crash_triage.trends(
        principal.developer_id,
        game_id=query.get("game_id") or None,
        since=since,
        until=until,
        limit=parse_limit(query.get("limit"), 50, 200),
    )
    data = [
        dict(
            row,
            first_seen=_time(row["first_seen"]),
            last_seen=_time(row["last_seen"]),
            regressed_at=_time(row["regressed_at"]),
        )
        for row in rows
    ]
    return json_response({"object": "list", "data": data})


@routes.get("/v1/debug/crashes/stats")
async def stats(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    body = await services.crash_triage.stats(principal.developer_id, request.query.get("game_id") or None)
    return json_response({"object": "crash.stats", **body})


@routes.get(f"/v1/debug/crashes/{_ID}")
async def get_crash(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    crash = await services.crash_triage.get(principal.developer_id, request.match_info["crash_id"])
    return json_response(crash_json(crash, detail=True))


@routes.patch(f"/v1/debug/crashes/{_ID}")
async def patch_crash(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    body = await read_json(request, 16 * 1024)
    if not isinstance(body, dict) or set(body) - {"status"} or "status" not in body:
        raise InvalidRequestError('Send {"status": "new" | "investigating" | "resolved" | "wont_fix"}.')
    crash = await services.crash_triage.set_status(
        principal.developer_id, request.match_info["crash_id"], parse_status(body["status"])
    )
    return json_response(crash_json(crash))


@routes.post("/v1/debug/analyze")
async def analyze(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    ctx = await authenticated(request)
    body = await read_json(request, 256 * 1024)
    if not isinstance(body, dict):
        raise InvalidRequestError("The body must be a JSON object.")
    crash_id, stack_trace = body.get("crash_id"), body.get("stack_trace")
    if (crash_id is None) == (stack_trace is None):
        raise InvalidRequestError(
            "Send either crash_id (a stored crash) or stack_trace (an array of frames).",
            remediation='e.g. {"crash_id": "crash_…"} or {"stack_trace": ["Physics::Step", …]}',
        )
    if crash_id is not None and (not isinstance(crash_id, str) or not crash_id):
        raise InvalidRequestError("crash_id must be a crash id string.")
    frames = None
    if stack_trace is not None:
        frames = [f.key_text() for f in parse_frames(stack_trace)]
    question = body.get("question")
    if question is not None and (not isinstance(question, str) or len(question) > 500):
        raise InvalidRequestError("question must be a string of at most 500 characters.")
    meta = parse_meta({"platform": body.get("platform"), "engine": body.get("engine")})
    answer = await services.crash_triage.analyze(
        ctx,
        crash_id=crash_id,
        stack_trace=frames,
        platform=meta.platform,
        engine=meta.engine,
        question=question,
    )
    return json_response(
        {
            "crash_id": answer.crash_id,
            "analysis": answer.analysis,
            "model": answer.model,
            "analyzed_at": format_time(answer.analyzed_at),
            **answer.details,
        }
    )
