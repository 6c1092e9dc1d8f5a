"""What commands read besides flags: JSON from a file or stdin, and ``key=value`` pairs.

Local mistakes are usage errors (exit 2) that say where: the file, and the line and column of
bad JSON. A missing file is "not found" (exit 4).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

from mg.cli._errors import NotFound, UsageError

STDIN = "-"


def read_json(source: str, what: str) -> Any:
    """The JSON in file ``source``, or on stdin when ``source`` is ``-``."""
    from mg.cli import _output

    if source == STDIN:
        if _output.is_tty(sys.stdin):
            raise UsageError(
                f"'-' reads {what} from stdin, but stdin is a terminal.", "Pipe it in, or give a file."
            )
        text, where = sys.stdin.read(), "stdin"
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise NotFound(f"There is no file {source}.", f"Give the path of a JSON file with {what}.")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"Cannot read {source}: {exc}.") from exc
        where = source
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            f"It should hold {what}.",
        ) from exc


def parse_value(raw: str) -> Any:
    """A value typed after ``=``: JSON when it parses (5, true, null, [1,2], {"a":1}), else text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_pairs(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` words into an object; values as :func:`parse_value` reads them."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"'{pair}' is not key=value")
        out[key] = parse_value(raw)
    return out


def parse_object_or_pairs(text: str) -> dict[str, Any]:
    """One string: a JSON object, or shell-quoted ``key=value`` pairs (the REPL's ``/state``)."""
    text = text.strip()
    if text.startswith("{"):
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("the state must be a JSON object")
        return value
    return parse_pairs(shlex.split(text))


def object_from_options(values: list[str], option: str) -> dict[str, Any]:
    """A repeatable option whose values are JSON objects or ``key=value`` pairs, merged in order."""
    out: dict[str, Any] = {}
    for value in values:
        try:
            out.update(
                parse_object_or_pairs(value) if value.lstrip().startswith("{") else parse_pairs([value])
            )
        except ValueError as exc:
            example = f"{option} '{{\"k\": 1}}'"
            raise UsageError(
                f"{option} {value!r}: {exc}.", f"Use {option} key=value (repeat it), or {example}."
            ) from exc
    return out
