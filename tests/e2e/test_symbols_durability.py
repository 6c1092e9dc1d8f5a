"""A gateway killed mid-upload loses no acknowledged symbol file and keeps no half-written one."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx

from tests.support.gateway_process import GatewayProcess, gateway_env


def _sym(n: int) -> bytes:
    body = "".join(f"PUBLIC {i * 16:x} 0 function_{n}_{i}\n" for i in range(2000))
    return f"MODULE Linux x86_64 {n:032X}0 module_{n}\n{body}".encode()


async def _upload_and_kill(gw: GatewayProcess, key: str, total: int, kill_after: int) -> dict[str, bytes]:
    acknowledged: dict[str, bytes] = {}
    async with httpx.AsyncClient(
        base_url=gw.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as client:

        async def one(n: int) -> None:
            data = _sym(n)
            try:
                response = await client.post("/v1/debug/symbols/upload", files={"file": (f"m{n}.sym", data)})
            except httpx.HTTPError:
                return  # in flight when the process died: never acknowledged
            if response.status_code == 201:
                acknowledged[response.json()["symbol_server_path"]] = data
                if len(acknowledged) == kill_after:
                    assert gw.proc is not None
                    os.kill(gw.proc.pid, signal.SIGKILL)

        await asyncio.gather(*(one(n) for n in range(total)))
    return acknowledged


def test_kill_9_during_uploads(database_url: str | None, tmp_path: Path) -> None:
    gw = GatewayProcess(tmp_path, gateway_env(tmp_path, database_url)).start()
    try:
        key = gw.create_key(tier="free")["api_key"]
        acknowledged = asyncio.run(_upload_and_kill(gw, key, total=60, kill_after=15))
        assert gw.proc is not None and gw.proc.wait(10) == -signal.SIGKILL
        assert 15 <= len(acknowledged) < 60, "the kill landed mid-flight"
        gw.start()
        with gw.client(key) as client:
            for path, data in acknowledged.items():
                served = client.get(path)
                assert served.status_code == 200 and served.content == data, path
            listed = client.get("/v1/debug/symbols", params={"limit": 100}).json()["data"]
            # Every row the database kept has its blob, acknowledged or not.
            for row in listed:
                assert client.get(row["symbol_server_path"]).content.startswith(b"MODULE ")
    finally:
        gw.stop()
