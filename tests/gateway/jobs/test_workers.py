"""Gateway processes sharing one queue: on one PostgreSQL database, and on one SQLite file.

Executions are counted from the workers' own log lines (``probe job N attempt A started on W``),
so a job run twice shows up whatever the job table says. Time moves through the gateways'
shared clock-offset file (``MG_CLOCK_OFFSET_FILE``), not through sleeps.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from local_gateway.store.jobs import BACKOFF_BASE
from tests.support.gateway_process import (
    GatewayProcess,
    create_pg_database,
    drop_pg_database,
    gateway_env,
    query_database,
)

LEASE = 30
STARTED = re.compile(r"probe job (\d+) attempt (\d+) started on (\S+)")


@dataclass
class Worker:
    gateway: GatewayProcess

    @property
    def name(self) -> str:
        found = re.findall(r"job runner (\S+): kinds", self.gateway.log())
        assert found, self.gateway.log()
        return found[-1]  # the log goes on across restarts

    def starts(self) -> list[tuple[int, int, str]]:
        return [(int(j), int(a), w) for j, a, w in STARTED.findall(self.gateway.log())]


@dataclass
class Cluster:
    """Gateway processes on one database, with one clock they can be moved by."""

    root: Path
    url: str
    database: str | Path
    workers: list[Worker]
    offset_file: Path
    web: GatewayProcess | None = None

    def env(self, **extra: str) -> dict[str, str]:
        return gateway_env(
            self.root,
            self.url,
            {
                "MG_JOBS_POLL_INTERVAL": "0.2",
                "MG_JOBS_LEASE_SECONDS": str(LEASE),
                "MG_CLOCK_OFFSET_FILE": str(self.offset_file),
                **extra,
            },
        )

    def start(self, name: str, **extra: str) -> GatewayProcess:
        env = self.env(**extra)
        env["MG_DATA_DIR"] = str(self.root / name)
        return GatewayProcess(self.root / name, env).start()

    def admin(self, *args: str) -> Any:
        return self.workers[0].gateway.admin(*args)

    def job(self, job_id: int) -> dict[str, Any]:
        [row] = query_database(self.database, "SELECT * FROM jobs WHERE id = $1", job_id)
        return row

    def job_json(self, job_id: int) -> dict[str, Any]:
        """The job as `admin jobs --json` shows it (times as ISO strings on either database)."""
        return next(j for j in self.admin("jobs", "--limit", "1000") if j["id"] == job_id)

    def advance(self, seconds: float) -> None:
        current = float(self.offset_file.read_text() or 0) if self.offset_file.exists() else 0.0
        self.offset_file.write_text(str(current + seconds))

    def starts(self) -> list[tuple[int, int, str]]:
        return [s for w in self.workers for s in w.starts()]

    def stop(self) -> None:
        for w in self.workers:
            w.gateway.stop()


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def cluster(root: Path, backend: str, web_only: bool = False) -> Iterator[Cluster]:
    """Two worker gateways (and, if asked, a web-only one) on one fresh database."""
    if backend == "postgres":
        url = create_pg_database()
        database: str | Path = url
    else:
        database = root / "shared.db"
        url = f"sqlite:///{database}"
    group = Cluster(root, url, database, [], root / "clock-offset")
    try:
        group.workers = [Worker(group.start("a")), Worker(group.start("b"))]
        if web_only:
            group.web = group.start("web", MG_JOBS_WORKER="0")
        yield group
    finally:
        group.stop()
        if web_only:
            group.web.stop()
        if backend == "postgres":
            drop_pg_database(url)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with cluster(tmp_path_factory.mktemp(f"jobs-{request.param}"), request.param, web_only=True) as group:
        yield group


def test_every_job_runs_once_and_every_worker_takes_some(shared: Cluster) -> None:
    ids = shared.admin("jobs", "probe", "--count", "40", "--hold", "0.3")["ids"]
    wait_for(lambda: all(shared.job(i)["status"] == "done" for i in ids), "40 probes to end")

    starts = [s for s in shared.starts() if s[0] in ids]
    assert Counter(job for job, _, _ in starts) == dict.fromkeys(ids, 1), "each job ran exactly once"
    names = {w.name for w in shared.workers}
    assert {worker for _, _, worker in starts} == names, "both processes took jobs"
    for job, attempt, worker in starts:
        row = shared.job(job)
        assert (attempt, row["attempts"], row["locked_by"]) == (1, 1, worker)
    assert "job runner" not in shared.web.log() and not STARTED.search(shared.web.log()), (
        "MG_JOBS_WORKER=0 runs no jobs"
    )


def test_a_fold_enqueued_by_a_web_process_is_run_by_a_worker(shared: Cluster) -> None:
    key = shared.web.create_key(tier="studio")["api_key"]
    with httpx.Client(base_url=shared.web.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as web:
        thread = web.post("/v1/threads", json={"npc_id": "keeper", "player_id": "p1"}).json()["id"]
        history = [
            {"role": "user" if i % 2 == 0 else "assistant", "content": f"Line {i} about the lighthouse."}
            for i in range(120)
        ]
        assert web.post(f"/v1/threads/{thread}/messages", json={"messages": history}).status_code == 200
        answer = web.post(
            "/v1/chat/completions",
            json={"model": "deepseek-chat", "npc_id": "keeper", "player_id": "p1",
                  "messages": [{"role": "user", "content": "Is the lamp lit?"}]},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        memory = wait_for(
            lambda: (m := web.get(f"/v1/threads/{thread}").json()["memory"])["summarized_through"] > 0 and m,
            "the fold",
        )
    assert memory["summarized_through"] >= 60 and memory["summary"]
    # The first folded chunk is visible before the job has folded the rest and ended.
    fold_status = "SELECT status FROM jobs WHERE kind = 'npc.fold'"
    wait_for(lambda: query_database(shared.database, fold_status)[0]["status"] != "running", "the fold")
    [fold] = query_database(shared.database, "SELECT * FROM jobs WHERE kind = 'npc.fold'")
    assert fold["status"] == "done" and fold["dedupe_key"] == f"npc.fold:{thread}:"
    assert fold["locked_by"] in {w.name for w in shared.workers}


def _seconds(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def test_a_failing_job_is_retried_with_backoff_then_fails_for_good(shared: Cluster) -> None:
    [flaky] = shared.admin("jobs", "probe", "--fail", "2", "--max-attempts", "5")["ids"]
    first = wait_for(
        lambda: (r := shared.job(flaky))["attempts"] == 1 and r["status"] == "queued" and r, "1st"
    )
    assert first["last_error"] == "ProbeFailure: probe failure 1 of 2, as asked"
    shown = shared.job_json(flaky)
    assert _seconds(shown["run_at"], shown["created_at"]) >= BACKOFF_BASE / 2, "the retry waits"
    shared.advance(60)
    wait_for(lambda: (r := shared.job(flaky))["attempts"] == 2 and r["status"] == "queued", "2nd failure")
    shown = shared.job_json(flaky)
    assert _seconds(shown["run_at"], shown["created_at"]) >= 60 + BACKOFF_BASE, "and waits longer"
    shared.advance(60)
    wait_for(lambda: shared.job(flaky)["status"] == "done", "the third attempt")
    assert shared.job(flaky)["attempts"] == 3
    assert sorted(a for j, a, _ in shared.starts() if j == flaky) == [1, 2, 3]

    [hopeless] = shared.admin("jobs", "probe", "--fail", "99")["ids"]
    for attempt in (1, 2, 3):
        wait_for(
            lambda a=attempt: (
                shared.job(hopeless)["attempts"] == a and shared.job(hopeless)["status"] != "running"
            ),
            f"attempt {attempt}",
        )
        shared.advance(60)
    failed = shared.job_json(hopeless)
    assert (failed["status"], failed["attempts"], failed["max_attempts"]) == ("failed", 3, 3)
    assert failed["last_error"] == "ProbeFailure: probe failure 3 of 99, as asked" and failed["finished_at"]
    assert [j["id"] for j in shared.admin("jobs", "--status", "failed", "--kind", "jobs.probe")] == [hopeless]

    retried = shared.admin("jobs", "retry", str(hopeless))
    assert (retried["status"], retried["attempts"], retried["finished_at"]) == ("queued", 0, None)
    wait_for(
        lambda: shared.job(hopeless)["attempts"] == 1 and shared.job(hopeless)["status"] == "queued", "rerun"
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_killed_worker_s_job_runs_again_after_its_lease(tmp_path: Path, backend: str) -> None:
    with cluster(tmp_path, backend) as group:
        [job] = group.admin("jobs", "probe", "--hold", "600")["ids"]
        holder = wait_for(
            lambda: next((w for w in group.workers if (job, 1, w.name) in w.starts()), None), "the start"
        )
        other = next(w for w in group.workers if w is not holder)
        holder_name = holder.name
        holder.gateway.kill()
        row = group.job(job)
        assert (row["status"], row["attempts"], row["locked_by"]) == ("running", 1, holder_name)
        assert [s for s in group.starts() if s[0] == job] == [(job, 1, holder_name)], (
            "nobody takes a job while its lease holds"
        )

        group.advance(LEASE * 4)  # the dead worker's lease runs out
        wait_for(lambda: (job, 2, other.name) in other.starts(), "the job to run again")
        group.advance(1000)  # and its hold is over
        wait_for(lambda: group.job(job)["status"] == "done", "the second run to end")
        assert (group.job(job)["attempts"], group.job(job)["locked_by"]) == (2, other.name)
        assert Counter(s[0] for s in group.starts())[job] == 2

        # A worker stopped gracefully hands its unfinished job on at once, no lease to wait for.
        holder.gateway.start()
        [held] = group.admin("jobs", "probe", "--hold", "600")["ids"]
        first = wait_for(
            lambda: next((w for w in group.workers if (held, 1, w.name) in w.starts()), None), "a start"
        )
        second = next(w for w in group.workers if w is not first)
        assert first.gateway.stop() == 0
        wait_for(lambda: (held, 1, second.name) in second.starts(), "the hand-over")
        group.advance(1000)
        wait_for(lambda: group.job(held)["status"] == "done", "the handed-over job to end")
        assert (group.job(held)["attempts"], group.job(held)["locked_by"]) == (1, second.name)


def test_an_operator_probe_shows_which_workers_are_alive(shared: Cluster) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "local_gateway", "admin", "jobs", "probe", "--count", "8", "--hold", "0.2",
         "--wait", "60"],
        env=shared.workers[0].gateway.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "KIND", "STATUS", "TRIES"] and len(lines) == 9
    assert all(" jobs.probe " in line and " done " in line for line in lines[1:])
    assert {w.name for w in shared.workers} & set(out.stdout.split()), "the workers that ran them"
