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
import time
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


class AccessLog:
    """The access log: one line per request, formatted here and written to the gateway's log
    handler's stream as the handler would have written it.

    A ``LogRecord`` costs several microseconds per request (the caller's frame, thread and
    process names, a ``strftime``), more than the rest of the line; the access log needs none of
    it. Until :func:`configure_logging` hands over its handler (an app built in a test, say), or
    when the log level hides INFO, lines go through :mod:`logging` as any other.
    """

    def __init__(self) -> None:
        self._logger = logging.getLogger(ACCESS_LOGGER)
        self._handler: logging.StreamHandler[Any] | None = None
        self._json = False
        self._second = -1
        self._stamp = ""

    def attach(self, handler: logging.StreamHandler[Any], fmt: str) -> None:
        self._handler = handler
        self._json = fmt == "json"

    def write(
        self, request_id: str, method: str, path: str, status: int, ms: float, key_id: str | None
    ) -> None:
        if not self._logger.isEnabledFor(logging.INFO):
            return
        # Request and key ids are safe characters (checked or made by the gateway) and aiohttp
        # admits only token characters in a method: only the path needs JSON escaping.
        key = f'"{key_id}"' if key_id is not None else "null"
        fields = (
            f'"request_id": "{request_id}", "method": "{method}", "path": {json.dumps(path)}, '
            f'"status": {status}, "ms": {ms!r}, "key_id": {key}'
        )
        handler = self._handler
        root = logging.root.handlers
        if handler is None or len(root) != 1 or root[0] is not handler or self._logger.handlers:
            # Someone else decides where logs go (another handler, a test's capture): ask them.
            self._logger.info("{%s}", fields)
            return
        now = time.time()
        if self._json:
            stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
            message = json.dumps(f"{method} {path} {status}", ensure_ascii=False)
            line = (
                f'{{"time": "{stamp}", "level": "INFO", "logger": "{ACCESS_LOGGER}", '
                f'"message": {message}, {fields}}}\n'
            )
        else:
            line = f"{self._time_text(now)} INFO {ACCESS_LOGGER} {{{fields}}}\n"
        try:
            with handler.lock:  # type: ignore[union-attr]  # a StreamHandler always has one
                handler.stream.write(line)
                handler.stream.flush()
        except (OSError, ValueError):
            pass  # as logging does: a log that cannot be written never fails the request

    def _time_text(self, now: float) -> str:
        # logging's default asctime ("2026-12-03 14:10:56,123", local time); the seconds part is
        # formatted once a second.
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._stamp},{int((now - second) * 1000):03d}"


ACCESS_LOG = AccessLog()


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
    if handler in logging.root.handlers:  # basicConfig leaves logging already set up alone
        ACCESS_LOG.attach(handler, fmt)
    # Python's warnings would otherwise go to stderr as bare text lines.
    logging.captureWarnings(fmt == "json")
