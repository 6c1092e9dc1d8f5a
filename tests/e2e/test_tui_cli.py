"""`mg tui` as a user starts it: a real terminal (pty), the installed command, a real gateway."""

from __future__ import annotations

import os

import pexpect

from mg import MonsterClient
from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import mg_executable, run_mg
from tests.support.terminal import Terminal


def test_mg_tui_opens_lists_threads_and_quits(sqlite_gateway: GatewayProcess) -> None:
    api_key = sqlite_gateway.create_key(tier="studio")["api_key"]
    with MonsterClient(api_key, sqlite_gateway.url) as client:
        client.threads.create(npc_id="innkeeper_3", player_id="player_1", npc_template="merchant")
    env = dict(os.environ, MG_API_KEY=api_key, MG_BASE_URL=sqlite_gateway.url, TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    term = Terminal.spawn([mg_executable(), "tui"], env, rows=24, cols=80, timeout=30)
    term.expect("New thread")  # the footer: the first frame is on the screen
    term.expect("innkeeper_3")  # the thread list, fetched through the SDK
    term.child.sendcontrol("q")
    term.expect(pexpect.EOF)
    term.child.close()
    assert term.child.exitstatus == 0
    assert "Traceback" not in term.screen_log()


def test_mg_tui_refuses_an_unknown_screen() -> None:
    result = run_mg("tui", "--screen", "lobby", MG_API_KEY="mg_test_x", MG_BASE_URL="http://127.0.0.1:9")
    assert result.code == 2
    assert "--screen must be one of dialogue, crashes, keys" in result.err
