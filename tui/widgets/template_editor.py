"""The side panel's template tab: an NPC template as the TOML file a studio keeps, editable.

The editor only holds text and where it came from; the screen reads and saves templates
through the SDK (``ctrl+s`` posts :class:`TemplateEditor.SaveRequested`).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, TextArea


class TemplateEditor(Vertical):
    """One template's TOML; ``origin`` is the template of yours it was opened from (None: new)."""

    BINDINGS = [Binding("ctrl+s", "save", "Save template", tooltip="Save the template (a new version)")]

    class SaveRequested(Message):
        def __init__(self, text: str, origin: dict[str, Any] | None) -> None:
            super().__init__()
            self.text = text
            self.origin = origin

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.origin: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="template-heading", markup=False)
        yield TextArea("", id="template-text", soft_wrap=True, show_line_numbers=False, tab_behavior="indent")

    def on_mount(self) -> None:
        self.query_one(TextArea).cursor_blink = getattr(self.app, "cursor_blink", True)

    def load(self, text: str, origin: dict[str, Any] | None, heading: str) -> None:
        self.origin = origin
        self.query_one("#template-heading", Static).update(Text(heading, style="dim italic"))
        self.query_one(TextArea).load_text(text)

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def action_save(self) -> None:
        self.post_message(self.SaveRequested(self.text, self.origin))
