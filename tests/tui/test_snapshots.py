"""SVG snapshots of the main layouts at 80×24 and 120×40 (update: pytest --snapshot-update).

Content is the same on every run: the sandbox answers deterministically, and nothing on these
screens shows an id, a port or a clock. Screens that do are checked by pilot tests in
test_ops_screens.py instead: a populated crash-triage screen (crash ids, receive times) and the
keys screen (a random key's last four, the account's email, today's date on the usage chart).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.conftest import World, settle

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dialogue_explorer(world: World, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(world.app(), terminal_size=size, run_before=settle)


def test_dialogue_explorer_side_panel_on_a_narrow_terminal(world: World, snap_compare: Any) -> None:
    async def open_panel(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("ctrl+b")

    assert snap_compare(world.app(), terminal_size=(80, 24), run_before=open_panel)


def test_crash_triage_with_no_crashes(world: World, snap_compare: Any) -> None:
    assert snap_compare(world.app(screen="crashes"), terminal_size=(80, 24), run_before=settle)
