"""Crashes and shutdowns of a real gateway process: nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx

from tests.support.gateway_process import GatewayProcess, gateway_env, running_gateway

BODY = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "Tell me of the old mine."}]}


async def _fire_and_kill(gw: GatewayProcess, api_key: str, total: int, kill_after: int) -> list[str]:
    """Send ``total`` completions at once; SIGKILL the gateway after ``kill_after`` answers."""
    acknowledged: list[str] = []
    headers = {"Authorization": f"Bearer {api_key}"}
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=gw.url, headers=headers, timeout=30, limits=limits) as client:

        async def one(n: int) -> None:
            try:
                response = await client.post(
                    "/v1/chat/completions", json=BODY, headers={"X-Request-Id": f"d-{n}"}
                )
            except httpx.HTTPError:
                return  # in flight when the process died: never acknowledged
            if response.is_success:
                acknowledged.append(response.headers["X-Request-Id"])
                if len(acknowledged) == kill_after:
                    assert gw.proc is not None
                    os.kill(gw.proc.pid, signal.SIGKILL)

        await asyncio.gather(*(one(n) for n in range(total)))
    return acknowledged


def test_kill_9_loses_no_acknowledged_write(database_url: str | None, tmp_path: Path) -> None:
    gw = GatewayProcess(tmp_path, gateway_env(tmp_path, database_url)).start()
    try:
        key = gw.create_key(tier="studio")["api_key"]
        acknowledged = asyncio.run(_fire_and_kill(gw, key, total=200, kill_after=40))
        assert gw.proc is not None and gw.proc.wait(10) == -signal.SIGKILL
        assert 40 <= len(acknowledged) < 200, "the kill landed mid-flight"
        gw.start()  # the same data dir and database, after a crash
        logged = {row["request_id"] for row in gw.query("SELECT request_id FROM request_log")}
        assert not set(acknowledged) - logged, "an acknowledged request lost its row"
        with gw.client(key) as client:
            assert client.post("/v1/chat/completions", json=BODY).status_code == 200
    finally:
        gw.stop()


def _refused(url: str, attempts: int = 300) -> bool:
    for _ in range(attempts):
        try:
            httpx.get(f"{url}/v1/version", timeout=2)
        except httpx.ConnectError:
            return True
        except httpx.HTTPError:
            pass
        time.sleep(0.01)
    return False


def test_sigterm_lets_a_slow_stream_finish(tmp_path: Path) -> None:
    with running_gateway(tmp_path, extra_env={"MG_SANDBOX_CHUNK_DELAY": "0.05"}) as gw:
        key = gw.create_key(tier="studio")["api_key"]
        assert gw.proc is not None
        with (
            gw.client(key) as client,
            client.stream("POST", "/v1/stream", json=BODY, headers={"X-Request-Id": "slow-1"}) as response,
        ):
            events = (line for line in response.iter_lines() if line.startswith("data:"))
            first = next(events)
            gw.proc.send_signal(signal.SIGTERM)
            assert _refused(gw.url), "new connections are still accepted after SIGTERM"
            assert gw.proc.poll() is None, "refused while the stream is still being served"
            rest = list(events)
        assert '"role":"assistant"' in first and len(rest) > 3
        assert rest[-1] == "data: [DONE]"
        assert gw.proc.wait(30) == 0
        assert "shutting down" in gw.log()
        row = gw.query("SELECT status, stream FROM request_log WHERE request_id = $1", "slow-1")
        assert row == [{"status": 200, "stream": 1}]
