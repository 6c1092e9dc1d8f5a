"""The access log's own writer writes the line the gateway's log handler would have written."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from local_gateway.services.core.logs import ACCESS_LOGGER, AccessLog, JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
LINE = ("req_1a2b", "POST", '/v1/weird "path" é', 200, 1.25, "key_abc")


@pytest.fixture
def root_handler() -> Iterator[logging.StreamHandler[io.StringIO]]:
    handler = logging.StreamHandler(io.StringIO())
    saved, level = logging.root.handlers[:], logging.root.level
    logging.root.handlers = [handler]
    logging.root.setLevel(logging.INFO)
    yield handler
    logging.root.handlers = saved
    logging.root.setLevel(level)


def _both(handler: logging.StreamHandler[io.StringIO], fmt: str) -> tuple[str, str]:
    """(the line through logging, the line written directly), each without its trailing newline."""
    through_logging = AccessLog()  # not attached: goes through logging's record machinery
    through_logging.write(*LINE)
    direct = AccessLog()
    direct.attach(handler, fmt)
    direct.write(*LINE)
    first, second = handler.stream.getvalue().splitlines()
    return first, second


def test_a_text_line_is_the_formatter_s_line(root_handler: logging.StreamHandler[io.StringIO]) -> None:
    root_handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    via_logging, direct = _both(root_handler, "text")
    stamp = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "
    assert re.match(stamp, via_logging) and re.match(stamp, direct)
    assert direct[24:] == via_logging[24:]  # all but the time
    assert direct[24:].startswith(f"INFO {ACCESS_LOGGER} {{")
    assert json.loads(direct[direct.index("{") :])["path"] == LINE[2]


def test_a_json_line_is_the_json_formatter_s_line(root_handler: logging.StreamHandler[io.StringIO]) -> None:
    root_handler.setFormatter(JsonFormatter())
    via_logging, direct = _both(root_handler, "json")
    a, b = json.loads(via_logging), json.loads(direct)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", b["time"])
    a.pop("time"), b.pop("time")
    assert list(a) == list(b) and a == b
    assert b["message"] == f"POST {LINE[2]} 200" and b["key_id"] == "key_abc" and b["ms"] == 1.25


def test_another_handler_gets_the_line_through_logging(
    root_handler: logging.StreamHandler[io.StringIO], caplog: pytest.LogCaptureFixture
) -> None:
    # A second handler on the root (a test's capture, an operator's file): logging decides.
    direct = AccessLog()
    direct.attach(root_handler, "text")
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        direct.write(*LINE[:5], None)
    assert [json.loads(r.getMessage())["key_id"] for r in caplog.records] == [None]


def test_nothing_is_written_when_the_level_hides_info(
    root_handler: logging.StreamHandler[io.StringIO],
) -> None:
    logging.root.setLevel(logging.WARNING)
    direct = AccessLog()
    direct.attach(root_handler, "text")
    direct.write(*LINE)
    assert root_handler.stream.getvalue() == ""
