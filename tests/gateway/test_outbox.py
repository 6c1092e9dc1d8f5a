"""The outbox: every thread event carries the thread's next sequence number, written with its change."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from local_gateway.store import accounts
from local_gateway.store import events as event_store
from local_gateway.store.db import Database
from local_gateway.store.events import NewEvent
from local_gateway.store.migrate import upgrade_async
from tests.support.events import read_events, read_thread_events
from tests.support.gateway_process import GatewayProcess, gateway_env

BODY = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "Any work for me?"}]}


def test_a_threads_events_are_numbered_in_the_order_they_happened(gateway: GatewayProcess) -> None:
    key = gateway.create_key()
    with gateway.client(key["api_key"]) as client:
        chat = {**BODY, "npc_id": "seq_smith", "player_id": "seq_player"}
        thread_id = client.post("/v1/chat/completions", json=chat).json()["thread_id"]
        assert client.post(f"/v1/threads/{thread_id}/state", json={"gold": 5}).status_code == 200
        assert client.post("/v1/chat/completions", json=chat).status_code == 200
    events = read_thread_events(gateway, key["developer_id"], thread_id)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [(e["type"], e["data"].get("role")) for e in events] == [
        ("thread.created", None),
        ("npc.first_interaction", None),
        ("thread.message", "user"),
        ("thread.message", "assistant"),
        ("thread.state_changed", None),
        ("thread.message", "user"),
        ("thread.message", "assistant"),
    ]
    assert all(e["thread_id"] == thread_id == e["data"]["thread_id"] for e in events)
    assert all(e["id"].startswith("evt_") for e in events)


async def _changes(urls: list[str], api_key: str, thread_id: str, rounds: int) -> None:
    """Each round, every gateway gets a state change and a message for the same thread, at once."""
    headers = {"Authorization": f"Bearer {api_key}"}
    clients = [httpx.AsyncClient(base_url=u, headers=headers, timeout=60) for u in urls]
    try:

        async def state(client: httpx.AsyncClient, n: int) -> None:
            response = await client.post(f"/v1/threads/{thread_id}/state", json={f"k{n}": n})
            assert response.status_code == 200, response.text

        async def message(client: httpx.AsyncClient, n: int) -> None:
            line = {"role": "user", "content": f"line {n}"}
            response = await client.post(f"/v1/threads/{thread_id}/messages", json={"messages": [line]})
            assert response.status_code == 200, response.text

        jobs = []
        for n in range(rounds):
            for i, client in enumerate(clients):
                jobs += [state(client, n * 10 + i), message(client, n * 10 + i)]
        await asyncio.gather(*jobs)
    finally:
        for client in clients:
            await client.aclose()


def test_two_processes_writing_one_thread_never_share_or_skip_a_number(
    database_url: str | None, tmp_path: Path
) -> None:
    env = gateway_env(tmp_path, database_url)
    first, second = GatewayProcess(tmp_path, env).start(), GatewayProcess(tmp_path, env).start()
    try:
        key = first.create_key()
        with first.client(key["api_key"]) as client:
            thread_id = client.post("/v1/threads", json={"npc_id": "busy_npc"}).json()["id"]
        rounds = 15
        asyncio.run(_changes([first.url, second.url], key["api_key"], thread_id, rounds))
        events = read_thread_events(first, key["developer_id"], thread_id)
        assert len(events) == 1 + 2 * 2 * rounds  # created, then a state change and a message each
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        kinds = [e["type"] for e in events]
        assert kinds[0] == "thread.created"
        assert kinds.count("thread.state_changed") == kinds.count("thread.message") == 2 * rounds
        # The numbers follow the commits: messages appear in the order the thread stored them.
        with first.client(key["api_key"]) as client:
            page = client.get(f"/v1/threads/{thread_id}/messages", params={"limit": 100, "order": "asc"})
        stored = [m["id"] for m in page.json()["data"]]
        assert [e["data"]["message_id"] for e in events if e["type"] == "thread.message"] == stored
    finally:
        first.stop()
        second.stop()


def test_events_without_a_thread_have_no_sequence(gateway: GatewayProcess) -> None:
    key = gateway.create_key()
    with gateway.client(key["api_key"]) as client:
        thread_id = client.post("/v1/threads", json={"npc_id": "plain_npc"}).json()["id"]
    [created] = read_events(gateway, key["developer_id"], "thread.created")
    assert (created["thread_id"], created["seq"]) == (thread_id, 1)


async def test_concurrent_writers_on_separate_connections_number_a_thread_without_gaps(
    database_url: str | None, tmp_path: Path
) -> None:
    """No thread lock in front this time: only the outbox orders the writers, and one rolls back."""
    url = database_url or f"sqlite:///{tmp_path / 'outbox.db'}"
    await upgrade_async(url)
    pools = [Database(url), Database(url)]  # two engines: as two processes would connect
    now = datetime.now(UTC)
    try:
        async with pools[0].write() as session:
            await accounts.add_developer(session, "dev_outbox", "outbox@example.com", "free", now)

        async def write(n: int) -> None:
            async with pools[n % 2].write() as session:
                event = NewEvent(f"evt_{n}", "thread.message", {"n": n}, now, "thr_shared")
                await event_store.append(session, "dev_outbox", [event, replace(event, id=f"evt_{n}b")])
                await asyncio.sleep(0.01)  # hold the transaction open while others try
                if n == 7:
                    raise RuntimeError("this change fails after its events were written")

        results = await asyncio.gather(*(write(n) for n in range(20)), return_exceptions=True)
        assert [type(r) for r in results].count(RuntimeError) == 1
        assert all(r is None for i, r in enumerate(results) if i != 7)
        async with pools[1].read() as session:
            events = await event_store.thread_events(session, "dev_outbox", "thr_shared")
        assert [e["seq"] for e in events] == list(range(1, 39))
        assert "evt_7" not in {e["id"] for e in events}
        # A change's own events stay together and in order.
        by_id = {e["id"]: e["seq"] for e in events}
        assert all(by_id[f"evt_{n}b"] == by_id[f"evt_{n}"] + 1 for n in range(20) if n != 7)
    finally:
        for db in pools:
            await db.close()
