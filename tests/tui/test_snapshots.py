"""SVG snapshots of the main layouts at 80×24 and 120×40 (update: pytest --snapshot-update).

Content is the same on every run: the sandbox answers deterministically, the stand-in serves fixed
data, and nothing on these screens shows an id, a port or a clock. (A populated crash-triage
screen shows crash ids and receive times, so it is checked by the pilot tests in
test_ops_screens.py against a real gateway instead.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fake_ops import FakeOps
from tests.tui.conftest import World, ops_app, settle

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


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_keys_and_usage(fake_ops: FakeOps, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(ops_app(fake_ops, "keys"), terminal_size=size, run_before=settle)


NO_USAGE = {"object": "usage", "days": 30, "daily": [], "by_model": []}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_keys_without_usage(fresh_fake_ops: FakeOps, snap_compare: Any, size: tuple[int, int]) -> None:
    # A new account: no day and no model has a request yet, so there is no chart to draw.
    fresh_fake_ops.usage = NO_USAGE
    assert snap_compare(ops_app(fresh_fake_ops, "keys"), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_keys_without_a_usage_endpoint(
    fresh_fake_ops: FakeOps, snap_compare: Any, size: tuple[int, int]
) -> None:
    fresh_fake_ops.usage = None
    assert snap_compare(ops_app(fresh_fake_ops, "keys"), terminal_size=size, run_before=settle)
