"""``serve --workers N``: N real processes on one port under a supervising parent, on PostgreSQL.

The kernel spreads connections over the workers (SO_REUSEPORT); any worker's /metrics counts every
worker's requests (prometheus-client's multiprocess mode); a worker killed with -9 is replaced while
the port keeps answering; SIGTERM to the parent stops them all. SQLite is refused: one writer.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gateway_process import GatewayProcess, create_pg_database, drop_pg_database, gateway_env
from tests.support.mg_cli import run_mg

BODY = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}
ROUTE = "/v1/chat/completions"


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return sorted(int(p) for p in text.split())


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    url = create_pg_database()
    data_dir = tmp_path_factory.mktemp("gw-workers")
    env = gateway_env(data_dir, url, {"MG_EMBEDDER": "hashed", "MG_METRICS_PUBLIC": "1"})
    gw = GatewayProcess(data_dir, env, serve_args=["--port", "0", "--workers", "2"])
    try:
        yield gw.start()
    finally:
        gw.stop()
        drop_pg_database(url)


def _chat_total(families: Iterable[Metric]) -> float:
    return sum(
        s.value
        for family in families
        for s in family.samples
        if s.name == "mg_http_requests_total"
        and s.labels.get("route") == ROUTE
        and s.labels["status"] == "200"
    )


def _fresh_connection(method: str, url: str, **kwargs: object) -> httpx.Response:
    """One request on a connection of its own, so the kernel picks a worker for each."""
    with httpx.Client(timeout=30) as client:
        return client.request(method, url, **kwargs)  # type: ignore[arg-type]


def test_two_workers_share_the_port_and_count_as_one_gateway(pool: GatewayProcess) -> None:
    assert pool.proc is not None
    workers = children(pool.proc.pid)
    assert len(workers) == 2
    key = pool.create_key()["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    sent = 40
    for _ in range(sent):
        answer = _fresh_connection("POST", pool.url + ROUTE, json=BODY, headers=auth)
        assert answer.status_code == 200, answer.text
    # Each worker's own share, from its file in the shared metrics directory.
    shared = pool.data_dir / "prometheus-multiproc"
    shares = []
    for pid in workers:
        merged = multiprocess.MultiProcessCollector.merge([str(shared / f"counter_{pid}.db")])
        shares.append(_chat_total(merged))
    assert sum(shares) == sent and all(share > 0 for share in shares), f"one worker took all: {shares}"
    # Whichever worker answers the scrape, it reports the whole gateway's count.
    scrapes = [_fresh_connection("GET", pool.url + "/metrics") for _ in range(6)]
    assert {s.status_code for s in scrapes} == {200}
    scraped = {_chat_total(text_string_to_metric_families(s.text)) for s in scrapes}
    assert scraped == {float(sent)}


def test_a_killed_worker_is_replaced_while_the_port_answers(pool: GatewayProcess) -> None:
    assert pool.proc is not None
    before = children(pool.proc.pid)
    victim = before[0]
    subprocess.run(["kill", "-9", str(victim)], check=True)
    deadline = time.monotonic() + 60
    while True:
        now = children(pool.proc.pid)
        if len(now) == 2 and victim not in now:
            break
        assert time.monotonic() < deadline, f"no replacement for worker {victim}: {now}"
        # The survivor keeps serving meanwhile.
        assert _fresh_connection("GET", pool.url + "/v1/version").status_code == 200
        time.sleep(0.2)
    assert f"(pid {victim}) exited with -9; restarting" in pool.log()
    replacement = (set(now) - set(before)).pop()
    deadline = time.monotonic() + 60
    while f"(pid {replacement}) listening" not in pool.log():
        assert time.monotonic() < deadline, pool.log()[-2000:]
        time.sleep(0.1)
    answers = [_fresh_connection("GET", pool.url + "/v1/version").status_code for _ in range(20)]
    assert answers == [200] * 20


def test_sigterm_stops_the_parent_and_every_worker(tmp_path: Path) -> None:
    url = create_pg_database()
    try:
        env = gateway_env(tmp_path, url, {"MG_EMBEDDER": "hashed"})
        gw = GatewayProcess(tmp_path, env, serve_args=["--port", "0", "--workers", "2"]).start()
        assert gw.proc is not None
        workers = children(gw.proc.pid)
        assert len(workers) == 2
        assert gw.stop(signal.SIGTERM) == 0
        for pid in workers:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        with pytest.raises(httpx.ConnectError):
            httpx.get(gw.url + "/v1/version", timeout=5)
    finally:
        drop_pg_database(url)


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path) -> None:
    env = gateway_env(tmp_path, None)
    out = subprocess.run(
        [sys.executable, "-m", "local_gateway", "serve", "--port", "0", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "--workers needs PostgreSQL" in out.stderr and "one writer" in out.stderr
    assert not (tmp_path / "gateway.db").exists(), "nothing was started"


def test_mg_gateway_serve_workers_says_why_not_on_sqlite_or_detached(tmp_path: Path) -> None:
    on_sqlite = run_mg("gateway", "serve", "--workers", "2", "--port", "0", "--data-dir", str(tmp_path))
    assert on_sqlite.code == 2, on_sqlite
    assert "--workers needs PostgreSQL" in on_sqlite.err
    detached = run_mg("gateway", "serve", "--workers", "2", "--detach", "--data-dir", str(tmp_path))
    assert detached.code == 2, detached
    assert "--workers runs in the foreground" in detached.err
    assert not (tmp_path / "gateway.db").exists()


def test_a_port_another_pool_listens_on_is_refused(tmp_path: Path) -> None:
    """SO_REUSEPORT would let a second pool join the first one's port and take half its traffic."""
    other = socket.socket()
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    other.bind(("127.0.0.1", 0))
    other.listen()
    url = create_pg_database()
    try:
        port = other.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "local_gateway", "serve", "--port", str(port), "--workers", "2"],
            env=gateway_env(tmp_path, url, {"MG_EMBEDDER": "hashed"}),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 1, out.stderr
        assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
        assert "worker 0 started" not in out.stderr
    finally:
        other.close()
        drop_pg_database(url)


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    url = create_pg_database()
    try:
        env = gateway_env(tmp_path, url, {"MG_EMBEDDER": "hashed"})
        gw = GatewayProcess(tmp_path, env, serve_args=["--port", "0", "--workers", "2"]).start()
        assert gw.proc is not None
        workers = children(gw.proc.pid)
        assert len(workers) == 2
        gw.kill()
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived its supervisor"
            time.sleep(0.2)
        assert "the supervisor is gone" in gw.log()
        with pytest.raises(httpx.ConnectError):
            httpx.get(gw.url + "/v1/version", timeout=5)
    finally:
        drop_pg_database(url)
