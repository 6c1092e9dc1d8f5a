"""Crash ingestion against real gateway processes (SQLite and PostgreSQL): minidumps processed
off the request path to the fixtures' known answers, JSON stack traces, the Breakpad / Crashpad
form, de-duplication, bad and hostile input, PII, and isolation between developers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.debugfiles import FIXTURES
from tests.gateway.crashes.support import (
    DUMPS,
    INLINE,
    INLINE_SYM,
    PII_NAMES,
    TEST_APP,
    TEST_APP_SYMS,
    crashing_frames,
    submit_dump,
    upload_symbol,
    wait_processed,
)
from tests.support.gateway_process import GatewayProcess, running_gateway

EXPECTED = json.loads((FIXTURES / "expected" / "stackwalk-expected.json").read_text())


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gw(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    data_dir = tmp_path_factory.mktemp(f"crash-{request.param}")
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    with running_gateway(data_dir, url, {"MG_CRASH_UPLOAD_LIMIT": str(1024 * 1024)}) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def key(gw: GatewayProcess) -> str:
    return gw.create_key()["api_key"]


@pytest.fixture(scope="module")
def client(gw: GatewayProcess, key: str) -> Iterator[httpx.Client]:
    with gw.client(key) as c:
        for path in [*TEST_APP_SYMS, INLINE_SYM]:
            upload_symbol(c, path)
        yield c


def test_a_minidump_is_processed_to_the_known_answer(client: httpx.Client) -> None:
    answer = submit_dump(client, TEST_APP, game_id="dungeon", version="1.4.2", platform="windows")
    assert answer.status_code == 201, answer.text
    submitted = answer.json()
    # Processing runs as a job: the answer does not wait for it.
    assert submitted["processing"] in ("processing", "processed")
    assert submitted["deduplicated"] is False and submitted["minidump"]["stored"] is True
    crash = wait_processed(client, submitted["id"])
    expected = EXPECTED[TEST_APP]
    assert crash["processing"] == "processed", crash["processing_error"]
    assert crash["crash_reason"] == expected["crash_reason"]
    assert crash["crash_address"] == expected["crash_address"]
    assert crash["crashing_thread"] == expected["crashing_thread"]["index"]
    assert len(crash["threads"]) == expected["thread_count"]
    assert len(crash["modules"]) == expected["module_count"]
    main = next(m for m in crash["modules"] if m["main"])
    assert (main["debug_file"], main["debug_id"]) == (
        expected["main_module"]["debug_file"],
        expected["main_module"]["debug_id"],
    )
    got = [(f["module"], f["function"], f["file"], f["line"], f["trust"]) for f in crashing_frames(crash)]
    want = [
        (f["module"], f["function"], f.get("file"), f.get("line"), f["trust"]) for f in expected["top_frames"]
    ]
    assert got[: len(want)] == want
    # The short stack the lists and the TUI show is the same walk.
    assert [f["function"] for f in crash["stack"][:3]] == [f["function"] for f in expected["top_frames"][:3]]
    assert crash["title"] == "`anonymous namespace'::CrashFunction"
    assert crash["fingerprint"] and len(crash["fingerprint"]) == 64
    assert (crash["game_id"], crash["version"], crash["platform"]) == ("dungeon", "1.4.2", "windows")


def test_inlined_frames_come_from_the_uploaded_sym(client: httpx.Client) -> None:
    crash = wait_processed(client, submit_dump(client, INLINE, part="minidump").json()["id"])
    top = crashing_frames(crash)[0]
    expected = EXPECTED[INLINE]["top_frames_innermost_first"]
    assert (top["function"], top["file"], top["line"]) == ("main", "a.cpp", 42)
    assert [(c["function"], c["file"], c["line"]) for c in top["inlines"]] == [
        (f["function"], f["file"], f["line"]) for f in expected[:3]
    ]


def test_identical_dumps_are_stored_once_and_counted(client: httpx.Client) -> None:
    first = submit_dump(client, "macos-amd64-crash.dmp", game_id="dedup").json()
    second = submit_dump(client, "macos-amd64-crash.dmp", game_id="dedup")
    assert second.status_code == 200
    body = second.json()
    assert body["deduplicated"] is True and body["duplicate_of"] == first["id"]
    assert body["minidump"]["sha256"] == first["minidump"]["sha256"]
    # Both are occurrences of the same crash.
    a, b = wait_processed(client, first["id"]), wait_processed(client, body["id"])
    assert a["fingerprint"] == b["fingerprint"]
    stats = client.get("/v1/debug/crashes/stats", params={"game_id": "dedup"}).json()
    assert stats["total"] == 2 and stats["duplicates"] == 1
    assert stats["bytes_saved"] == (DUMPS / "macos-amd64-crash.dmp").stat().st_size


@pytest.mark.parametrize("name", ["invalid/invalid-range.dmp", "invalid/invalid-record-count.dmp"])
def test_invalid_dumps_fail_cleanly_with_a_reason(client: httpx.Client, name: str) -> None:
    answer = submit_dump(client, name)
    assert answer.status_code == 201
    crash = wait_processed(client, answer.json()["id"])
    assert crash["processing"] == "failed"
    assert crash["processing_error"].startswith("Not a processable minidump: ")
    assert crash["fingerprint"] is None and crash["threads"] is None


def test_a_truncated_dump_fails_cleanly(client: httpx.Client, tmp_path: Path) -> None:
    cut = tmp_path / "cut.dmp"
    cut.write_bytes((DUMPS / TEST_APP).read_bytes()[:3000])
    crash = wait_processed(client, submit_dump(client, cut).json()["id"])
    assert crash["processing"] == "failed" and "minidump" in crash["processing_error"]


def test_not_a_minidump_is_refused(client: httpx.Client, tmp_path: Path) -> None:
    fake = tmp_path / "fake.dmp"
    fake.write_bytes(b"PK\x03\x04 not a dump")
    answer = submit_dump(client, fake)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "INVALID_REQUEST" and "MDMP" in error["message"]


def test_over_the_size_cap_is_413(client: httpx.Client, tmp_path: Path) -> None:
    big = tmp_path / "big.dmp"
    big.write_bytes(b"MDMP" + b"\0" * (2 * 1024 * 1024))
    answer = submit_dump(client, big)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_form_without_a_dump_names_the_field(client: httpx.Client) -> None:
    answer = client.post("/v1/debug/crashes", files={"other": ("x", b"1")}, data={"game_id": "g"})
    assert answer.status_code == 400
    assert "upload_file_minidump" in answer.json()["error"]["message"]


def test_a_json_stack_trace_is_grouped_at_once(client: httpx.Client) -> None:
    body = {
        "stack_trace": ["game.exe!CollisionCheck::Narrow", "game.exe!Physics::Step", "GameEngine::Update"],
        "game_id": "json-game",
        "platform": "win64",
        "version": "2.0.0",
        "engine": "Unreal",
        "tags": {"level": "3", "player": "someone@example.com"},
    }
    answer = client.post("/v1/debug/crashes", json=body)
    assert answer.status_code == 201, answer.text
    crash = answer.json()
    assert (
        crash["processing"] == "processed" and crash["platform"] == "windows" and crash["engine"] == "unreal"
    )
    assert crash["title"] == "CollisionCheck::Narrow"
    assert [f["function"] for f in crash["stack"]] == [
        "CollisionCheck::Narrow",
        "Physics::Step",
        "GameEngine::Update",
    ]
    assert crash["tags"] == {"level": "3", "player": "<email>"}
    # Line numbers and offsets never change the group.
    again = client.post(
        "/v1/debug/crashes",
        json=dict(body, stack_trace=[
            {"module": "game.exe", "function": "CollisionCheck::Narrow", "file": "c.cpp", "line": 9},
            "game.exe!Physics::Step + 0x12",
            "GameEngine::Update [loop.cpp:41]",
        ]),
    ).json()  # fmt: skip
    assert again["fingerprint"] == crash["fingerprint"]


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({}, "stack_trace"),
        ({"stack_trace": []}, "stack_trace"),
        ({"stack_trace": [1]}, "stack_trace[0]"),
        ({"stack_trace": ["a"], "platform": "amiga"}, "platform"),
        ({"stack_trace": ["a"], "tags": ["x"]}, "tags"),
        ({"stack_trace": ["a"], "game_id": "x" * 101}, "game_id"),
        ({"stack_trace": ["a"], "surprise": 1}, "surprise"),
        ({"stack_trace": ["a"] * 257}, "256"),
    ],
)
def test_bad_json_reports_are_named(client: httpx.Client, body: dict, word: str) -> None:
    answer = client.post("/v1/debug/crashes", json=body)
    assert answer.status_code == 400, answer.text
    assert word in answer.json()["error"]["message"]


def test_breakpad_and_crashpad_clients_get_the_id_as_text(
    gw: GatewayProcess, key: str, client: httpx.Client
) -> None:
    with (DUMPS / "macos-amd64-crashpad-simple.dmp").open("rb") as fh, httpx.Client(base_url=gw.url) as bare:
        answer = bare.post(
            "/v1/debug/crashes/breakpad",
            params={"api_key": key},
            files={"upload_file_minidump": ("crash.dmp", fh, "application/octet-stream")},
            data={"prod": "crashy", "ver": "3.1.0", "guid": "42F9DE72", "level": "ice caves"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    crash_id = answer.text.strip()
    crash = wait_processed(client, crash_id)
    assert (crash["source"], crash["game_id"], crash["version"]) == ("breakpad", "crashy", "3.1.0")
    assert crash["tags"]["level"] == "ice caves" and crash["tags"]["guid"] == "42F9DE72"
    with httpx.Client(base_url=gw.url) as bare:
        refused = bare.post(
            "/v1/debug/crashes/breakpad", params={"api_key": "mg_test_wrong"}, files={"x": b"1"}
        )
    assert refused.status_code == 401


def test_pii_from_module_paths_never_appears_in_an_answer(client: httpx.Client) -> None:
    ids = [submit_dump(client, name).json()["id"] for name in
           ("macos-amd64-crash.dmp", "macos-amd64-crashpad-simple.dmp", INLINE)]  # fmt: skip
    for crash_id in ids:
        wait_processed(client, crash_id)
    texts = [client.get(f"/v1/debug/crashes/{i}").text for i in ids]
    texts.append(client.get("/v1/debug/crashes", params={"limit": 100}).text)
    texts.append(client.get("/v1/debug/crashes/trends").text)
    for text in texts:
        for name in PII_NAMES:
            assert name not in text
    assert "/Users/<user>/" in texts[0]


def test_another_developer_sees_none_of_it(gw: GatewayProcess, client: httpx.Client) -> None:
    crash_id = client.get("/v1/debug/crashes").json()["data"][0]["id"]
    with gw.client(gw.create_key(email="rival@studio.example")["api_key"]) as rival:
        assert rival.get(f"/v1/debug/crashes/{crash_id}").status_code == 404
        assert rival.patch(f"/v1/debug/crashes/{crash_id}", json={"status": "resolved"}).status_code == 404
        assert rival.post("/v1/debug/analyze", json={"crash_id": crash_id}).status_code == 404
        assert rival.get("/v1/debug/crashes").json()["data"] == []
        assert rival.get("/v1/debug/crashes/trends").json()["data"] == []
        assert rival.get("/v1/debug/crashes/stats").json()["total"] == 0
        # The rival's identical dump is not a duplicate of ours.
        assert submit_dump(rival, TEST_APP).json()["deduplicated"] is False


def test_without_a_key_is_401(gw: GatewayProcess) -> None:
    with gw.client() as anonymous:
        assert anonymous.get("/v1/debug/crashes").status_code == 401
        assert anonymous.post("/v1/debug/crashes", json={"stack_trace": ["a"]}).status_code == 401


def test_metadata_is_kept_when_the_blob_store_fails(tmp_path: Path) -> None:
    with running_gateway(tmp_path / "gw") as gw, gw.client(gw.create_key()["api_key"]) as client:
        staging = tmp_path / "gw" / "blobs" / "tmp"
        staging.rmdir()
        staging.write_text("the disk is gone")  # staging into a file fails like a lost volume
        answer = submit_dump(client, TEST_APP, game_id="lost", version="9.9")
        assert answer.status_code == 503, answer.text
        error = answer.json()["error"]
        assert error["code"] == "SERVICE_UNAVAILABLE"
        crashes = client.get("/v1/debug/crashes", params={"game_id": "lost"}).json()["data"]
        assert len(crashes) == 1 and crashes[0]["id"] in error["message"]
        assert crashes[0]["version"] == "9.9" and crashes[0]["minidump"]["stored"] is False
        assert crashes[0]["processing"] == "failed"
