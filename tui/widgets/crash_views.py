"""Crash groups as a table sorted by what needs attention, and one group's detail."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Markdown, Static

from tui.widgets.notice import Notice

STATUS_RANK = {"new": 0, "investigating": 1, "resolved": 2, "wont_fix": 3}
STATUS_STYLE = {"new": "bold red", "investigating": "yellow", "resolved": "green", "wont_fix": "dim"}


def group_key(group: dict[str, Any]) -> str:
    return str(group.get("fingerprint") or group.get("id") or "")


def representative(group: dict[str, Any]) -> str | None:
    """The crash that stands for a group (its newest): the one to read, analyse and update."""
    for key in ("latest_crash_id", "crash_id", "sample_crash_id", "last_crash_id"):
        if group.get(key):
            return str(group[key])
    ids = group.get("crash_ids")
    return str(ids[0]) if isinstance(ids, list) and ids else None


def attention(group: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key: open regressions, then new before investigating before closed, then the most
    frequent, then the most recent."""
    status = str(group.get("status") or "new")
    open_regression = bool(group.get("regression")) and status in ("new", "investigating")
    return (
        not open_regression,
        STATUS_RANK.get(status, 0),
        -int(group.get("count") or 0),
        _negated(str(group.get("last_seen") or "")),
    )


