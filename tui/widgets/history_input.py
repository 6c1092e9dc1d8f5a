"""The line the player types into, with the earlier lines a key away (up and down)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

HISTORY_LIMIT = 500


class HistoryInput(Input):
    """An input that remembers what was sent (kept in ``history_path`` across sessions)."""

    BINDINGS = [
        Binding("up", "history(-1)", "Earlier line", show=False),
        Binding("down", "history(1)", "Later line", show=False),
    ]

    class Sent(Message):
        """The user pressed Enter on a line that is not blank."""

        def __init__(self, input: HistoryInput, text: str) -> None:
            super().__init__()
            self.input = input
            self.text = text

        @property
        def control(self) -> HistoryInput:
            return self.input

    def __init__(self, *, history_path: Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history_path = history_path
        self.history: list[str] = []
        self._index = 0
        self._draft = ""

    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "cursor_blink", True)
        if self.history_path is not None:
            try:
                lines = self.history_path.read_text(encoding="utf-8").splitlines()
            except OSError:
                lines = []
            self.history = lines[-HISTORY_LIMIT:]
        self._index = len(self.history)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._index == len(self.history):
            self._draft = self.value
        self._index = max(0, min(len(self.history), self._index + step))
        self.value = self._draft if self._index == len(self.history) else self.history[self._index]
        self.cursor_position = len(self.value)

    async def action_submit(self) -> None:
        text = self.value
        if not text.strip():
            return
        self._remember(text)
        self.value = ""
        self.post_message(self.Sent(self, text))

    def _remember(self, text: str) -> None:
        if not self.history or self.history[-1] != text:
            self.history.append(text)
            if self.history_path is not None and "\n" not in text:
                try:
                    self.history_path.parent.mkdir(parents=True, exist_ok=True)
                    with self.history_path.open("a", encoding="utf-8") as fh:
                        fh.write(text + "\n")
                except OSError:
                    pass  # history is a convenience: never fail a message over it
        self._index = len(self.history)
        self._draft = ""
