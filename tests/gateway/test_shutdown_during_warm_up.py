"""A gateway stopped while its embedding model is still loading exits cleanly: a thread left
inside onnxruntime at interpreter exit aborts the process (status 134, "terminate called
without an active exception"), which a supervisor reads as a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import asyncio, sys, time
from pathlib import Path
from aiohttp.test_utils import TestServer
from local_gateway.app import create_app
from local_gateway.settings import Settings

async def main(delay):
    settings = Settings(data_dir=Path(sys.argv[1]), bootstrap=False, save_bootstrap_key=False)
    server = TestServer(create_app(settings))
    await server.start_server()
    await asyncio.sleep(delay)  # the warm-up thread is somewhere in loading and embedding
    await server.close()

asyncio.run(main(float(sys.argv[2])))
print("clean exit")
"""


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.0])
def test_stopping_during_the_warm_up_exits_cleanly(tmp_path: Path, delay: float) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(delay)], capture_output=True, text=True, timeout=120
    )
    assert "terminate called" not in out.stderr
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("clean exit")
