"""`mg login --email` and `mg gateway outbox` with the real CLI against a real gateway: the link
comes from the gateway's outbox (or is pasted), the profile keeps a personal access token."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest

from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.mg_cli import ROOT, mg_executable, run_mg
from tests.support.sign_in import ask_link, outbox, wait_for_link

CHAT = ["chat", "--json", "--model", "deepseek-chat", "Hello there"]


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with running_gateway(tmp_path_factory.mktemp("gw-login")) as process:
        yield process


def env_of(gw: GatewayProcess) -> dict[str, str]:
    return {"MG_BASE_URL": gw.url, "MG_DATA_DIR": str(gw.data_dir)}


def test_login_by_email_reads_the_local_outbox_and_stores_a_pat(gw: GatewayProcess) -> None:
    env = env_of(gw)
    logged = run_mg("login", "--email", "new@studio.example", "--accept-tos", "--json", **env)
    assert logged.code == 0, logged
    body = logged.json()
    assert body["email"] == "new@studio.example" and body["environment"] == "pat"
    assert body["tos_accepted"] is True and body["tier"] == "free"
    who = run_mg("whoami", "--json", **{"MG_BASE_URL": gw.url})
    assert who.code == 0 and who.json()["key_source"] != "env" and who.json()["email"] == "new@studio.example"
    # The session the CLI opened to make the token was signed out again.
    rows = gw.query(
        "SELECT s.ended_at FROM portal_sessions s JOIN developers d ON d.id = s.developer_id"
        " WHERE d.email = $1",
        "new@studio.example",
    )
    assert len(rows) == 1 and rows[0]["ended_at"] is not None
    # Past the terms: a PAT is the account, billed like a live key, so the request reaches
    # routing (no provider is configured here) instead of stopping at TOS_REQUIRED.
    served = run_mg(*CHAT, **{"MG_BASE_URL": gw.url})
    assert "PROVIDER_UNAVAILABLE" in served.err and "TOS_REQUIRED" not in served.err


def test_without_accepting_the_terms_the_cli_says_so(gw: GatewayProcess) -> None:
    env = env_of(gw)
    logged = run_mg("login", "--email", "later@studio.example", **env)
    assert logged.code == 0, logged
    assert "Terms of Service" in logged.err
    refused = run_mg(*CHAT, **{"MG_BASE_URL": gw.url})
    assert refused.code != 0 and "TOS_REQUIRED" in refused.err + refused.out


def test_a_pasted_link_signs_in_when_the_outbox_is_not_here(
    gw: GatewayProcess, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A gateway elsewhere: the CLI cannot read its outbox, so it waits for the link on stdin."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MG_BASE_URL=gw.url)
    env["MG_DATA_DIR"] = str(tmp_path_factory.mktemp("not-the-gateway"))
    seen = len(outbox(gw.data_dir))
    proc = subprocess.Popen(
        [mg_executable(), "login", "--email", "paste@studio.example", "--accept-tos", "--json"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        link = wait_for_link(gw.data_dir, "paste@studio.example", seen, timeout=30)
        out, err = proc.communicate(link + "\n", timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(out)["email"] == "paste@studio.example" and "mailed to paste@studio.example" in err


def test_a_used_link_is_refused_by_the_cli(gw: GatewayProcess) -> None:
    ask_link(gw, "twice@studio.example")
    link = wait_for_link(gw.data_dir, "twice@studio.example")
    with gw.client() as client:
        assert client.get(link.replace(gw.url, ""), follow_redirects=False).status_code == 303
    env = {"MG_BASE_URL": gw.url, "MG_DATA_DIR": "/nonexistent-outbox"}
    again = run_mg("login", "--email", "twice@studio.example", input=link + "\n", **env)
    assert again.code != 0 and "invalid, expired or already used" in again.err


def test_gateway_outbox_prints_the_mail(gw: GatewayProcess) -> None:
    ask_link(gw, "outbox@studio.example")
    link = wait_for_link(gw.data_dir, "outbox@studio.example")
    shown = run_mg(
        "gateway", "outbox", "--to", "outbox@studio.example", "--json", "--data-dir", str(gw.data_dir)
    )
    assert shown.code == 0, shown
    [message] = shown.json()["messages"]
    assert message["link"] == link and message["subject"] == "Your mg sign-in link"
    text = run_mg("gateway", "outbox", "-n", "1", "--data-dir", str(gw.data_dir))
    assert text.code == 0 and link in text.out
