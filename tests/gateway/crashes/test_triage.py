"""Triage against real gateway processes: lists and filters, status changes, trends with
regressions, stats, reprocessing when symbols arrive, analysis, and debug sessions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway.conftest import gateway_with_fakes
from tests.gateway.crashes.support import (
    TEST_APP,
    TEST_APP_SYMS,
    crashing_frames,
    submit_dump,
    upload_symbol,
    wait_processed,
)
from tests.support.fake_upstreams import Upstreams, openai_chat
from tests.support.gateway_process import GatewayProcess, running_gateway


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gw(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    data_dir = tmp_path_factory.mktemp(f"triage-{request.param}")
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    with running_gateway(data_dir, url, {"MG_CLOCK_OFFSET_FILE": str(data_dir / "clock-offset")}) as gateway:
        yield gateway


@pytest.fixture
def client(gw: GatewayProcess) -> Iterator[httpx.Client]:
    """A new developer per test: every test starts with no crashes."""
    with gw.client(gw.create_key()["api_key"]) as c:
        yield c


def _trace(client: httpx.Client, top: str, version: str | None = None, **extra: str) -> dict:
    body = {"stack_trace": [f"game.exe!{top}", "game.exe!World::Tick", "game.exe!main"], **extra}
    if version:
        body["version"] = version
    answer = client.post("/v1/debug/crashes", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_symbols_uploaded_after_the_crash_reprocess_it(client: httpx.Client) -> None:
    crash = wait_processed(client, submit_dump(client, TEST_APP).json()["id"])
    assert crash["processing"] == "processed"
    unsymbolicated = crash["fingerprint"]
    assert crashing_frames(crash)[0]["function"] is None
    assert "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1" in crash["missing_symbols"]
    for path in TEST_APP_SYMS:
        upload_symbol(client, path)
    deadline = time.monotonic() + 30
    # Each upload re-queues the crash; it ends symbolicated with nothing missing.
    while crash["missing_symbols"] or crash["processing"] != "processed":
        assert time.monotonic() < deadline, "the crash was not reprocessed"
        time.sleep(0.1)
        crash = client.get(f"/v1/debug/crashes/{crash['id']}").json()
    assert crashing_frames(crash)[0]["function"] == "`anonymous namespace'::CrashFunction"
    assert crashing_frames(crash)[0]["line"] == 58
    assert crash["fingerprint"] != unsymbolicated and crash["missing_symbols"] == []
    assert crash["title"] == "`anonymous namespace'::CrashFunction"
    # The crash moved groups: the unsymbolicated one is empty and gone from the trends.
    trends = client.get("/v1/debug/crashes/trends").json()["data"]
    assert [(g["fingerprint"], g["count"]) for g in trends] == [(crash["fingerprint"], 1)]


def test_list_filters_and_pages(client: httpx.Client) -> None:
    made = [_trace(client, f"F{i}", version=f"1.{i % 2}", game_id="a" if i < 3 else "b") for i in range(5)]
    listed = client.get("/v1/debug/crashes").json()
    assert [c["id"] for c in listed["data"]] == [c["id"] for c in reversed(made)]
    assert listed["has_more"] is False
    page = client.get("/v1/debug/crashes", params={"limit": 2}).json()
    rest = client.get("/v1/debug/crashes", params={"limit": 2, "after": page["data"][-1]["id"]}).json()
    assert (
        page["has_more"]
        and [c["id"] for c in page["data"] + rest["data"]] == [c["id"] for c in reversed(made)][:4]
    )
    assert {c["id"] for c in client.get("/v1/debug/crashes", params={"game_id": "a"}).json()["data"]} == {
        c["id"] for c in made[:3]
    }
    assert len(client.get("/v1/debug/crashes", params={"version": "1.1"}).json()["data"]) == 2
    fp = made[0]["fingerprint"]
    assert [c["id"] for c in client.get("/v1/debug/crashes", params={"fingerprint": fp}).json()["data"]] == [
        made[0]["id"]
    ]
    bad = [({"limit": 101}, "limit"), ({"status": "done"}, "status"), ({"platform": "amiga"}, "platform"),
           ({"after": "crash_nope"}, "after")]  # fmt: skip
    for params, word in bad:
        answer = client.get("/v1/debug/crashes", params=params)
        assert answer.status_code == 400 and word in answer.json()["error"]["message"]


def test_status_is_validated_and_applies_to_the_group(client: httpx.Client) -> None:
    a, b = _trace(client, "Save::Write"), _trace(client, "Save::Write")
    for body in ({"status": "done"}, {}, {"status": "resolved", "x": 1}, ["resolved"]):
        answer = client.patch(f"/v1/debug/crashes/{a['id']}", json=body)
        assert answer.status_code == 400 and "status" in answer.json()["error"]["message"]
    assert client.patch("/v1/debug/crashes/crash_missing", json={"status": "resolved"}).status_code == 404
    patched = client.patch(f"/v1/debug/crashes/{a['id']}", json={"status": "wont_fix"}).json()
    assert patched["status"] == "wont_fix"
    assert client.get(f"/v1/debug/crashes/{b['id']}").json()["status"] == "wont_fix"
    assert client.get("/v1/debug/crashes", params={"status": "wont_fix"}).json()["data"][0]["id"] == b["id"]


def test_a_resolved_fingerprint_recurring_in_a_newer_version_is_a_regression(
    gw: GatewayProcess, client: httpx.Client
) -> None:
    first = _trace(client, "Inventory::Add", version="1.9.0")
    _trace(client, "Inventory::Add", version="1.4.2")
    client.patch(f"/v1/debug/crashes/{first['id']}", json={"status": "resolved"})
    # Players on an old build still crash: no regression.
    old = _trace(client, "Inventory::Add", version="1.9.0")
    assert old["status"] == "resolved" and old["regression"] is False
    group = client.get("/v1/debug/crashes/trends").json()["data"][0]
    assert (group["status"], group["regression"], group["resolved_version"]) == ("resolved", False, "1.9.0")
    # 1.10.0 is newer than 1.9.0 (release order, not text order).
    new = _trace(client, "Inventory::Add", version="1.10.0")
    assert new["regression"] is True and new["status"] == "new"
    group = client.get("/v1/debug/crashes/trends").json()["data"][0]
    assert group["regression"] is True and group["status"] == "new" and group["count"] == 4
    assert group["versions"] and set(group["versions"]) == {"1.9.0", "1.4.2", "1.10.0"}
    assert group["latest_crash_id"] == new["id"]
    # The outbox holds what webhooks will announce: the new fingerprint once, the regression once.
    developer = gw.query("SELECT developer_id FROM crash_reports WHERE id = $1", new["id"])[0]["developer_id"]
    events = gw.query(
        "SELECT type, data FROM events WHERE developer_id = $1 AND type LIKE 'crash.%' ORDER BY created_at",
        developer,
    )
    assert [e["type"] for e in events] == ["crash.new_fingerprint", "crash.regression"]


def test_trends_rank_and_window(gw: GatewayProcess, client: httpx.Client) -> None:
    for _ in range(3):
        _trace(client, "Audio::Mix", platform="linux")
    _trace(client, "Audio::Mix", platform="windows")
    _trace(client, "Render::Present", platform="windows", game_id="other")
    data = client.get("/v1/debug/crashes/trends").json()["data"]
    assert [(g["title"], g["count"]) for g in data] == [("Audio::Mix", 4), ("Render::Present", 1)]
    assert data[0]["platforms"] == ["linux", "windows"]
    assert data[0]["first_seen"] <= data[0]["last_seen"]
    only = client.get("/v1/debug/crashes/trends", params={"game_id": "other"}).json()["data"]
    assert [g["title"] for g in only] == ["Render::Present"]
    future = client.get("/v1/debug/crashes/trends", params={"since": "2999-01-01"}).json()["data"]
    assert future == []
    past = client.get("/v1/debug/crashes/trends", params={"until": "2000-01-01T00:00:00Z"}).json()["data"]
    assert past == []
    bad = client.get("/v1/debug/crashes/trends", params={"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()["error"]["message"]


def test_stats_count_and_move_with_the_clock(gw: GatewayProcess, client: httpx.Client) -> None:
    _trace(client, "A", platform="linux", game_id="g1")
    _trace(client, "A", platform="linux", game_id="g1")
    b = _trace(client, "B", platform="windows", game_id="g2")
    client.patch(f"/v1/debug/crashes/{b['id']}", json={"status": "resolved"})
    stats = client.get("/v1/debug/crashes/stats").json()
    assert stats["total"] == 3 and stats["unique_fingerprints"] == 2
    assert stats["by_status"] == {"new": 2, "resolved": 1}
    assert stats["by_platform"] == {"linux": 2, "windows": 1} and stats["by_game"] == {"g1": 2, "g2": 1}
    assert stats["last_24h"] == 3 and stats["last_7d"] == 3
    offset = gw.data_dir / "clock-offset"
    try:
        offset.write_text(str(2 * 86400))
        moved = client.get("/v1/debug/crashes/stats").json()
        assert moved["last_24h"] == 0 and moved["last_7d"] == 3
    finally:
        offset.write_text("0")


def test_the_kept_counts_equal_a_recount(gw: GatewayProcess, client: httpx.Client, tmp_path: Path) -> None:
    """Inserts, triage of whole groups, processing that fails, reprocessing: the running totals
    the stats read agree with counting the rows."""
    made = [
        _trace(client, f"T{i % 3}", version=f"1.{i}", platform=("linux", "windows")[i % 2]) for i in range(6)
    ]
    client.patch(f"/v1/debug/crashes/{made[0]['id']}", json={"status": "resolved"})
    client.patch(f"/v1/debug/crashes/{made[1]['id']}", json={"status": "investigating"})
    client.patch(f"/v1/debug/crashes/{made[1]['id']}", json={"status": "wont_fix"})
    bad = tmp_path / "bad.dmp"
    bad.write_bytes(b"MDMP" + b"\xff" * 64)
    wait_processed(client, submit_dump(client, bad, game_id="g").json()["id"])
    wait_processed(client, submit_dump(client, TEST_APP, game_id="g").json()["id"])
    for path in TEST_APP_SYMS:
        upload_symbol(client, path)
    time.sleep(1.0)
    while any(c["processing"] == "processing" for c in client.get("/v1/debug/crashes").json()["data"]):
        time.sleep(0.1)
    stats = client.get("/v1/debug/crashes/stats").json()
    developer = gw.query("SELECT developer_id FROM crash_reports WHERE id = $1", made[0]["id"])[0][
        "developer_id"
    ]
    rows = gw.query(
        "SELECT status, processing, platform, game_id FROM crash_reports WHERE developer_id = $1", developer
    )

    def tally(name: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in rows:
            if row[name]:
                out[row[name]] = out.get(row[name], 0) + 1
        return out

    assert stats["total"] == len(rows) == 8
    assert stats["by_status"] == tally("status") and stats["by_processing"] == tally("processing")
    assert stats["by_platform"] == tally("platform") and stats["by_game"] == tally("game_id")
    fingerprints = gw.query(
        "SELECT DISTINCT fingerprint FROM crash_reports WHERE developer_id = $1 AND fingerprint IS NOT NULL",
        developer,
    )
    assert stats["unique_fingerprints"] == len(fingerprints) == 4
    trends = client.get("/v1/debug/crashes/trends").json()["data"]
    assert sum(g["count"] for g in trends) == 7  # every processed crash, each in one group


def test_rule_based_analysis_for_test_keys(client: httpx.Client) -> None:
    crash = _trace(client, "Physics::Step")
    answer = client.post(
        "/v1/debug/analyze", json={"crash_id": crash["id"], "question": "Why only on level 3?"}
    ).json()
    assert answer["crash_id"] == crash["id"] and answer["model"] == "rule-based"
    assert "**Root Cause:**" in answer["analysis"] and "Rule-based" in answer["analysis"]
    assert answer["severity"] in ("critical", "high", "medium", "low")
    stored = client.get(f"/v1/debug/crashes/{crash['id']}").json()
    assert stored["status"] == "investigating" and stored["analysis"] == answer["analysis"]
    inline = client.post(
        "/v1/debug/analyze",
        json={
            "stack_trace": ["GameEngine::Update", "Physics::Step", "CollisionCheck::SIGSEGV"],
            "platform": "windows",
            "engine": "unreal",
        },
    ).json()
    assert inline["crash_id"] is None and inline["category"] in ("null_pointer", "invalid_access")
    for body in (
        {},
        {"crash_id": crash["id"], "stack_trace": ["a"]},
        {"stack_trace": ["a"], "question": "?" * 501},
    ):
        answer = client.post("/v1/debug/analyze", json=body)
        assert answer.status_code == 400, body


def test_a_processed_minidump_analyses_from_its_frames(client: httpx.Client) -> None:
    for path in TEST_APP_SYMS:
        upload_symbol(client, path)
    crash = wait_processed(client, submit_dump(client, TEST_APP).json()["id"])
    answer = client.post("/v1/debug/analyze", json={"crash_id": crash["id"]}).json()
    assert answer["category"] == "null_pointer", answer
    assert "CrashFunction" in answer["analysis"]


def test_live_keys_ask_the_model_and_are_billed(tmp_path: Path) -> None:
    with gateway_with_fakes(tmp_path / "gw", {"MG_EMBEDDER": "hashed"}) as (gw, upstreams):
        live = gw.create_key(live=True)["api_key"]
        _live_analysis(gw, upstreams, live)


def _live_analysis(gw: GatewayProcess, upstreams: Upstreams, key: str) -> None:
    deepseek = upstreams.fakes["deepseek"]
    deepseek.queue(
        "openai.chat", openai_chat("**Root Cause:** the body pointer is null.", model="deepseek-chat")
    )
    with gw.client(key) as client:
        crash = _trace(client, "CollisionCheck::Narrow")
        answer = client.post("/v1/debug/analyze", json={"crash_id": crash["id"], "question": "level 3?"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (
            body["model"] == "deepseek-chat"
            and body["analysis"] == "**Root Cause:** the body pointer is null."
        )
        sent = deepseek.calls("openai.chat")[-1].body
        prompt = sent["messages"][-1]["content"]
        assert "CollisionCheck::Narrow" in prompt and "level 3?" in prompt
        rows = gw.query(
            "SELECT endpoint, cost_micros FROM request_log WHERE endpoint = $1", "/v1/debug/analyze"
        )
        assert len(rows) == 1 and rows[0]["cost_micros"] > 0


def test_debug_sessions(gw: GatewayProcess, client: httpx.Client) -> None:
    made = client.post(
        "/v1/debug/sessions",
        json={"name": "boss fight", "platform": "win64", "engine": "Godot", "metadata": {"map": 3}},
    )
    assert made.status_code == 201, made.text
    session = made.json()
    assert (session["platform"], session["engine"], session["metadata"]) == ("windows", "godot", {"map": 3})
    assert client.get(f"/v1/debug/sessions/{session['id']}").json()["name"] == "boss fight"
    assert [s["id"] for s in client.get("/v1/debug/sessions").json()["data"]] == [session["id"]]
    for body in ({}, {"name": ""}, {"name": 3}, {"name": "x", "metadata": []}, {"name": "x", "extra": 1}):
        assert client.post("/v1/debug/sessions", json=body).status_code == 400, body
    big = client.post("/v1/debug/sessions", json={"name": "x", "metadata": {"blob": "x" * 600_000}})
    assert big.status_code == 413
    with gw.client(gw.create_key(email="other@studio.example")["api_key"]) as rival:
        assert rival.get(f"/v1/debug/sessions/{session['id']}").status_code == 404
        assert rival.delete(f"/v1/debug/sessions/{session['id']}").status_code == 404
    archived = client.delete(f"/v1/debug/sessions/{session['id']}")
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert client.get("/v1/debug/sessions").json()["data"] == []
    assert client.get(f"/v1/debug/sessions/{session['id']}").status_code == 404
    # Kept for the audit trail.
    assert gw.query("SELECT archived_at FROM debug_sessions WHERE id = $1", session["id"])[0]["archived_at"]