def _negated(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def _day(value: Any) -> str:
    text = str(value or "")
    return text[:16].replace("T", " ") if text else "-"


def title_of(group: dict[str, Any]) -> str:
    return str(
        group.get("title")
        or group.get("signature")
        or group.get("top_frame")
        or group.get("crash_reason")
        or group_key(group)[:16]
    )


class CrashTable(DataTable[Any]):
    """One row per crash group; n, i, r, w set its status, a asks for an analysis."""

    BINDINGS = [
        Binding("n", "status('new')", "New", tooltip="Set the group's status to new"),
        Binding("i", "status('investigating')", "Investigating", tooltip="Set the status to investigating"),
        Binding("r", "status('resolved')", "Resolved", tooltip="Set the status to resolved"),
        Binding("w", "status('wont_fix')", "Won't fix", tooltip="Set the status to won't fix"),
        Binding("a", "analyze", "Analyze", tooltip="Run the AI analysis of the group's newest crash"),
    ]

    class StatusChosen(Message):
        def __init__(self, group: dict[str, Any], status: str) -> None:
            super().__init__()
            self.group = group
            self.status = status

    class AnalysisRequested(Message):
        def __init__(self, group: dict[str, Any]) -> None:
            super().__init__()
            self.group = group

    class GroupHighlighted(Message):
        def __init__(self, group: dict[str, Any]) -> None:
            super().__init__()
            self.group = group

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.groups: dict[str, dict[str, Any]] = {}

    def on_mount(self) -> None:
        self.add_column("!", key="flag", width=1)
        self.add_column("crash", key="title")
        self.add_column("count", key="count")
        self.add_column("status", key="status")
        self.add_column("last seen", key="last")
        self.add_column("first seen", key="first")
        self.add_column("platforms", key="platforms")
        self.add_column("versions", key="versions")

    def show_groups(self, groups: list[dict[str, Any]]) -> None:
        """Replace the rows (sorted by attention), keeping the cursor on the same group."""
        current = self.current_group
        self.clear()
        self.groups = {}
        for group in sorted(groups, key=attention):
            key = group_key(group)
            self.groups[key] = group
            self.add_row(*self._cells(group), key=key)
        if current is not None and group_key(current) in self.groups:
            self.move_cursor(row=self.get_row_index(group_key(current)))

    def update_group(self, group: dict[str, Any]) -> None:
        key = group_key(group)
        if key not in self.groups:
            return
        self.groups[key] = group
        for column, value in zip(("flag", "title", "count", "status"), self._cells(group), strict=False):
            self.update_cell(key, column, value)

    @staticmethod
    def _cells(group: dict[str, Any]) -> list[Any]:
        status = str(group.get("status") or "new")
        flag = Text("⚠", style="bold red") if group.get("regression") else Text(" ")
        return [
            flag,
            title_of(group)[:48],
            Text(str(group.get("count", 0)), justify="right"),
            Text(status, style=STATUS_STYLE.get(status, "")),
            _day(group.get("last_seen")),
            _day(group.get("first_seen")),
            ", ".join(map(str, group.get("platforms") or [])),
            ", ".join(map(str, group.get("versions") or [])),
        ]

    @property
    def current_group(self) -> dict[str, Any] | None:
        if not self.groups or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.groups.get(str(key))

    def action_status(self, status: str) -> None:
        if (group := self.current_group) is not None:
            self.post_message(self.StatusChosen(group, status))

    def action_analyze(self) -> None:
        if (group := self.current_group) is not None:
            self.post_message(self.AnalysisRequested(group))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if (group := self.current_group) is not None:
            self.post_message(self.GroupHighlighted(group))


def frames_of(crash: dict[str, Any]) -> list[dict[str, Any]]:
    raw = crash.get("stack") or crash.get("frames") or crash.get("stack_trace") or []
    if isinstance(raw, dict):
        raw = raw.get("frames") or []
    return [f if isinstance(f, dict) else {"function": str(f)} for f in raw]


def stack_table(frames: list[dict[str, Any]]) -> Table | Text:
    if not frames:
        return Text("No stack (not symbolicated yet, or no minidump).", style="dim italic")
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", justify="right", no_wrap=True)
    table.add_column(style="cyan", no_wrap=True)
    table.add_column(style="bold")
    table.add_column(style="dim")
    for i, frame in enumerate(frames):
        where = frame.get("file") or ""
        if where and frame.get("line") is not None:
            where = f"{where}:{frame['line']}"
        if not where and frame.get("offset") is not None:
            where = str(frame["offset"])
        table.add_row(
            str(frame.get("frame", i)), frame.get("module") or "?", frame.get("function") or "??", where
        )
    return table


def facts_table(facts: dict[str, Any]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in facts.items():
        if value is not None and not isinstance(value, dict | list):
            table.add_row(key, str(value))
    return table


class CrashDetail(VerticalScroll):
    """The group's newest crash: symbolicated stack, minidump metadata and the AI analysis."""

    def compose(self) -> ComposeResult:
        yield Static("", id="crash-title")
        yield Notice(id="detail-notice")
        yield Static("Stack", classes="section")
        yield Static("", id="crash-stack")
        yield Static("Minidump", classes="section")
        yield Static("", id="crash-minidump")
        yield Static("AI analysis", classes="section")
        yield Markdown("", id="crash-analysis")

    def show_failure(self, exc: BaseException) -> None:
        self.query_one("#detail-notice", Notice).show_failure(exc)

    def show_group(self, group: dict[str, Any]) -> None:
        self.query_one("#detail-notice", Notice).clear()
        if not group_key(group):  # a message in place of a group: no status, no fingerprint
            self.query_one("#crash-title", Static).update(Text(title_of(group), style="italic"))
            return
        status = str(group.get("status") or "new")
        title = Text(title_of(group), style="bold")
        title.append(f"  {status}", style=STATUS_STYLE.get(status, ""))
        if group.get("regression"):
            title.append("  regression", style="bold red")
        title.append(f"\nfingerprint {group_key(group)[:16]} · {group.get('count', 0)} crashes", style="dim")
        self.query_one("#crash-title", Static).update(title)

    def show_crash(self, crash: dict[str, Any]) -> None:
        self.query_one("#crash-stack", Static).update(stack_table(frames_of(crash)))
        minidump = crash.get("minidump") or crash.get("minidump_metadata") or {}
        facts = {
            "crash": crash.get("id"),
            "game": crash.get("game_id"),
            "platform": crash.get("platform"),
            "version": crash.get("version") or crash.get("app_version"),
            "reason": crash.get("crash_reason") or crash.get("reason"),
            "received": crash.get("created_at"),
            **(minidump if isinstance(minidump, dict) else {}),
        }
        if not minidump:
            facts["minidump"] = "none uploaded"
        self.query_one("#crash-minidump", Static).update(facts_table(facts))
        analysis = crash.get("analysis")
        if isinstance(analysis, dict):
            analysis = analysis.get("analysis")
        self.show_analysis(analysis)

    def show_analysis(self, text: str | None, model: str | None = None) -> None:
        body = text or "*No analysis yet: press **a** to run it.*"
        if text and model:
            body += f"\n\n*— {model}*"
        self.query_one("#crash-analysis", Markdown).update(body)

    def clear_crash(self) -> None:
        self.query_one("#crash-stack", Static).update("")
        self.query_one("#crash-minidump", Static).update("")
        self.query_one("#crash-analysis", Markdown).update("")
