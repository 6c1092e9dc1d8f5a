"""The gateway's answer for each fixture dump agrees with rust-minidump's minidump-stackwalk on
the same dump and the same symbols (uploaded through the API): every thread's frames, the crash
reason, address and crashing thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.gateway.crashes.support import submit_dump, upload_symbol, wait_processed
from tests.services.crash import VALID
from tests.services.crash.test_oracle import _hex, _oracle, _theirs, symbols_root  # noqa: F401  (fixture)
from tests.support.gateway_process import GatewayProcess


@pytest.fixture(scope="module")
def client(sqlite_gateway: GatewayProcess, symbols_root: Path) -> Iterator[httpx.Client]:  # noqa: F811
    with sqlite_gateway.client(sqlite_gateway.create_key()["api_key"]) as c:
        for path in sorted(symbols_root.rglob("*.sym")):
            upload_symbol(c, path)
        yield c


def _ours(frames: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (f["module"], f["function"], f["file"], f["line"], f["trust"], _hex(f["module_offset"]))
        for f in frames
    ]


@pytest.mark.parametrize("name", VALID)
def test_the_api_answers_what_minidump_stackwalk_says(
    client: httpx.Client,
    symbols_root: Path,  # noqa: F811
    name: str,
) -> None:
    oracle = _oracle(name, symbols_root)
    crash = wait_processed(client, submit_dump(client, name).json()["id"])
    assert crash["processing"] == "processed", crash["processing_error"]
    assert crash["crash_reason"] == oracle["crash_info"]["type"]
    assert _hex(crash["crash_address"]) == _hex(oracle["crash_info"]["address"])
    assert crash["crashing_thread"] == oracle["crash_info"]["crashing_thread"]
    assert len(crash["threads"]) == len(oracle["threads"])
    for ours, theirs in zip(crash["threads"], oracle["threads"], strict=True):
        assert ours["tid"] == theirs["thread_id"]
        assert _ours(ours["frames"]) == _theirs(theirs["frames"]), f"thread {ours['index']}"
