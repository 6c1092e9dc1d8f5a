"""Two gateway processes on different ports sharing one PostgreSQL database, one Redis and one S3
bucket (moto_server): what a remote deployment behind a load balancer relies on.

A key's limit holds exactly across both, what is written through one is read through the other,
a webhook fires once, a crash is processed once, and ``kill -9`` of one mid-load loses nothing
either of them acknowledged.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway.crashes.support import TEST_APP, TEST_APP_SYMS, submit_dump, upload_symbol, wait_processed
from tests.support.gateway_process import (
    GatewayProcess,
    create_pg_database,
    drop_pg_database,
    gateway_env,
)
from tests.support.redis_server import redis_key_prefix
from tests.support.s3_server import S3Server
from tests.support.webhook_receiver import Receiver, running_receiver

REDIS_URL = "redis://127.0.0.1:6379/0"
BODY = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "Tell me of the old mine."}]}


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    with redis_key_prefix(REDIS_URL) as prefix:
        yield prefix


@pytest.fixture(scope="module")
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture(scope="module")
def pair(
    s3_server: S3Server, bucket: str, redis_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    """Gateways A and B: one database of their own, one Redis prefix, one bucket."""
    url = create_pg_database()
    extra = {
        "MG_REDIS_URL": REDIS_URL,
        "MG_REDIS_PREFIX": redis_prefix,
        "MG_EMBEDDER": "hashed",
        **s3_server.gateway_env(bucket),
    }
    gateways: list[GatewayProcess] = []
    try:
        for name in ("a", "b"):
            data_dir = tmp_path_factory.mktemp(f"gw-{name}")
            gateways.append(GatewayProcess(data_dir, gateway_env(data_dir, url, extra)).start())
        assert gateways[0].url != gateways[1].url
        yield gateways[0], gateways[1]
    finally:
        for gw in gateways:
            gw.stop()
        drop_pg_database(url)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    with running_receiver(tmp_path / "receiver") as r:
        yield r


async def _burst(urls: list[str], key: str, count: int) -> list[int]:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=headers, timeout=60, limits=httpx.Limits(max_connections=20)) as c:
        answers = await asyncio.gather(
            *(c.post(f"{urls[i % len(urls)]}/v1/chat/completions", json=BODY) for i in range(count))
        )
    return [a.status_code for a in answers]


def test_a_keys_limit_holds_exactly_across_both(pair: tuple[GatewayProcess, GatewayProcess]) -> None:
    a, b = pair
    rpm = 25
    key = a.create_key(tier="studio", rpm=rpm)["api_key"]
    statuses = asyncio.run(_burst([a.url, b.url], key, 2 * rpm))
    assert (statuses.count(200), statuses.count(429)) == (rpm, rpm)
    for gw in pair:
        with gw.client(key) as client:
            refused = client.post("/v1/chat/completions", json=BODY)
        assert refused.status_code == 429, "each process sees the one shared window"
        assert refused.json()["error"]["code"] == "RATE_LIMITED"


def test_a_thread_written_through_one_is_read_through_the_other(
    pair: tuple[GatewayProcess, GatewayProcess],
) -> None:
    a, b = pair
    key = a.create_key()["api_key"]
    with a.client(key) as via_a, b.client(key) as via_b:
        thread = via_a.post("/v1/threads", json={"npc_id": "old_guard", "player_id": "p-two"})
        assert thread.status_code == 200, thread.text
        thread_id = thread.json()["id"]
        lines = [{"role": "user", "content": f"line {n} of the ballad"} for n in range(5)]
        added = via_a.post(f"/v1/threads/{thread_id}/messages", json={"messages": lines})
        assert added.status_code in (200, 201), added.text
        read = via_b.get(f"/v1/threads/{thread_id}/messages", params={"order": "asc", "limit": 100})
        assert read.status_code == 200, read.text
        assert [m["content"] for m in read.json()["data"]] == [m["content"] for m in lines]
        # And back: B's write is A's read.
        renamed = via_b.patch(f"/v1/threads/{thread_id}", json={"metadata": {"quest": "ballad"}})
        assert renamed.status_code == 200, renamed.text
        assert via_a.get(f"/v1/threads/{thread_id}").json()["metadata"] == {"quest": "ballad"}


def test_a_symbol_uploaded_through_one_is_served_by_the_other(
    pair: tuple[GatewayProcess, GatewayProcess], s3_server: S3Server, bucket: str
) -> None:
    a, b = pair
    key = a.create_key()["api_key"]
    sym = TEST_APP_SYMS[0]
    with a.client(key) as via_a, b.client(key) as via_b, sym.open("rb") as fh:
        answer = via_a.post(
            "/v1/debug/symbols/upload", files={"file": (sym.name, fh, "application/octet-stream")}
        )
        assert answer.status_code == 201, answer.text
        assert any(k.startswith("blobs/sha256/") for k in s3_server.keys(bucket)), "the blob is in S3"
        served = via_b.get(answer.json()["symbol_server_path"])
    assert served.status_code == 200, served.text
    assert served.content == sym.read_bytes()


def test_a_crash_is_processed_once_and_its_webhook_fires_once(
    pair: tuple[GatewayProcess, GatewayProcess], receiver: Receiver
) -> None:
    a, b = pair
    key = a.create_key()["api_key"]
    with a.client(key) as via_a, b.client(key) as via_b:
        hook = via_a.post(
            "/v1/webhooks", json={"url": receiver.url + "/crashes", "events": ["crash.new_fingerprint"]}
        )
        assert hook.status_code == 201, hook.text
        for sym in TEST_APP_SYMS:
            upload_symbol(via_a, sym)
        submitted = submit_dump(via_b, TEST_APP, version="9.9.9")
        assert submitted.status_code in (200, 201, 202), submitted.text
        crash_id = submitted.json()["id"]
        crash = wait_processed(via_a, crash_id)
        assert crash["processing"] == "processed", crash
        assert receiver.wait_for(1, "/crashes")
        time.sleep(3)  # both processes poll the queue: time enough for a second delivery to show
    events = receiver.events("/crashes")
    assert [e["event"] for e in events] == ["crash.new_fingerprint"]
    assert events[0]["data"]["crash_id"] == crash_id
    jobs = [
        row
        for row in a.query("SELECT kind, payload, status, attempts FROM jobs")
        if crash_id in json.dumps(row["payload"])
    ]
    assert jobs, "the crash went through the job queue"
    assert all(j["status"] == "done" and j["attempts"] == 1 for j in jobs), jobs


async def _load_and_kill(
    victim: GatewayProcess, other: GatewayProcess, key: str, thread_id: str, total: int, kill_after: int
) -> tuple[list[str], list[str]]:
    """Completions and thread writes split across both; SIGKILL ``victim`` mid-load."""
    completions: list[str] = []
    messages: list[str] = []
    acknowledged = 0
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=headers, timeout=30, limits=httpx.Limits(max_connections=24)) as c:

        async def one(n: int) -> None:
            nonlocal acknowledged
            base = (victim if n % 2 else other).url
            try:
                if n % 3:
                    r = await c.post(
                        f"{base}/v1/chat/completions", json=BODY, headers={"X-Request-Id": f"k-{n}"}
                    )
                else:
                    line = {"role": "user", "content": f"note {n}"}
                    r = await c.post(f"{base}/v1/threads/{thread_id}/messages", json={"messages": [line]})
            except httpx.HTTPError:
                return  # in flight when the process died: never acknowledged
            if not r.is_success:
                return
            (completions if n % 3 else messages).append(f"k-{n}" if n % 3 else f"note {n}")
            acknowledged += 1
            if acknowledged == kill_after and victim.proc is not None:
                os.kill(victim.proc.pid, signal.SIGKILL)

        await asyncio.gather(*(one(n) for n in range(total)))
    return completions, messages


def test_kill_9_of_one_loses_nothing_acknowledged(pair: tuple[GatewayProcess, GatewayProcess]) -> None:
    a, b = pair
    key = a.create_key(tier="studio")["api_key"]
    with b.client(key) as via_b:
        made = via_b.post("/v1/threads", json={"npc_id": "old_guard", "player_id": "p-kill"})
        thread_id = made.json()["id"]
    completions, messages = asyncio.run(_load_and_kill(a, b, key, thread_id, total=150, kill_after=30))
    assert a.proc is not None and a.proc.wait(10) == -signal.SIGKILL
    assert completions and messages, "both kinds of write were acknowledged"
    assert len(completions) + len(messages) < 150, "the kill landed mid-flight"
    logged = {row["request_id"] for row in b.query("SELECT request_id FROM request_log")}
    assert not set(completions) - logged, "an acknowledged completion lost its row"
    with b.client(key) as via_b:
        page = via_b.get(f"/v1/threads/{thread_id}/messages", params={"limit": 100, "order": "asc"})
        assert page.status_code == 200, page.text
        stored = {m["content"] for m in page.json()["data"]}
        assert not set(messages) - stored, "an acknowledged thread write is missing"
        assert via_b.post("/v1/chat/completions", json=BODY).status_code == 200, "the survivor serves on"
    a.start()  # back on the same database after the crash
    with a.client(key) as via_a:
        assert via_a.post("/v1/chat/completions", json=BODY).status_code == 200
