"""An inline line of news: a failure with its remediation, a missing endpoint, or a hint."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.errors import EndpointMissing, describe

_KINDS = ("-error", "-missing", "-info")


class Notice(Static):
    """Hidden until told something; shown in place of (or above) the content it concerns."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.display = False

    def _present(self, kind: str, text: Text | str) -> None:
        self.remove_class(*_KINDS)
        self.add_class(kind)
        self.update(text)
        self.display = True

    def show_failure(self, exc: BaseException) -> None:
        """The error's message (and code), its remediation on the next line."""
        if isinstance(exc, EndpointMissing):
            self.show_missing(exc.text)
            return
        failure = describe(exc)
        text = Text(failure.message, style="bold")
        if failure.code:
            text.append(f"  {failure.code}", style="dim")
        if failure.remediation:
            text.append("\n" + failure.remediation, style="")
        self._present("-error", text)

    def show_missing(self, text: str) -> None:
        """What this gateway does not offer yet: said plainly, not as an error."""
        self._present("-missing", text)

    def show_info(self, message: str) -> None:
        self._present("-info", message)

    def clear(self) -> None:
        self.display = False
        self.update("")
