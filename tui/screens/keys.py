"""Keys and usage: every key with its health and credits; usage per day and per model."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Sparkline, Static

from tui.errors import EndpointMissing, guarded, require_route
from tui.widgets.notice import Notice
from tui.widgets.usage_views import KeyRow, daily, day_summary, key_facts, model_chart, per_model

if TYPE_CHECKING:
    from mg.client import AsyncMonsterClient
    from tui.app import MgApp

PERIODS = (7, 30, 90)


async def _optional(call: Any, row: KeyRow, feature: str, path: str) -> Any:
    """An endpoint the gateway may not have yet: None (and a note on the row) when it answers 404."""
    try:
        return await require_route(call, feature, "GET", path)
    except EndpointMissing as missing:
        row.missing.append(missing.text)
        return None


async def fill_row(client: AsyncMonsterClient, row: KeyRow) -> None:
    me, health, credits = await asyncio.gather(
        client.keys.me(),
        _optional(client.keys.health(), row, "key health", "/v1/keys/health"),
        _optional(client.credits.balance(), row, "credit balances", "/v1/credits/balance"),
    )
    row.me, row.health, row.credits = me, health, credits


def other_profiles(current: str | None) -> list[tuple[str, str, str]]:
    """(profile, base URL, key) of every configured profile with a stored key, but ``current``."""
    from mg.config import Config

    config = Config.load()
    found = []
    for name, profile in sorted(config.profiles.items()):
        if name == current or not profile.credential:
            continue
        try:
            key, _ = config.credentials.get(name, profile.credential)
        except Exception:
            continue  # a locked keyring: that profile is simply not listed
        if key:
            found.append((name, profile.base_url, key))
    return found


def _store_if_kept(profile: str, base_url: str, api_key: str) -> bool:
    """Replace the profile's stored key (only a profile that stores one, on this gateway)."""
    from mg.config import Config, store_key

    found = Config.load().profile(profile)
    if found is None or not found.credential or found.base_url.rstrip("/") != base_url.rstrip("/"):
        return False
    store_key(profile, api_key)
    return True


