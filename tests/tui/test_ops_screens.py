"""Crash triage against a real gateway with the fixture minidump and real triage states; keys
and usage: the plain notice against the real gateway (which has no such routes yet), the
populated screen against the stand-in in tests/support/fake_ops.py."""

from __future__ import annotations

from textual.widgets import DataTable, Markdown, Select, Sparkline

from tests.support.fake_ops import FakeOps
from tests.tui.conftest import CrashWorld, World, ops_app, settle, text_of
from tui.widgets.crash_views import CrashTable
from tui.widgets.notice import Notice


def notice_text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    notice = app.screen.query_one(selector, Notice)
    return text_of(notice).strip() if notice.display else ""


def rows(table: CrashTable) -> list[tuple[str, str]]:
    return [(str(table.get_row_at(i)[1]), str(table.get_row_at(i)[3])) for i in range(table.row_count)]


async def test_crash_triage_with_no_crashes_says_how_they_arrive(world: World) -> None:
    app = world.app(screen="crashes")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(CrashTable).row_count == 0
        title = text_of(app.screen.query_one("#crash-title"))
        assert "No crashes yet" in title and "/v1/debug/crashes/breakpad" in title
        assert notice_text(app, "#crash-notice") == ""
        assert app.is_running


async def test_keys_screen_shows_the_key_with_its_health(world: World) -> None:
    """The real /v1/keys/health: a key made today is healthy and nothing is reported missing."""
    app = world.app(screen="keys")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#key-table", DataTable)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1].startswith("mg_test_") and row[3] == "Studio" and row[4] == "$5.00"
        assert row[5] == "healthy"
        assert notice_text(app, "#keys-notice") == ""
        assert notice_text(app, "#usage-notice") == ""
        detail = text_of(app.screen.query_one("#key-detail"))
        assert "0 days" in detail


async def test_keys_screen_draws_the_gateways_own_credits_and_usage(world: World) -> None:
    """The real /v1/credits/balance and /v1/usage: the seeded completion is today's one request."""
    app = world.app(screen="keys")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        days = app.screen.query_one("#usage-days", Sparkline)
        assert days.display and list(days.data)[-1] == 1 and sum(days.data) == 1
        models = text_of(app.screen.query_one("#usage-models"))
        assert "deepseek-chat" in models
        detail = text_of(app.screen.query_one("#key-detail"))
        assert "spent today" in detail
        await pilot.press("d")
        await settle(pilot)
        assert len(app.screen.query_one("#usage-days", Sparkline).data) > 7


async def test_crash_groups_sorted_by_attention_with_stack_and_minidump(crash_world: CrashWorld) -> None:
    app = crash_world.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CrashTable)
        assert rows(table) == [
            ("CollisionCheck::Narrow", "new"),  # an open regression first
            ("`anonymous namespace'::CrashFunction", "new"),  # the dump, twice
            ("Save::Write", "new"),
            ("Renderer::Present", "investigating"),
            ("Audio::Mix", "resolved"),
        ]
        assert "5 groups · 7 crashes · 1 regression" in text_of(app.screen.query_one("#crash-stats"))
        await pilot.press("down")
        await settle(pilot)
        detail = text_of(app.screen.query_one("#crash-stack"))
        assert "CrashFunction" in detail and "c:\\test_app.cc:58" in detail and "test_app.exe" in detail
        assert "kernel32.dll" in detail and "BaseProcessStart" in detail
        minidump = text_of(app.screen.query_one("#crash-minidump"))
        assert "Windows NT 5.1.2600 Service Pack 2" in minidump and "0x45" in minidump
        assert crash_world.ids["dump"] in minidump


async def test_one_key_changes_a_crash_groups_status(crash_world: CrashWorld) -> None:
    app = crash_world.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")  # Save::Write
        await pilot.press("r")
        await settle(pilot)
        with crash_world.client() as client:
            assert client.debug.crashes.get(crash_world.ids["save"])["status"] == "resolved"
        assert rows(app.screen.query_one(CrashTable))[2] == ("Save::Write", "resolved")
        await pilot.press("w")
        await settle(pilot)
        with crash_world.client() as client:
            assert client.debug.crashes.get(crash_world.ids["save"])["status"] == "wont_fix"


async def test_the_analysis_runs_from_the_screen(crash_world: CrashWorld) -> None:
    app = crash_world.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down")  # the symbolicated dump
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        analysis = app.screen.query_one("#crash-analysis", Markdown)
        assert "**Root Cause:**" in analysis.source and "CrashFunction" in analysis.source
        assert "rule-based" in analysis.source
        assert rows(app.screen.query_one(CrashTable))[1] == (
            "`anonymous namespace'::CrashFunction",
            "investigating",
        )
        with crash_world.client() as client:
            assert client.debug.crashes.get(crash_world.ids["dump"])["status"] == "investigating"


async def test_filters_by_status_platform_game_and_time(crash_world: CrashWorld) -> None:
    app = crash_world.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(CrashTable)
        screen.query_one("#filter-status", Select).value = "resolved"
        await settle(pilot)
        assert [r[0] for r in rows(table)] == ["Audio::Mix"]
        screen.query_one("#filter-status", Select).clear()
        screen.query_one("#filter-platform", Select).value = "ps5"
        await settle(pilot)
        assert [r[0] for r in rows(table)] == ["Save::Write"]
        screen.query_one("#filter-platform", Select).clear()
        await pilot.press("ctrl+f")
        await pilot.press(*"racer", "enter")
        await settle(pilot)
        assert [r[0] for r in rows(table)] == ["Save::Write"]
        await pilot.press("ctrl+f")
        await pilot.press(*["backspace"] * 5, "enter")
        await settle(pilot)
        screen.query_one("#filter-range", Select).value = "24h"
        await settle(pilot)
        assert len(rows(table)) == 5  # all of them arrived just now


async def test_keys_screen_with_health_credits_and_usage(fake_ops: FakeOps) -> None:
    app = ops_app(fake_ops, "keys")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        row = [str(c) for c in app.screen.query_one("#key-table", DataTable).get_row_at(0)]
        assert row[1:6] == ["mg_test_Fake…0001", "test", "Studio", "$4.91", "aging"]
        detail = text_of(app.screen.query_one("#key-detail"))
        assert "Consider rotating" in detail and "$5 on 2027-02-01" in detail
        assert app.screen.query_one("#usage-days", Sparkline).data == [12, 30, 22, 48, 41, 9, 27]
        models = text_of(app.screen.query_one("#usage-models"))
        assert models.index("deepseek-chat") < models.index("claude-haiku-4-5") < models.index("monster-gpt")
        await pilot.press("d")
        await settle(pilot)
        assert ("GET", "/v1/usage", {"days": "90"}) in fake_ops.calls


async def test_no_usage_draws_no_chart_and_says_so(fresh_fake_ops: FakeOps) -> None:
    for usage, notice in (
        ({"object": "usage", "days": 30, "daily": [], "by_model": []}, ""),
        (None, "does not offer usage yet (GET /v1/usage answered 404)"),
    ):
        fresh_fake_ops.usage = usage
        app = ops_app(fresh_fake_ops, "keys")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert not app.screen.query_one("#usage-days", Sparkline).display, "no solid block"
            assert text_of(app.screen.query_one("#usage-summary")).strip() == "No daily figures."
            models = text_of(app.screen.query_one("#usage-models")).strip()
            assert models == "No requests in this period."
            assert notice in notice_text(app, "#usage-notice")
