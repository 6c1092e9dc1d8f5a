"""/v1/debug/symbols: upload (direct and presigned), check, lookup, list, get, delete.

Uploads and symbol-server reads do not spend the per-minute request budget (a CI job uploads
hundreds of files at once; their cost is bounded by size); the other calls do.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from local_gateway.api.appkeys import SERVICES
from local_gateway.api.auth import authenticate
from local_gateway.api.body import json_response, read_json
from local_gateway.api.uploads import stage_body, stage_form
from local_gateway.services.debug.symbol_params import (
    check_name,
    parse_debug_id,
    parse_file_type,
    parse_upload_params,
)
from local_gateway.services.debug.symbols import UploadOutcome
from local_gateway.store.records import SymbolRecord
from mg.debugfiles import breakpad_sym_name, debug_id_to_uuid
from mg.errors import InvalidRequestError, NotFoundError
from mg.times import format_time

routes = web.RouteTableDef()
# A symbol id, never one of the fixed words beside it (so GET /upload is a 405, not a lookup).
_ID = "{symbol_id:(?!(?:upload|presign|check|lookup)$)[^/]+}"
_FORM_FIELDS = ("module_name", "debug_id", "platform", "file_type", "file_name", "overwrite")
_SHA256_CHARS = set("0123456789abcdef")


def server_path(record: SymbolRecord) -> str:
    """Where the symbol server answers with this file."""

    def q(s: str) -> str:
        return quote(s, safe="")

    if record.slot == "sym":
        return (
            f"/symbols/{q(record.module_name)}/{record.debug_id}/{q(breakpad_sym_name(record.module_name))}"
        )
    if record.file_type == "pe" and record.code_file and record.code_id:
        return f"/symbols/{q(record.code_file)}/{q(record.code_id)}/{q(record.code_file)}"
    if record.file_type == "elf" and record.code_id:
        return f"/buildid/{q(record.code_id.lower())}/{record.slot}"
    if record.slot == "macho" and record.code_id:
        return (
            f"/symbols/{q(record.module_name)}/mach-uuid-{q(record.code_id.lower())}/{q(record.module_name)}"
        )
    return f"/symbols/{q(record.module_name)}/{record.debug_id}/{q(record.file_name)}"


def symbol_json(record: SymbolRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "object": "debug.symbol",
        "module_name": record.module_name,
        "debug_id": record.debug_id,
        "debug_id_uuid": debug_id_to_uuid(record.debug_id),
        "code_id": record.code_id,
        "code_file": record.code_file,
        "file_type": record.file_type,
        "kind": record.slot,
        "platform": record.platform,
        "arch": record.arch,
        "features": list(record.features),
        "file_name": record.file_name,
        "size": record.size,
        "sha256": record.sha256,
        "symbol_server_path": server_path(record),
        "created_at": format_time(record.created_at),
        "updated_at": format_time(record.updated_at),
    }


def _outcome_response(outcome: UploadOutcome) -> web.Response:
    body = dict(symbol_json(outcome.symbols[0]), status=outcome.status)
    if len(outcome.symbols) > 1:
        body["objects"] = [symbol_json(r) for r in outcome.symbols]
    return json_response(body, status=201 if outcome.status == "created" else 200)


@routes.post("/v1/debug/symbols/upload")
async def upload(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request, consume=False)
    staged, fields = await stage_form(
        request, services.blobs, services.settings.symbol_upload_limit, _FORM_FIELDS
    )
    try:
        fields.setdefault("overwrite", request.query.get("overwrite"))
        params = parse_upload_params(fields)
    except BaseException:
        await services.blobs.discard(staged)
        raise
    outcome = await services.symbols.store(principal.developer_id, staged, params)
    return _outcome_response(outcome)


@routes.post("/v1/debug/symbols/presign")
async def presign(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    body = await read_json(request, 16 * 1024) if request.can_read_body else {}
    if not isinstance(body, dict):
        raise InvalidRequestError("The body must be a JSON object.")
    size = body.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise InvalidRequestError("size must be a positive integer (bytes).")
    params = parse_upload_params({k: body.get(k) for k in _FORM_FIELDS})
    if request.query.get("overwrite"):
        params = parse_upload_params({**params.to_dict(), "overwrite": request.query["overwrite"]})
    signed = await services.symbols.presign(principal.developer_id, params, size)
    path = f"{request.url.origin()}/v1/debug/symbols/upload/{signed.token}"
    body = {
        "upload_token": signed.token,
        "upload_url": signed.direct_url or path,
        "method": "PUT",
        "expires_at": format_time(signed.expires_at),
        "max_bytes": signed.max_size,
    }
    if signed.direct_url:
        # The bytes go straight to S3; the gateway records the symbol once told they are there.
        body["complete_url"] = f"{path}/complete"
    return json_response(body, status=201)


@routes.put("/v1/debug/symbols/upload/{token}")
async def presigned_upload(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    developer_id, params, max_size = await services.symbols.redeem(request.match_info["token"])
    staged = await stage_body(request, services.blobs, max_size)
    outcome = await services.symbols.store(developer_id, staged, params)
    return _outcome_response(outcome)


@routes.post("/v1/debug/symbols/upload/{token}/complete")
async def complete_presigned(request: web.Request) -> web.Response:
    outcome = await request.app[SERVICES].symbols.complete(request.match_info["token"])
    return _outcome_response(outcome)


@routes.post("/v1/debug/symbols/check")
async def check(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    body = await read_json(request, 256 * 1024)
    hashes = body.get("sha256") if isinstance(body, dict) else None
    if not isinstance(hashes, list) or not all(
        isinstance(h, str) and len(h) == 64 and set(h.lower()) <= _SHA256_CHARS for h in hashes
    ):
        raise InvalidRequestError('Send {"sha256": ["<64 hex digits>", …]}.')
    present, missing = await services.symbols.missing(principal.developer_id, [h.lower() for h in hashes])
    return json_response({"present": present, "missing": missing})


@routes.get("/v1/debug/symbols/lookup")
async def lookup(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    module_name = check_name(request.query.get("module_name", "").strip() or None, "module_name")
    debug_id = parse_debug_id(request.query.get("debug_id", "").strip() or None)
    if module_name is None or debug_id is None:
        raise InvalidRequestError(
            "Pass both module_name and debug_id, e.g. ?module_name=game.pdb&debug_id=…."
        )
    found = await services.symbols.lookup(principal.developer_id, module_name, debug_id)
    if not found:
        raise NotFoundError(
            f"No symbols for {module_name} {debug_id}.",
            remediation="Upload them with mg symbols upload <build dir>.",
        )
    return json_response({"object": "list", "data": [symbol_json(r) for r in found]})


@routes.get("/v1/debug/symbols")
async def list_symbols(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    query = request.query
    try:
        limit = int(query.get("limit", "50"))
    except ValueError:
        raise InvalidRequestError("limit must be a whole number from 1 to 100.") from None
    if not 1 <= limit <= 100:
        raise InvalidRequestError("limit must be a whole number from 1 to 100.")
    rows, has_more = await services.symbols.list(
        principal.developer_id,
        limit,
        after=query.get("after") or None,
        module_name=check_name(query.get("module_name") or None, "module_name"),
        debug_id=parse_debug_id(query.get("debug_id") or None),
        file_type=parse_file_type(query.get("file_type") or None),
    )
    return json_response({"object": "list", "data": [symbol_json(r) for r in rows], "has_more": has_more})


@routes.get(f"/v1/debug/symbols/{_ID}")
async def get_symbol(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    record = await services.symbols.get(principal.developer_id, request.match_info["symbol_id"])
    return json_response(symbol_json(record))


@routes.delete(f"/v1/debug/symbols/{_ID}")
async def delete_symbol(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticate(request)
    record = await services.symbols.delete(principal.developer_id, request.match_info["symbol_id"])
    return json_response({"id": record.id, "object": "debug.symbol", "deleted": True})
