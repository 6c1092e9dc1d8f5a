"""The gateway's log lines: text for a terminal, or one JSON object a line (``MG_LOG_FORMAT=json``).

A JSON line has ``time`` (UTC ISO-8601 with ``Z``), ``level``, ``logger``, ``message`` and, when
it was written while a request was being handled, that request's ``request_id`` (the one the
client sees in ``X-Request-Id``), carried in a context variable the request middleware sets, so
code deep in the services logs it without passing it along. An exception adds ``exception`` (its
traceback, as text). The access log's line is already a JSON object: its fields are merged into
the line instead of being quoted inside ``message``.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
ACCESS_LOGGER = "mg.gateway.access"
REQUEST_ID: ContextVar[str | None] = ContextVar("mg_request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        if record.name == ACCESS_LOGGER and message.startswith("{"):
            try:
                fields = json.loads(message)
            except ValueError:
                fields = None
            if isinstance(fields, dict):
                line["message"] = f"{fields.get('method')} {fields.get('path')} {fields.get('status')}"
                line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str, fmt: str = "text") -> None:
    """Send the gateway's logs to stderr, in ``fmt`` (``text`` or ``json``)."""
    if fmt not in FORMATS:
        raise ValueError(f"setting MG_LOG_FORMAT: {fmt!r} is not one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # Python's warnings would otherwise go to stderr as bare text lines.
    logging.captureWarnings(fmt == "json")
