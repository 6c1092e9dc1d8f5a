"""Webhooks across real gateway processes: killed between commit and delivery, two processes on
one database, and a receiver that hangs while the API is being used."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.gateway_process import (
    GatewayProcess,
    create_pg_database,
    drop_pg_database,
    gateway_env,
    running_gateway,
)
from tests.support.webhook_receiver import Receiver, running_receiver


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    with running_receiver(tmp_path / "receiver") as r:
        yield r


def _hook(client: httpx.Client, url: str, events: list[str]) -> str:
    r = client.post("/v1/webhooks", json={"url": url, "events": events})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_an_event_committed_before_a_kill_is_delivered_after_the_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    data = tmp_path / "gw"
    # A web-only process: it commits the event and has no worker that could send it.
    web = GatewayProcess(data, gateway_env(data, None, {"MG_JOBS_WORKER": "0"})).start()
    key = web.create_key()["api_key"]
    with web.client(key) as client:
        _hook(client, receiver.url + "/ok", ["thread.created"])
        thread = client.post("/v1/threads", json={"npc_id": "smith"}).json()
    time.sleep(1.0)
    assert receiver.requests() == []
    web.kill()
    with running_gateway(data) as worker:
        [request] = receiver.wait_for(1, "/ok")
        time.sleep(1.0)  # nothing more arrives: one event, one delivery
        assert len(receiver.requests()) == 1
        assert '"event":"thread.created"' in request["body"] and thread["id"] in request["body"]
        with worker.client(key) as client:
            [d] = client.get("/v1/webhooks/deliveries").json()["data"]
            assert (d["status"], d["attempts"]) == ("delivered", 1)


def test_two_processes_deliver_each_event_once_in_order(tmp_path: Path, receiver: Receiver) -> None:
    url = create_pg_database()
    try:
        with running_gateway(tmp_path / "a", url) as a, running_gateway(tmp_path / "b", url) as b:
            key = a.create_key()["api_key"]
            with a.client(key) as ca, b.client(key) as cb:
                _hook(ca, receiver.url + "/ok", ["thread.created", "thread.state_changed"])
                threads = []
                for i in range(20):
                    first, second = (ca, cb) if i % 2 else (cb, ca)
                    thread = first.post("/v1/threads", json={"npc_id": f"npc{i}"}).json()
                    for gold in range(2):
                        assert (
                            second.post(f"/v1/threads/{thread['id']}/state", json={"gold": gold}).status_code
                            == 200
                        )
                    threads.append(thread["id"])
            receiver.wait_for(60, "/ok", timeout=60)
            time.sleep(1.5)  # late duplicates would show up here
            events = receiver.events("/ok")
            counts = Counter(e["id"] for e in events)
            assert len(counts) == 60 and set(counts.values()) == {1}
            for thread_id in threads:
                mine = [e for e in events if e["data"]["thread_id"] == thread_id]
                assert [e["event"] for e in mine] == [
                    "thread.created",
                    "thread.state_changed",
                    "thread.state_changed",
                ]
                assert [e["data"]["state"]["gold"] for e in mine[1:]] == [0, 1]
            workers = {
                r["worker"]
                for r in a.query("SELECT locked_by AS worker FROM jobs WHERE kind = 'webhooks.deliver'")
            }
            assert len(workers) == 2  # both processes took part
    finally:
        drop_pg_database(url)


def _p50(client: httpx.Client, n: int = 30) -> float:
    took = []
    for i in range(n):
        started = time.perf_counter()
        assert client.post("/v1/threads", json={"npc_id": f"p50-{i}"}).status_code == 200
        took.append(time.perf_counter() - started)
    return statistics.median(took)


def test_a_hanging_receiver_does_not_slow_the_api(tmp_path: Path, receiver: Receiver) -> None:
    with running_gateway(tmp_path / "gw") as gw:
        with gw.client(gw.create_key()["api_key"]) as client:
            _p50(client, 10)  # warm up
            without = _p50(client)
            _hook(client, receiver.url + "/hang?for=30", ["thread.created"])
            _hook(client, receiver.url + "/hang?for=30", ["thread.created"])
            assert client.post("/v1/threads", json={"npc_id": "first"}).status_code == 200
            receiver.wait_for(2, "/hang")  # both receivers hold a delivery open from here on
            with_hang = _p50(client)
            hung = len(receiver.requests("/hang"))
        print(
            f"POST /v1/threads p50: {without * 1000:.1f} ms without, "
            f"{with_hang * 1000:.1f} ms with a hanging receiver"
        )
        assert hung >= 2  # deliveries hung open at the receiver while the requests ran
        assert with_hang < without * 1.5 + 0.005
