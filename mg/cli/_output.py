"""Output for people and for scripts: colour only on terminals, JSON with stable names.

Rules every command follows: data goes to stdout, talk (notes, progress, errors) to stderr.
``NO_COLOR`` (any value), ``TERM=dumb`` or a non-terminal stream mean no colour, no spinners and
no live redraws. Tables are rich tables on a terminal and tab-separated lines without a header
when piped, so ``cut -f1`` works.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def is_tty(stream: IO[str] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def interactive() -> bool:
    """Prompts are allowed only when both stdin and stdout are terminals."""
    return is_tty(sys.stdin) and is_tty(sys.stdout)


def color_allowed(stream: IO[str] | None) -> bool:
    return "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb" and is_tty(stream)


def live_allowed(stream: IO[str] | None = None) -> bool:
    """Spinners, progress and live redraws: a terminal that has not asked for plainness."""
    return color_allowed(stream if stream is not None else sys.stderr)


@cache
def console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(
        file=stream,
        no_color=not color_allowed(stream),
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def print_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    if not is_tty(sys.stdout):
        for row in cells:
            # One line a row, whatever the cells hold: `cut` and `grep` see whole rows.
            sys.stdout.write("\t".join(" ".join(c.replace("\t", " ").splitlines()) for c in row) + "\n")
        return
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in cells:
        table.add_row(*row)
    console().print(table)


def _say(prefix: str, style: str, message: str) -> None:
    if color_allowed(sys.stderr):
        console(stderr=True).print(f"[{style}]{prefix}[/] {message}", markup=True, highlight=False)
    else:
        sys.stderr.write(f"{prefix} {message}\n")
        sys.stderr.flush()


def _escape(text: str) -> str:
    if not color_allowed(sys.stderr):
        return text
    from rich.markup import escape

    return escape(text)


def note(message: str) -> None:
    """Something worth knowing, on stderr."""
    _say("note:", "cyan", _escape(message))


def success(message: str) -> None:
    _say("✓", "green", _escape(message))


def warn(message: str) -> None:
    _say("warning:", "yellow", _escape(message))


def error(message: str, remediation: str | None = None) -> None:
    _say("error:", "bold red", _escape(message))
    if remediation:
        _say("hint:", "yellow", _escape(remediation))


def info(message: str) -> None:
    """Plain progress talk on stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@contextmanager
def spinner(message: str) -> Iterator[None]:
    """A spinner on a terminal; elsewhere one plain line, so logs still say what happened."""
    if live_allowed(sys.stderr):
        with console(stderr=True).status(message, spinner="dots"):
            yield
    else:
        info(message)
        yield
