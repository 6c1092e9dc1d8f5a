"""``mg crashes`` and ``mg debug sessions``: real CLI processes against a real gateway, and the
SDK's crash resources (sync and async) on the same routes."""

from __future__ import annotations

import json

import pytest

from mg import AsyncMonsterClient, MonsterClient
from mg.errors import InvalidRequestError, NotFoundError
from tests.gateway.crashes.support import DUMPS, TEST_APP, TEST_APP_SYMS, upload_symbol, wait_processed
from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import Result, run_mg


@pytest.fixture(scope="module")
def key(sqlite_gateway: GatewayProcess) -> str:
    key = sqlite_gateway.create_key()["api_key"]
    with sqlite_gateway.client(key) as client:
        for path in TEST_APP_SYMS:
            upload_symbol(client, path)
    return key


def mg(gw: GatewayProcess, key: str, *args: str) -> Result:
    return run_mg(*args, MG_BASE_URL=gw.url, MG_API_KEY=key, timeout=120)


def test_submit_then_show_prints_the_stack_like_a_debugger(sqlite_gateway: GatewayProcess, key: str) -> None:
    submitted = mg(sqlite_gateway, key, "crashes", "submit", str(DUMPS / TEST_APP), "--game", "dungeon",
                   "--version", "1.4.2", "--json")  # fmt: skip
    assert submitted.code == 0, submitted.err
    crash = json.loads(submitted.out)
    assert crash["processing"] == "processed" and crash["game_id"] == "dungeon"
    shown = mg(sqlite_gateway, key, "crashes", "show", crash["id"])
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert any("EXCEPTION_ACCESS_VIOLATION_WRITE at 0x45" in line for line in lines)
    # Piped output: one tab-separated row per frame (#, module, function, file:line, found by).
    rows = [line.split("\t") for line in lines if line.count("\t") == 4]
    assert rows[0] == [
        "0",
        "test_app.exe",
        "`anonymous namespace'::CrashFunction",
        "c:\\test_app.cc:58",
        "context",
    ]
    assert rows[1] == ["1", "test_app.exe", "main", "c:\\test_app.cc:65", "cfi"]
    assert rows[3][1:3] == ["kernel32.dll", "BaseProcessStart"]


def test_list_trends_stats_status_and_analyze(sqlite_gateway: GatewayProcess, key: str) -> None:
    with sqlite_gateway.client(key) as client:
        body = {"stack_trace": ["game.exe!Loot::Roll", "game.exe!main"], "game_id": "cli", "version": "3.0"}
        crash = wait_processed(client, client.post("/v1/debug/crashes", json=body).json()["id"])
    listed = mg(sqlite_gateway, key, "crashes", "list", "--game", "cli", "--json")
    assert [c["id"] for c in json.loads(listed.out)] == [crash["id"]]
    table = mg(sqlite_gateway, key, "crashes", "list", "--game", "cli")
    assert table.out.split("\t")[0] == crash["id"] and "Loot::Roll" in table.out
    trends = json.loads(mg(sqlite_gateway, key, "crashes", "trends", "--game", "cli", "--json").out)
    assert [(g["title"], g["count"]) for g in trends] == [("Loot::Roll", 1)]
    stats = json.loads(mg(sqlite_gateway, key, "crashes", "stats", "--game", "cli", "--json").out)
    assert stats["total"] == 1
    analyzed = mg(sqlite_gateway, key, "crashes", "analyze", crash["id"], "-q", "why?")
    assert analyzed.code == 0 and "**Root Cause:**" in analyzed.out and "rule-based" in analyzed.err
    assert (
        json.loads(mg(sqlite_gateway, key, "crashes", "show", crash["id"], "--json").out)["status"]
        == "investigating"
    )
    done = mg(sqlite_gateway, key, "crashes", "status", crash["id"], "resolved")
    assert done.code == 0 and "resolved" in done.err + done.out


def test_errors_have_their_exit_codes(sqlite_gateway: GatewayProcess, key: str) -> None:
    missing = mg(sqlite_gateway, key, "crashes", "show", "crash_nope")
    assert missing.code == 4 and "crash_nope" in missing.err and "Traceback" not in missing.err
    bad = mg(sqlite_gateway, key, "crashes", "status", "crash_nope", "fixed")
    assert bad.code == 2 and "wont_fix" in bad.err
    not_a_dump = mg(sqlite_gateway, key, "crashes", "submit", str(DUMPS.parent / "README.md"))
    assert not_a_dump.code == 1 and "MDMP" in not_a_dump.err


def test_debug_sessions(sqlite_gateway: GatewayProcess, key: str) -> None:
    made = mg(sqlite_gateway, key, "debug", "sessions", "create", "repro", "--platform", "ps5",
              "--metadata", '{"map": 3}', "--json")  # fmt: skip
    assert made.code == 0, made.err
    session = json.loads(made.out)
    assert session["platform"] == "ps5" and session["metadata"] == {"map": 3}
    listed = json.loads(mg(sqlite_gateway, key, "debug", "sessions", "list", "--json").out)
    assert session["id"] in [s["id"] for s in listed]
    assert mg(sqlite_gateway, key, "debug", "sessions", "archive", session["id"]).code == 0
    assert mg(sqlite_gateway, key, "debug", "sessions", "show", session["id"]).code == 4
    bad = mg(sqlite_gateway, key, "debug", "sessions", "create", "x", "--metadata", "[1]")
    assert bad.code == 2


def test_the_sdk_on_the_real_routes(sqlite_gateway: GatewayProcess, key: str) -> None:
    with MonsterClient(key, sqlite_gateway.url + "/v1") as client:
        crash = client.debug.crashes.submit(
            stack_trace=["game.exe!Quest::Give"], game_id="sdk", tags={"a": "1"}
        )
        with (DUMPS / TEST_APP).open("rb") as fh:
            dumped = client.debug.crashes.submit_minidump(fh, game_id="sdk", tags={"level": "2"})
        assert dumped["processing"] in ("processing", "processed") and dumped["tags"] == {"level": "2"}
        assert {c["id"] for c in client.debug.crashes.list(game_id="sdk")} == {crash["id"], dumped["id"]}
        assert client.debug.crashes.update(crash["id"], status="wont_fix")["status"] == "wont_fix"
        with pytest.raises(NotFoundError):
            client.debug.crashes.get("crash_nope")
        with pytest.raises(InvalidRequestError):
            client.debug.crashes.update(crash["id"], status="fixed")
        made = client.debug.sessions.create(name="sdk session")
        assert client.debug.sessions.get(made["id"])["name"] == "sdk session"


async def test_the_async_sdk_on_the_real_routes(sqlite_gateway: GatewayProcess, key: str) -> None:
    async with AsyncMonsterClient(key, sqlite_gateway.url + "/v1") as client:
        crash = await client.debug.crashes.submit(stack_trace=["Async::Crash"], game_id="async")
        assert (await client.debug.crashes.get(crash["id"]))["title"] == "Async::Crash"
        trends = await client.debug.crashes.trends(game_id="async")
        assert trends[0]["fingerprint"] == crash["fingerprint"]
        answer = await client.debug.analyze(crash_id=crash["id"])
        assert answer["model"] == "rule-based"
        assert (await client.debug.sessions.create(name="a"))["object"] == "debug.session"
