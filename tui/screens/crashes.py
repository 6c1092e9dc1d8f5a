"""Crash triage: crash groups by fingerprint, a group's stack and analysis, status in one key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Select, Static

from tui.errors import EndpointMissing, guarded, is_missing_route, require_route
from tui.widgets.crash_views import CrashDetail, CrashTable, representative
from tui.widgets.notice import Notice

if TYPE_CHECKING:
    from mg.client import AsyncMonsterClient
    from tui.app import MgApp

STATUSES = [
    ("new", "new"),
    ("investigating", "investigating"),
    ("resolved", "resolved"),
    ("won't fix", "wont_fix"),
]
RANGES = [("last 24 h", "24h"), ("last 7 days", "7d"), ("last 30 days", "30d"), ("last 90 days", "90d")]
_RANGE_DAYS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90}
NO_CRASHES = (
    "No crashes yet. Point the game's Breakpad or Crashpad handler at "
    "/v1/debug/crashes/breakpad?api_key=…, or try mg crashes submit crash.dmp."
)


def since_for(range_key: str | None, now: datetime | None = None) -> str | None:
    days = _RANGE_DAYS.get(range_key or "")
    if days is None:
        return None
    moment = (now or datetime.now(UTC)) - timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class CrashesScreen(Screen[None]):
    """Crash groups sorted by what needs attention; the highlighted group's detail beside them."""

    BINDINGS = [
        Binding("ctrl+f", "filter", "Filter", tooltip="Filter by game, platform, status, time range"),
        Binding("ctrl+r", "refresh", "Refresh", tooltip="Reload the crash groups"),
    ]

    AUTO_FOCUS = "#crash-groups"

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[dict[str, Any]] = []

    @property
    def client(self) -> AsyncMonsterClient:
        return cast("MgApp", self.app).client

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="crash-filters"):
            yield Input(placeholder="game id", id="filter-game", compact=True)
            yield Select[str]([], prompt="any platform", id="filter-platform", compact=True)
            yield Select[str](STATUSES, prompt="any status", id="filter-status", compact=True)
            yield Select[str](RANGES, prompt="any time", id="filter-range", compact=True)
        yield Static("", id="crash-stats")
        yield Notice(id="crash-notice")
        with Horizontal(id="crash-body"):
            yield CrashTable(id="crash-groups")
            yield CrashDetail(id="crash-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter-game", Input).cursor_blink = getattr(self.app, "cursor_blink", True)
        self.query_one(CrashTable).loading = True
        self.call_after_refresh(self.load_groups)

    def show_failure(self, exc: BaseException) -> None:
        self.query_one("#crash-notice", Notice).show_failure(exc)
        # Without the routes there is nothing to triage: the notice stands alone.
        self.query_one("#crash-body").display = not isinstance(exc, EndpointMissing)

    def _select(self, name: str) -> str | None:
        value = self.query_one(f"#filter-{name}", Select).value
        return None if value == Select.NULL else str(value)

    # -- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="groups")
    @guarded
    async def load_groups(self) -> None:
        table = self.query_one(CrashTable)
        game = self.query_one("#filter-game", Input).value.strip() or None
        try:
            groups = await require_route(
                self.client.debug.crashes.trends(game_id=game, since=since_for(self._select("range"))),
                "crash reports",
                "GET",
                "/v1/debug/crashes/trends",
            )
        finally:
            table.loading = False
        self.query_one("#crash-notice", Notice).clear()
        self.query_one("#crash-body").display = True
        self.groups = groups
        self._fill_platforms(groups)
        self._show_filtered()

    def _fill_platforms(self, groups: list[dict[str, Any]]) -> None:
        select = self.query_one("#filter-platform", Select)
        platforms = sorted({str(p) for g in groups for p in g.get("platforms") or []})
        current = select.value
        with self.prevent(Select.Changed):
            select.set_options([(p, p) for p in platforms])
            if current in platforms:
                select.value = current

    def _show_filtered(self) -> None:
        platform, status = self._select("platform"), self._select("status")
        shown = [
            g
            for g in self.groups
            if (platform is None or platform in (g.get("platforms") or []))
            and (status is None or (g.get("status") or "new") == status)
        ]
        table = self.query_one(CrashTable)
        table.show_groups(shown)
        total = sum(int(g.get("count") or 0) for g in shown)
        regressions = sum(1 for g in shown if g.get("regression"))
        stats = f"{len(shown)} groups · {total} crashes"
        if regressions:
            stats += f" · {regressions} regression{'s' if regressions != 1 else ''}"
        stats += "   n new · i investigating · r resolved · w won't fix · a analyze"
        self.query_one("#crash-stats", Static).update(stats)
        if not shown:
            # An account with no crashes at all gets told how crashes arrive, not "no match".
            title = "No crash groups match." if self.groups else NO_CRASHES
            self.query_one(CrashDetail).show_group({"title": title, "status": ""})
            self.query_one(CrashDetail).clear_crash()

    @on(Select.Changed, "#filter-platform")
    @on(Select.Changed, "#filter-status")
    def _filter_locally(self) -> None:
        self._show_filtered()

    @on(Select.Changed, "#filter-range")
    @on(Input.Submitted, "#filter-game")
    def _filter_remotely(self) -> None:
        self.load_groups()
        self.query_one(CrashTable).focus()

    # -- one group --------------------------------------------------------------------------

    @on(CrashTable.GroupHighlighted)
    def _group_highlighted(self, event: CrashTable.GroupHighlighted) -> None:
        self.query_one(CrashDetail).show_group(event.group)
        self.load_detail(event.group)

    @work(exclusive=True, group="detail")
    async def load_detail(self, group: dict[str, Any]) -> None:
        detail = self.query_one(CrashDetail)
        crash_id = representative(group)
        if crash_id is None:
            detail.clear_crash()
            return
        detail.loading = True
        try:
            crash = await self.client.debug.crashes.get(crash_id)
        except Exception as exc:
            detail.clear_crash()
            if is_missing_route(exc):
                detail.show_failure(_missing("crash details", "GET", f"/v1/debug/crashes/{crash_id}"))
            else:
                detail.show_failure(exc)
            return
        finally:
            detail.loading = False
        detail.show_crash(crash)

    @on(CrashTable.StatusChosen)
    def _status_chosen(self, event: CrashTable.StatusChosen) -> None:
        self.set_status(event.group, event.status)

    @work(group="status")
    @guarded
    async def set_status(self, group: dict[str, Any], status: str) -> None:
        crash_id = representative(group)
        if crash_id is None:
            return
        await self.client.debug.crashes.update(crash_id, status=status)
        changed = dict(group, status=status)
        self.groups = [changed if g is group else g for g in self.groups]
        self.query_one(CrashTable).update_group(changed)
        self.query_one(CrashDetail).show_group(changed)
        self.notify(f"{status.replace('_', ' ')}: {changed.get('title') or crash_id}", timeout=3)

    @on(CrashTable.AnalysisRequested)
    def _analysis_requested(self, event: CrashTable.AnalysisRequested) -> None:
        self.analyze(event.group)

    @work(exclusive=True, group="analysis")
    async def analyze(self, group: dict[str, Any]) -> None:
        detail = self.query_one(CrashDetail)
        crash_id = representative(group)
        if crash_id is None:
            return
        detail.show_analysis("*Analysing…*")
        try:
            answer = await self.client.debug.analyze(crash_id=crash_id)
        except Exception as exc:
            detail.show_analysis(None)
            if is_missing_route(exc):
                exc = _missing("crash analysis", "POST", "/v1/debug/analyze")
            detail.show_failure(exc)
            return
        detail.show_analysis(answer.get("analysis"), answer.get("model"))
        if (group.get("status") or "new") == "new":
            # The gateway moves an analysed crash to investigating; show it without a reload.
            changed = dict(group, status="investigating")
            self.groups = [changed if g is group else g for g in self.groups]
            self.query_one(CrashTable).update_group(changed)
            detail.show_group(changed)

    def action_filter(self) -> None:
        self.query_one("#filter-game", Input).focus()

    def action_refresh(self) -> None:
        self.load_groups()


def _missing(feature: str, method: str, path: str) -> Exception:
    return EndpointMissing(feature, method, path)
