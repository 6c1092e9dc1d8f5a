"""Reading a crash upload's multipart form: the minidump part streamed to the blob store under
the size cap, every other part as a short text field (Breakpad and Crashpad send their
annotations that way).

The minidump part is ``upload_file_minidump`` (Breakpad's and Crashpad's name) or ``minidump``.
When the blob store fails, the rest of the form is still read, so the crash's metadata can be
stored and the answer be the spec's 503.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

from local_gateway.api.body import open_multipart
from local_gateway.api.uploads import size_text
from local_gateway.store.blobs import BlobStore, SizeLimitExceeded, StagedBlob
from mg.errors import InvalidRequestError, PayloadTooLargeError

log = logging.getLogger("mg.gateway.crashes")
FILE_PARTS = ("upload_file_minidump", "minidump")
_CHUNK = 256 * 1024
_FIELD_LIMIT = 4096
_MAX_FIELDS = 200
_FORM_OVERHEAD = 512 * 1024


@dataclass
class CrashForm:
    fields: dict[str, str] = field(default_factory=dict)
    staged: StagedBlob | None = None
    storage_failed: bool = False
    had_file: bool = False


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The minidump is larger than {size_text(limit)}.",
        remediation="Crash dumps of a game are a few MB; check that the client sends the .dmp "
        "(not a full memory dump), or raise MG_CRASH_UPLOAD_LIMIT on a gateway you run.",
    )


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(_CHUNK):
        yield chunk


async def read_crash_form(request: web.Request, blobs: BlobStore, limit: int) -> CrashForm:
    declared = request.content_length
    if declared is not None and declared > limit + _FORM_OVERHEAD:
        raise _too_large(limit)
    reader = await open_multipart(request, "curl -F upload_file_minidump=@crash.dmp …")
    form = CrashForm()
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise InvalidRequestError("Nested multipart bodies are not accepted.")
            if part.name in FILE_PARTS:
                if form.had_file:
                    raise InvalidRequestError("Send one minidump per crash report.")
                form.had_file = True
                try:
                    form.staged = await blobs.stage(_chunks(part), limit)
                except SizeLimitExceeded:
                    raise _too_large(limit) from None
                except OSError:
                    log.exception("the blob store could not stage a minidump")
                    form.storage_failed = True
                    await part.release()
            elif part.name:
                if len(form.fields) >= _MAX_FIELDS:
                    raise InvalidRequestError(f"A crash report has at most {_MAX_FIELDS} form fields.")
                raw = await part.read_chunk(_FIELD_LIMIT + 1)
                if len(raw) > _FIELD_LIMIT or await part.read_chunk(1):
                    raise InvalidRequestError(
                        f"The form field {part.name[:64]} is longer than {_FIELD_LIMIT} bytes."
                    )
                try:
                    form.fields[part.name] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidRequestError(f"The form field {part.name[:64]} is not UTF-8 text.") from None
            else:
                await part.release()
    except BaseException:
        if form.staged is not None:
            await blobs.discard(form.staged)
        raise
    return form
