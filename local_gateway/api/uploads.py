"""Streaming request bodies into the blob store's staging area, with the size cap enforced
while reading: a multipart form (one file part plus small text fields) or a raw body."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import BodyPartReader, web

from local_gateway.api.body import open_multipart
from local_gateway.store.blobs import BlobStore, SizeLimitExceeded, StagedBlob
from mg.errors import InvalidRequestError, PayloadTooLargeError

_CHUNK = 256 * 1024
_FIELD_LIMIT = 4096
# Room for the multipart boundaries and the text fields around the file.
_FORM_OVERHEAD = 64 * 1024


_DIRECT_HINT = (
    "Larger files go through a presigned upload (POST /v1/debug/symbols/presign); "
    "mg symbols upload does this by itself."
)
_PRESIGNED_HINT = "A presigned upload takes at most the size it was created for (500 MB at most)."


def size_text(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n} bytes"


def _too_large(limit: int, what: str, hint: str = _DIRECT_HINT) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"The {what} is larger than {size_text(limit)}.", remediation=hint)


async def _part_chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(_CHUNK):
        yield chunk


async def _body_chunks(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(_CHUNK):
        yield chunk


async def stage_form(
    request: web.Request, blobs: BlobStore, limit: int, fields: tuple[str, ...]
) -> tuple[StagedBlob, dict[str, str | None]]:
    """Read a multipart form: the part named ``file`` is staged, ``fields`` are returned as text."""
    declared = request.content_length
    if declared is not None and declared > limit + _FORM_OVERHEAD:
        raise _too_large(limit, "upload")
    if not request.content_type.startswith("multipart/"):
        raise InvalidRequestError(
            "Send the upload as multipart/form-data with the file in a part named 'file'.",
            remediation="curl -F file=@game.pdb -F platform=windows …/v1/debug/symbols/upload",
        )
    reader = await open_multipart(request, "curl -F file=@game.pdb …/v1/debug/symbols/upload")
    values: dict[str, str | None] = {}
    staged: StagedBlob | None = None
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise InvalidRequestError("Nested multipart bodies are not accepted.")
            if part.name == "file":
                if staged is not None:
                    raise InvalidRequestError("Send one file per upload.")
                values["file_name"] = values.get("file_name") or part.filename
                try:
                    staged = await blobs.stage(_part_chunks(part), limit)
                except SizeLimitExceeded:
                    raise _too_large(limit, "file") from None
            elif part.name in fields:
                raw = await part.read_chunk(_FIELD_LIMIT + 1)
                if len(raw) > _FIELD_LIMIT or await part.read_chunk(1):
                    raise InvalidRequestError(
                        f"The form field {part.name} is longer than {_FIELD_LIMIT} bytes."
                    )
                try:
                    values[part.name] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidRequestError(f"The form field {part.name} is not UTF-8 text.") from None
            else:
                await part.release()
    except BaseException:
        if staged is not None:
            await blobs.discard(staged)
        raise
    if staged is None:
        raise InvalidRequestError(
            "The form has no file: put the debug file in a part named 'file'.",
            remediation="curl -F file=@game.pdb …/v1/debug/symbols/upload",
        )
    return staged, values


async def stage_body(request: web.Request, blobs: BlobStore, limit: int) -> StagedBlob:
    """Stage a raw request body (a presigned PUT)."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit, "upload", _PRESIGNED_HINT)
    try:
        staged = await blobs.stage(_body_chunks(request), limit)
    except SizeLimitExceeded:
        raise _too_large(limit, "upload", _PRESIGNED_HINT) from None
    if staged.size == 0:
        await blobs.discard(staged)
        raise InvalidRequestError("The upload body is empty; PUT the file's bytes.")
    return staged
