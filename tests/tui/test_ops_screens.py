"""Crash triage against a real gateway with the fixture minidump and real triage states; keys,
credits and usage against the real gateway's routes, fed by real requests."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Markdown, Select, Sparkline

from tests.support.gateway_process import GatewayProcess
from tests.tui.conftest import CrashWorld, World, seed, settle, text_of
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


def busy_world(gateway: GatewayProcess) -> World:
    """The seeded world, with more requests today: deepseek-chat 4 in all, claude-haiku-4-5 2,
    gpt-4o-mini 1."""
    world = seed(gateway)
    with world.client() as client:
        for model, times in (("deepseek-chat", 3), ("claude-haiku-4-5", 2), ("gpt-4o-mini", 1)):
            for i in range(times):
                client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": f"Hello there, number {i}."}]
                )
    return world


async def test_keys_screen_with_health_credits_and_usage(sqlite_gateway: GatewayProcess) -> None:
    world = busy_world(sqlite_gateway)
    app = world.app(screen="keys")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        row = [str(c) for c in app.screen.query_one("#key-table", DataTable).get_row_at(0)]
        with world.client() as client:
            me = client.keys.me()
        assert row[1:6] == [me["key"], "test", "Studio", "$5.00", "healthy"]  # test keys are never billed
        detail = text_of(app.screen.query_one("#key-detail"))
        facts = {line.split()[0]: " ".join(line.split()[1:]) for line in detail.splitlines() if line.strip()}
        assert facts["account"] == me["email"] and facts["age"] == "0 days" and facts["spent"] == "today $0"
        days = app.screen.query_one("#usage-days", Sparkline)
        assert days.display and len(days.data) == 30 and list(days.data)[-1] == 7 and sum(days.data) == 7
        summary = text_of(app.screen.query_one("#usage-summary"))
        assert "7 requests" in summary
        models = text_of(app.screen.query_one("#usage-models"))
        assert models.index("deepseek-chat") < models.index("claude-haiku-4-5") < models.index("gpt-4o-mini")
        assert [line.split()[-4] for line in models.strip().splitlines()] == ["4", "2", "1"]
        for period in (90, 7, 30):
            await pilot.press("d")
            await settle(pilot)
            assert len(app.screen.query_one("#usage-days", Sparkline).data) == period
            title = text_of(app.screen.query_one("#usage-title"))
            assert f"last {period} days" in title
            assert sum(app.screen.query_one("#usage-days", Sparkline).data) == 7


async def test_no_usage_draws_no_chart_and_says_so(sqlite_gateway: GatewayProcess) -> None:
    """A new account that has made no request: no chart (no flat line), and words that say so."""
    api_key = sqlite_gateway.create_key(tier="studio")["api_key"]
    app = World(sqlite_gateway, api_key, {"id": None}, {}).app(screen="keys")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#usage-days", Sparkline).display, "no flat line, no solid block"
        assert text_of(app.screen.query_one("#usage-summary")).strip().startswith("No requests from ")
        models = text_of(app.screen.query_one("#usage-models")).strip()
        assert models == "No requests in this period."
        assert notice_text(app, "#usage-notice") == ""
        row = [str(c) for c in app.screen.query_one("#key-table", DataTable).get_row_at(0)]
        assert row[4:6] == ["$5.00", "healthy"]


async def test_rotate_switches_the_session_to_the_new_key(world: World) -> None:
    app = world.app(screen="keys")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        with world.client() as client:  # the old key, in its grace period
            newest = client.keys.list()[0]
        assert newest["id"] != world.api_key and app.client.api_key != world.api_key
        assert (await app.client.keys.me())["key_id"] == newest["id"]
        notice = notice_text(app, "#keys-notice")
        assert f"Rotated to {newest['display']}" in notice and "now used by this session" in notice
        row = [str(c) for c in app.screen.query_one("#key-table", DataTable).get_row_at(0)]
        assert row[1] == newest["display"]


async def test_revoke_asks_first_then_the_key_stops_working(world: World) -> None:
    from mg.errors import AuthenticationError

    app = world.app(screen="keys")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("X")
        await settle(pilot)
        await pilot.press("enter")  # the first choice keeps the key
        await settle(pilot)
        with world.client() as client:
            assert client.keys.me()["key_id"]
        await pilot.press("X")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert "Revoked" in notice_text(app, "#keys-notice")
        with world.client() as client, pytest.raises(AuthenticationError):
            client.keys.me()


async def test_rotate_stores_the_new_key_in_the_profile(world: World) -> None:
    """A session opened from a profile: after R, the profile holds the new key, so the next
    `mg tui` (or any mg command) of that profile uses it."""
    from mg.config import resolve, store_key

    store_key("studio", world.api_key, base_url=world.gateway.url)
    app = world.app(screen="keys", profile="studio")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert "now used by profile 'studio'" in notice_text(app, "#keys-notice")
    stored = resolve("studio")
    assert stored.api_key == app.client.api_key != world.api_key
    with world.client() as client:
        assert client.keys.list()[0]["display"].endswith(stored.api_key[-4:])
