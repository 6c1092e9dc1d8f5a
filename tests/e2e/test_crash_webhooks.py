"""Crash events reach webhooks: a new fingerprint, then its regression, from a real gateway to a
real receiver process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gateway_process import GatewayProcess
from tests.support.webhook_receiver import Receiver, running_receiver


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    with running_receiver(tmp_path / "receiver") as r:
        yield r


def test_new_fingerprint_and_regression_are_announced(
    sqlite_gateway: GatewayProcess, receiver: Receiver
) -> None:
    with sqlite_gateway.client(sqlite_gateway.create_key()["api_key"]) as client:
        hook = client.post(
            "/v1/webhooks",
            json={"url": receiver.url + "/crashes", "events": ["crash.new_fingerprint", "crash.regression"]},
        )
        assert hook.status_code == 201, hook.text
        trace = {"stack_trace": ["game.exe!Boss::Enrage", "game.exe!main"], "game_id": "dungeon"}
        first = client.post("/v1/debug/crashes", json={**trace, "version": "1.0.0"}).json()
        client.patch(f"/v1/debug/crashes/{first['id']}", json={"status": "resolved"})
        client.post("/v1/debug/crashes", json={**trace, "version": "1.0.0"})  # old build: quiet
        again = client.post("/v1/debug/crashes", json={**trace, "version": "1.1.0"}).json()
        assert again["regression"] is True
        requests = receiver.wait_for(2, "/crashes")
    docs = [json.loads(r["body"]) for r in requests]
    assert [d["event"] for d in docs] == ["crash.new_fingerprint", "crash.regression"]
    assert docs[0]["data"]["crash_id"] == first["id"] and docs[1]["data"]["crash_id"] == again["id"]
    assert docs[1]["data"]["fingerprint"] == first["fingerprint"] and docs[1]["data"]["version"] == "1.1.0"
