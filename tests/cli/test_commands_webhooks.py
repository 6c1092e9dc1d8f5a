"""``mg webhooks …`` in a subprocess against a real gateway, and ``listen --forward-to``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.mg_cli import ROOT, mg_executable, run_mg
from tests.support.webhook_receiver import Receiver, running_receiver


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with running_gateway(tmp_path_factory.mktemp("gw-webhooks-cli")) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def game(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    with running_receiver(tmp_path_factory.mktemp("game-server")) as receiver:
        yield receiver


@pytest.fixture
def env(gw: GatewayProcess) -> dict[str, str]:
    return {**os.environ, "MG_BASE_URL": gw.url, "MG_API_KEY": gw.create_key()["api_key"], "NO_COLOR": "1"}


def test_add_list_show_ping_rotate_deliveries_redeliver_rm(env: dict[str, str], game: Receiver) -> None:
    added = run_mg("webhooks", "add", game.url + "/ok", "--events", "thread.created,thread.message", env=env)
    assert added.code == 0, added
    assert "Signing secret (shown once" in added.out and "whsec_" in added.out
    hook = run_mg("webhooks", "list", "--json", env=env).json()[0]
    assert hook["events"] == ["thread.created", "thread.message"] and "secret" not in hook
    listed = run_mg("webhooks", env=env)
    assert hook["id"] in listed.out and "enabled" in listed.out
    pinged = run_mg("webhooks", "ping", hook["id"], env=env)
    assert pinged.code == 0 and "delivered: 200" in pinged.err, pinged
    shown = run_mg("webhooks", "show", hook["id"], env=env)
    assert game.url + "/ok" in shown.out and "webhook.ping" in shown.out
    rotated = run_mg("webhooks", "rotate", hook["id"], env=env)
    assert "New signing secret" in rotated.out and "stays valid until" in rotated.err + rotated.out
    [delivery] = run_mg("webhooks", "deliveries", "--json", env=env).json()
    again = run_mg("webhooks", "redeliver", delivery["id"], env=env)
    assert again.code == 0 and "Queued dlv_" in again.err, again
    assert "No deliveries failed" in run_mg("webhooks", "deliveries", "--failed", env=env).err
    bad = run_mg("webhooks", "add", game.url, "--events", "thread.exploded", env=env)
    assert bad.code == 1 and "thread.exploded" in bad.err and "npc.first_interaction" in bad.err
    assert run_mg("webhooks", "rm", hook["id"], env=env).code == 0
    assert run_mg("webhooks", "show", hook["id"], env=env).code == 4


def _wait_for(path: Path, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = path.read_text() if path.exists() else ""
        if text in out:
            return out
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never printed:\n{path.read_text() if path.exists() else ''}")


def test_listen_prints_verifies_forwards_and_cleans_up(
    env: dict[str, str], gw: GatewayProcess, game: Receiver, tmp_path: Path
) -> None:
    out = tmp_path / "listen.out"
    with out.open("w") as fh:
        argv = [mg_executable(), "webhooks", "listen", "-e", "thread.created", "-f", game.url + "/game"]
        child_env = {**env, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(argv, env=child_env, stdout=fh, stderr=subprocess.STDOUT)
    try:
        ready = _wait_for(out, "Press Ctrl-C")
        assert "Signing secret: whsec_" in ready
        headers = {"Authorization": f"Bearer {env['MG_API_KEY']}"}
        [hook] = httpx.get(f"{gw.url}/v1/webhooks", headers=headers).json()["data"]
        thread = httpx.post(f"{gw.url}/v1/threads", headers=headers, json={"npc_id": "smith"}).json()
        printed = _wait_for(out, "<-- " + game.url + "/game")
        assert "--> thread.created evt_" in printed and "[signature verified]" in printed
        assert f'"thread_id": "{thread["id"]}"' in printed and "200 OK" in printed
        # Forwarded with its headers: the game server can check the signature itself.
        [forwarded] = game.requests("/game")
        assert json.loads(forwarded["body"])["data"]["thread_id"] == thread["id"]
        assert forwarded["headers"]["webhook-signature"].startswith("v1,")
        assert hook["url"].startswith("http://127.0.0.1:")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert proc.returncode == 0, out.read_text()
    assert httpx.get(f"{gw.url}/v1/webhooks", headers=headers).json()["data"] == []
    assert "Removed whk_" in out.read_text()
