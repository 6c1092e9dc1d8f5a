"""Showing a reply while it streams.

On a terminal (with colour allowed) the text appears token by token in a live region that
shows its latest lines; when the reply ends, the region is replaced by the reply rendered as
markdown. Anywhere else tokens are written as they arrive, as plain text, and nothing is
redrawn, so pipes and logs get exactly the reply.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO, TYPE_CHECKING, Any

from mg.cli import _output

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.live import Live

    from mg.types import ChatCompletion


def action_calls(tool_calls: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    """(action name, its arguments as compact JSON) for each tool call an NPC made."""
    out = []
    for call in tool_calls or []:
        fn = call.get("function") or {}
        args = fn.get("arguments") or ""
        try:
            args = json.dumps(json.loads(args), ensure_ascii=False) if args else "{}"
        except ValueError:
            pass  # not JSON after all: shown as it came
        out.append((str(fn.get("name")), str(args)))
    return out


def _actions(completion: ChatCompletion | None) -> list[str]:
    if completion is None or not completion.choices:
        return []
    return [f"{name} {args}" for name, args in action_calls(completion.choices[0].message.tool_calls)]


class PlainReply:
    """Tokens straight to the stream as they arrive."""

    def __init__(self, stream: IO[str] | None = None, actions_stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self.actions_stream = actions_stream or self.stream
        self.text = ""

    def start(self, label: str | None = None) -> None:
        if label:
            self.stream.write(f"{label}: ")
            self.stream.flush()

    def feed(self, text: str) -> None:
        if text:
            self.text += text
            self.stream.write(text)
            self.stream.flush()

    def finish(self, completion: ChatCompletion | None = None) -> None:
        if not self.text.endswith("\n"):
            self.stream.write("\n")
        for action in _actions(completion):
            self.actions_stream.write(f"[action] {action}\n")
        self.stream.flush()

    def cancel(self) -> None:
        self.stream.write("\n[reply cancelled]\n")
        self.stream.flush()

    def abort(self) -> None:
        if self.text and not self.text.endswith("\n"):
            self.stream.write("\n")
        self.stream.flush()


class _Tail:
    """The last lines of the text that fit on the screen (a live region cannot scroll)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        lines = Text(self.text).wrap(console, options.max_width)
        height = max(1, console.size.height - 2)
        yield from lines[-height:]


class LiveReply:
    """Live token-by-token region, replaced by rendered markdown at the end."""

    min_interval = 1 / 30

    def __init__(self, console: Console, markdown: bool = True) -> None:
        self.console = console
        self.markdown = markdown
        self.text = ""
        self.live: Live | None = None
        self._last = 0.0

    def start(self, label: str | None = None) -> None:
        from rich.live import Live

        if label:
            self.console.print(f"[bold cyan]{label}[/]", highlight=False)
        self.live = Live(
            _Tail(""),
            console=self.console,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            vertical_overflow="visible",
        )
        self.live.start()

    def feed(self, text: str) -> None:
        if not text or self.live is None:
            return
        self.text += text
        now = time.monotonic()
        if now - self._last >= self.min_interval:
            self._last = now
            self.live.update(_Tail(self.text), refresh=True)

    def _stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def finish(self, completion: ChatCompletion | None = None) -> None:
        from rich.markdown import Markdown

        self._stop()
        if self.text.strip():
            self.console.print(Markdown(self.text) if self.markdown else self.text)
        for action in _actions(completion):
            self.console.print(f"[magenta]→ action[/] {action}", highlight=False, markup=True)

    def abort(self) -> None:
        from rich.text import Text

        self._stop()
        if self.text:
            self.console.print(Text(self.text))

    def cancel(self) -> None:
        self.abort()
        self.console.print("[dim]\\[reply cancelled][/]")


def new_reply(stream: IO[str] | None = None) -> Any:
    """The renderer that fits where the reply goes."""
    stream = stream or sys.stdout
    if _output.live_allowed(stream):
        return LiveReply(_output.console())
    return PlainReply(stream, actions_stream=stream if _output.is_tty(stream) else sys.stderr)
