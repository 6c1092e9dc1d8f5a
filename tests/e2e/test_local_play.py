"""The main job on a fresh machine: `mg chat --local` starts the gateway and talks to an NPC.

No login, no gateway running, no config: `--local` starts the embedded gateway in the
background, whose first start stores its test key in the `local` profile.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.mg_cli import ROOT, mg_executable, run_mg
from tests.support.terminal import Terminal, terminal_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def local_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {"MG_DATA_DIR": str(tmp_path / "data"), "MG_BASE_URL": f"http://127.0.0.1:{free_port()}"}
    yield env
    run_mg("gateway", "stop", **env)


def test_first_chat_starts_the_gateway_and_needs_no_login(local_env: dict[str, str]) -> None:
    first = run_mg(
        "chat", "--local", "--template", "merchant", "--npc", "blacksmith_01", "Got any swords?", **local_env
    )
    assert first.code == 0, first
    assert first.out.strip(), first
    assert "started the local gateway" in first.err
    status = run_mg("gateway", "status", "--json", **local_env).json()
    assert status["running"] and status["url"] == local_env["MG_BASE_URL"]

    who = run_mg("whoami", "--json", **local_env).json()
    assert (who["profile"], who["key_source"], who["environment"]) == ("local", "keyring", "test")
    assert who["rate_limits"]["requests_per_minute"] == 600, "local play raises the test-key limit"

    again = run_mg("chat", "--local", "Anything else?", **local_env)
    assert again.code == 0 and "started" not in again.err, "the running gateway is reused"


def test_a_lost_local_key_is_replaced(local_env: dict[str, str]) -> None:
    assert run_mg("chat", "--local", "hello", **local_env).code == 0
    assert run_mg("logout", "--json", **local_env).json()["removed"] is True
    result = run_mg("chat", "--local", "hello again", **local_env)
    assert result.code == 0, result
    assert "created a new test key" in result.err


def test_play_in_a_terminal(local_env: dict[str, str]) -> None:
    env = terminal_env(os.environ)
    env.update(local_env, PYTHONPATH=str(ROOT))
    term = Terminal.spawn(
        [mg_executable(), "chat", "--local", "--template", "merchant", "--npc", "blacksmith_01"],
        env,
        timeout=60,
    )
    try:
        term.expect("Talking to blacksmith_01 \\(merchant\\)")
        term.expect_prompt()
        term.send_line("What do you sell?")
        term.expect("blacksmith_01")
        term.expect_prompt()
        term.child.sendeof()
        assert term.wait() == 0
    finally:
        term.close()


def test_gateway_serve_in_the_foreground_until_ctrl_c(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MG_SAVE_BOOTSTRAP_KEY="0")
    proc = subprocess.Popen(
        [mg_executable(), "gateway", "serve", "--port", "0", "--data-dir", str(tmp_path)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        url = next(line.split()[4] for line in proc.stderr if "listening on" in line)
        # An answer means the server loop runs, so its Ctrl-C handler is in place.
        assert httpx.get(f"{url}/v1/health", timeout=10).status_code == 200
        assert run_mg("profiles", "add", "local", "--base-url", url).code == 0
        status = run_mg("gateway", "status", "--json", MG_DATA_DIR=str(tmp_path / "elsewhere"))
        assert status.code == 0, status
        assert (status.json()["running"], status.json()["managed"], status.json()["url"]) == (
            True,
            False,
            url,
        )
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
