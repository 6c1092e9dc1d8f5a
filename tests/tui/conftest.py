"""TUI tests: animations off, a fixed size, and content that is the same on every run.

Pilot tests drive the app against a real gateway process (SQLite is enough for the TUI) with a
new developer account per test, so each sees only its own threads, crashes, keys, credits and
usage, all fed by real requests (no stand-in serves any route).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import textual.constants

from mg import MonsterClient
from tests.support.gateway_process import GatewayProcess


@pytest.fixture(autouse=True)
def no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    """No animation, no blinking cursor: what a snapshot catches never depends on timing."""
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
    # The suite's clean environment sets NO_COLOR; snapshots should show the colours users see.
    monkeypatch.delenv("NO_COLOR", raising=False)


@dataclass
class World:
    """A developer account on the gateway with an NPC thread and a group scene."""

    gateway: GatewayProcess
    api_key: str
    merchant: dict[str, Any]
    scene: dict[str, Any]

    def client(self) -> MonsterClient:
        return MonsterClient(self.api_key, self.gateway.url, max_retries=0)

    def app(self, **options: Any) -> Any:
        from mg.client import AsyncMonsterClient
        from tui.app import MgApp

        client = AsyncMonsterClient(self.api_key, self.gateway.url, max_retries=0)
        options.setdefault("refresh_seconds", 0)
        options.setdefault("thread_id", self.merchant["id"])
        return MgApp(client=client, connection="test", **options)


def seed(gateway: GatewayProcess) -> World:
    api_key = gateway.create_key(tier="studio")["api_key"]
    with MonsterClient(api_key, gateway.url, max_retries=0) as client:
        scene = client.threads.create_group(
            npcs=[
                {"npc_id": "guard_1", "name": "Bram", "npc_template": "guard"},
                {"npc_id": "healer_1", "name": "Ilsa", "npc_template": "healer"},
            ],
            player_id="player_1",
        )
        merchant = client.threads.create(
            npc_id="blacksmith_01", player_id="player_1", npc_template="merchant"
        )
        client.threads.set_state(merchant["id"], {"gold": 5, "quest": {"stage": 2, "items": ["map", "key"]}})
        client.chat.completions.create(
            model="deepseek-chat",
            messages=[{"role": "user", "content": "Got any swords? What do they cost?"}],
            thread_id=merchant["id"],
        )
    return World(gateway, api_key, merchant, scene)


@pytest.fixture
def world(sqlite_gateway: GatewayProcess) -> World:
    return seed(sqlite_gateway)


@dataclass
class CrashWorld:
    """A developer with real crashes: the fixture minidump (symbolicated, sent twice) and
    inline stack traces in every triage state, one of them an open regression."""

    gateway: GatewayProcess
    api_key: str
    ids: dict[str, str]

    def client(self) -> MonsterClient:
        return MonsterClient(self.api_key, self.gateway.url, max_retries=0)

    def app(self) -> Any:
        from mg.client import AsyncMonsterClient
        from tui.app import MgApp

        client = AsyncMonsterClient(self.api_key, self.gateway.url, max_retries=0)
        return MgApp(client=client, connection="test", screen="crashes", refresh_seconds=0)


def seed_crashes(gateway: GatewayProcess) -> CrashWorld:
    from tests.gateway.crashes.support import DUMPS, TEST_APP, TEST_APP_SYMS, upload_symbol, wait_processed

    api_key = gateway.create_key(tier="studio")["api_key"]
    ids: dict[str, str] = {}
    with gateway.client(api_key) as http, MonsterClient(api_key, gateway.url, max_retries=0) as client:
        for path in TEST_APP_SYMS:
            upload_symbol(http, path)
        for _ in range(2):
            with (DUMPS / TEST_APP).open("rb") as fh:
                dumped = client.debug.crashes.submit_minidump(
                    fh, game_id="dungeon", platform="windows", version="1.4.3"
                )
            wait_processed(http, dumped["id"])
        ids["dump"] = dumped["id"]

        def trace(top: str, game: str, platform: str, version: str) -> str:
            frames = [f"game.exe!{top}", "game.exe!World::Tick", "game.exe!main"]
            made = client.debug.crashes.submit(
                stack_trace=frames, game_id=game, platform=platform, version=version
            )
            return str(made["id"])

        ids["collision"] = trace("CollisionCheck::Narrow", "dungeon", "linux", "1.4.2")
        client.debug.crashes.update(ids["collision"], status="resolved")
        ids["collision"] = trace("CollisionCheck::Narrow", "dungeon", "windows", "1.4.3")  # regression
        ids["save"] = trace("Save::Write", "racer", "ps5", "2.0.1")
        ids["render"] = trace("Renderer::Present", "dungeon", "windows", "1.4.3")
        client.debug.crashes.update(ids["render"], status="investigating")
        ids["audio"] = trace("Audio::Mix", "dungeon", "macos", "1.4.2")
        client.debug.crashes.update(ids["audio"], status="resolved")
    return CrashWorld(gateway, api_key, ids)


@pytest.fixture
def crash_world(sqlite_gateway: GatewayProcess) -> CrashWorld:
    return seed_crashes(sqlite_gateway)


async def settle(pilot: Any) -> None:
    """Wait until the app's workers (API calls, and those they start) are done and painted."""
    for _ in range(50):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            break
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def text_of(widget: Any) -> str:
    """What a Static shows, as plain text."""
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()
