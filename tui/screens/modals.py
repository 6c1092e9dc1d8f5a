"""Small dialogs: a form of a few fields, and a choice from a list (with a filter)."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option


@dataclass
class Field:
    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    options: list[tuple[str, str]] | None = field(default=None)
    """Choices for a drop-down instead of a text box: (label, value) pairs."""


class FormModal(ModalScreen[dict[str, str] | None]):
    """A titled form; Enter in the last box (or ctrl+s) submits, Escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Save", priority=True),
    ]

    def __init__(self, title: str, fields: list[Field], *, hint: str = "", submit: str = "Save") -> None:
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.hint = hint
        self.submit_label = submit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.form_title, classes="dialog-title")
            for f in self.fields:
                yield Label(f.label, classes="field-label")
                if f.options is not None:
                    yield Select(f.options, value=f.value or Select.NULL, id=f"field-{f.name}")
                else:
                    yield Input(f.value, placeholder=f.placeholder, id=f"field-{f.name}")
            if self.hint:
                yield Static(self.hint, classes="dialog-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit_label, variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = getattr(self.app, "cursor_blink", True)

    def values(self) -> dict[str, str]:
        out = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Select):
                out[f.name] = "" if widget.value is Select.NULL else str(widget.value)
            else:
                assert isinstance(widget, Input)
                out[f.name] = widget.value
        return out

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_submit()
        else:
            self.focus_next()

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.dismiss(self.values())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceModal(ModalScreen[str | None]):
    """Pick one of many: type to narrow the list, Enter to choose, Escape to cancel."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, title: str, options: list[tuple[str, str]], *, current: str | None = None) -> None:
        super().__init__()
        self.choice_title = title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.choice_title, classes="dialog-title")
            yield Input(placeholder="type to filter", id="choice-filter")
            yield OptionList(id="choice-list")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = getattr(self.app, "cursor_blink", True)
        self._fill("")

    def _fill(self, query: str) -> None:
        listing = self.query_one("#choice-list", OptionList)
        listing.clear_options()
        wanted = query.lower()
        shown = [(label, value) for label, value in self.options if wanted in label.lower()]
        listing.add_options([Option(label, id=value) for label, value in shown])
        values = [value for _, value in shown]
        if self.current in values:
            listing.highlighted = values.index(self.current)
        elif shown:
            listing.highlighted = 0

    @on(Input.Changed, "#choice-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#choice-filter")
    def _take_highlighted(self) -> None:
        listing = self.query_one("#choice-list", OptionList)
        if listing.highlighted is not None:
            self.dismiss(listing.get_option_at_index(listing.highlighted).id)

    @on(OptionList.OptionSelected, "#choice-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        listing = self.query_one("#choice-list", OptionList)
        if step > 0:
            listing.action_cursor_down()
        else:
            listing.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