class KeysScreen(Screen[None]):
    """Keys (this one and the profiles'), the highlighted key's facts, and this key's usage."""

    BINDINGS = [
        Binding("d", "period", "Days", tooltip="Usage over the last 7, 30 or 90 days"),
        Binding("ctrl+r", "refresh", "Refresh", tooltip="Reload keys, credits and usage"),
        Binding("R", "rotate", "Rotate", tooltip="Replace this session's key with a new one"),
        Binding("X", "revoke", "Revoke", tooltip="Revoke this session's key (after a confirmation)"),
    ]

    AUTO_FOCUS = "#key-table"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[KeyRow] = []
        self.days = 30
        self.news = ""  # what the last rotation or revocation did, kept across reloads

    @property
    def client(self) -> AsyncMonsterClient:
        return cast("MgApp", self.app).client

    def compose(self) -> ComposeResult:
        yield Header()
        yield Notice(id="keys-notice")
        yield DataTable(id="key-table", cursor_type="row")
        yield Static("", id="key-detail")
        with VerticalScroll(id="usage"):
            yield Static("", id="usage-title", classes="section")
            yield Notice(id="usage-notice")
            yield Sparkline([], id="usage-days")
            yield Static("", id="usage-summary")
            yield Static("Per model", classes="section")
            yield Static("", id="usage-models")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#key-table", DataTable)
        table.add_columns("profile", "key", "env", "tier", "credits", "health", "gateway")
        table.loading = True
        self.call_after_refresh(self.refresh_all)

    def refresh_all(self) -> None:
        self.load_keys()
        self.load_usage()

    def show_failure(self, exc: BaseException) -> None:
        self.query_one("#keys-notice", Notice).show_failure(exc)

    @work(exclusive=True, group="keys")
    @guarded
    async def load_keys(self) -> None:
        app: Any = self.app
        table = self.query_one("#key-table", DataTable)
        current = KeyRow(app.profile or "current", self.client.base_url, current=True)
        self.rows = [current]
        try:
            await fill_row(self.client, current)
        finally:
            table.loading = False
        self._show_rows()
        others = await asyncio.to_thread(other_profiles, app.profile)
        self.rows += [KeyRow(name, url) for name, url, _ in others]
        self._show_rows()
        await asyncio.gather(
            *(self._fill_other(row, key) for row, (_, _, key) in zip(self.rows[1:], others, strict=True))
        )
        self._show_rows()

    async def _fill_other(self, row: KeyRow, api_key: str) -> None:
        from mg.client import AsyncMonsterClient
        from tui.errors import describe

        async with AsyncMonsterClient(api_key, row.base_url, max_retries=0, timeout=10) as client:
            try:
                await fill_row(client, row)
            except Exception as exc:
                row.error = describe(exc).message

    def _show_rows(self) -> None:
        table = self.query_one("#key-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for row in self.rows:
            table.add_row(*row.cells(), key=row.profile)
        if self.rows:
            table.move_cursor(row=min(max(cursor, 0), len(self.rows) - 1))
            self._show_detail(self.rows[table.cursor_row])

    @on(DataTable.RowHighlighted, "#key-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.rows):
            self._show_detail(self.rows[event.cursor_row])

    def _show_detail(self, row: KeyRow) -> None:
        self.query_one("#key-detail", Static).update(key_facts(row))
        notice = self.query_one("#keys-notice", Notice)
        if row.missing:
            notice.show_missing("\n".join(row.missing))
        elif self.news:
            notice.show_info(self.news)
        else:
            notice.clear()

    @work(exclusive=True, group="usage")
    @guarded
    async def load_usage(self) -> None:
        self.query_one("#usage-title", Static).update(f"Usage per day, last {self.days} days (requests)")
        notice = self.query_one("#usage-notice", Notice)
        usage_box = self.query_one("#usage", VerticalScroll)
        usage_box.loading = True
        try:
            usage = await require_route(self.client.usage.get(days=self.days), "usage", "GET", "/v1/usage")
        except EndpointMissing as missing:
            notice.show_failure(missing)
            self._show_usage({})
            return
        finally:
            usage_box.loading = False
        notice.clear()
        self._show_usage(usage)

    def _show_usage(self, usage: dict[str, Any]) -> None:
        days = daily(usage)
        chart = self.query_one("#usage-days", Sparkline)
        # Sparkline draws a lone value as a solid block the chart's full height: with fewer than two
        # days there is no line to draw, and with no request at all nothing to see; the summary
        # below says what there is.
        chart.display = len(days) >= 2 and any(d[1] for d in days)
        chart.data = [d[1] for d in days]
        self.query_one("#usage-summary", Static).update(day_summary(days))
        self.query_one("#usage-models", Static).update(model_chart(per_model(usage)))

    def action_period(self) -> None:
        self.days = PERIODS[(PERIODS.index(self.days) + 1) % len(PERIODS)]
        self.load_usage()

    def action_refresh(self) -> None:
        self.refresh_all()

    def action_rotate(self) -> None:
        self.rotate_key()

    @work(exclusive=True, group="key-change")
    @guarded
    async def rotate_key(self) -> None:
        """A new key for this session; the old one keeps its grace period. The session goes on with
        the new key, and a profile's stored key is replaced by it."""
        app: Any = self.app
        made = await self.client.keys.rotate()
        self.client.api_key = made["key"]
        where = "this session"
        if app.profile:
            stored = await asyncio.to_thread(_store_if_kept, app.profile, self.client.base_url, made["key"])
            where = f"profile '{app.profile}'" if stored else where
        self.news = (
            f"Rotated to {made['display']} ({made['id']}), now used by {where}; the old key works "
            f"until {made['old_key_expires_at']}."
        )
        self.query_one("#keys-notice", Notice).show_info(self.news)
        self.refresh_all()

    def action_revoke(self) -> None:
        from tui.screens.modals import ChoiceModal

        options = [("Keep the key", "keep"), ("Revoke it: this session stops working", "revoke")]
        self.app.push_screen(ChoiceModal("Revoke this session's key?", options), self._revoke_chosen)

    def _revoke_chosen(self, choice: str | None) -> None:
        if choice == "revoke":
            self.revoke_key()

    @work(exclusive=True, group="key-change")
    @guarded
    async def revoke_key(self) -> None:
        me = await self.client.keys.me()
        revoked = await self.client.keys.revoke(me["key_id"])
        self.news = (
            f"Revoked {revoked['display']} ({revoked['id']}). Sign in again with another key: mg login."
        )
        self.query_one("#keys-notice", Notice).show_info(self.news)
