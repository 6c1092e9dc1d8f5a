"""The blob store in S3 (MG_BLOB_URL=s3://…) against a real S3-compatible server (moto_server):
symbols stored and served, minidumps processed, presigned PUTs straight to the bucket through the
SDK, and the spec's 503 when the bucket cannot be reached."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mg.client import MonsterClient
from mg.errors import AuthenticationError
from tests.debugfiles import FIXTURES
from tests.gateway.crashes.support import (
    TEST_APP,
    TEST_APP_SYMS,
    crashing_frames,
    submit_dump,
    wait_processed,
)
from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.s3_server import S3Server, free_port

EXPECTED = json.loads((FIXTURES / "expected" / "stackwalk-expected.json").read_text())
PDB = FIXTURES / "binaries/windows/crash.pdb"


@pytest.fixture(scope="module")
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture(scope="module")
def gw(
    s3_server: S3Server, bucket: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    with running_gateway(tmp_path_factory.mktemp("gw-s3"), extra_env=s3_server.gateway_env(bucket)) as gw:
        yield gw


@pytest.fixture(scope="module")
def key(gw: GatewayProcess) -> str:
    return str(gw.create_key()["api_key"])


def _upload(client: httpx.Client, path: Path) -> httpx.Response:
    with path.open("rb") as fh:
        return client.post(
            "/v1/debug/symbols/upload", files={"file": (path.name, fh, "application/octet-stream")}
        )


def _blob_key(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"blobs/sha256/{digest[:2]}/{digest[2:4]}/{digest}"


def test_a_symbol_lives_in_the_bucket_and_is_served_from_it(
    gw: GatewayProcess, key: str, s3_server: S3Server, bucket: str
) -> None:
    sym = TEST_APP_SYMS[0]
    with gw.client(key) as client:
        answer = _upload(client, sym)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert _blob_key(sym) in s3_server.keys(bucket)
        # Nothing of it stays on the gateway's disk: the bucket is the only copy.
        assert not any(p.is_file() for p in (gw.data_dir / "blobs").rglob("*") if "sha256" in p.parts)
        served = client.get(body["symbol_server_path"])
        assert served.status_code == 200, served.text
        assert served.content == sym.read_bytes()
        health = client.get("/v1/health").json()
        assert health["subsystems"]["blob_store"]["backend"] == "s3"
        assert health["subsystems"]["blob_store"]["status"] == "ok"
        # Deleting the last symbol that uses a blob removes the object too.
        assert client.delete(f"/v1/debug/symbols/{body['id']}").status_code == 200
        assert _blob_key(sym) not in s3_server.keys(bucket)


def test_a_minidump_in_the_bucket_is_processed_with_symbols_from_it(
    gw: GatewayProcess, s3_server: S3Server, bucket: str
) -> None:
    with gw.client(gw.create_key()["api_key"]) as client:
        for sym in TEST_APP_SYMS:
            assert _upload(client, sym).status_code == 201
        answer = submit_dump(client, TEST_APP, game_id="s3-game")
        assert answer.status_code == 201, answer.text
        assert _blob_key(Path(FIXTURES / "minidumps" / TEST_APP)) in s3_server.keys(bucket)
        crash = wait_processed(client, answer.json()["id"])
    assert crash["processing"] == "processed", crash["processing_error"]
    want = [f["function"] for f in EXPECTED[TEST_APP]["top_frames"]]
    assert [f["function"] for f in crashing_frames(crash)][: len(want)] == want


def test_a_presigned_upload_goes_straight_to_the_bucket_through_the_sdk(
    gw: GatewayProcess, key: str, s3_server: S3Server, bucket: str
) -> None:
    data = PDB.read_bytes()
    with MonsterClient(key, gw.url) as client:
        signed = client.symbols.presign(size=len(data), file_name="crash.pdb")
        assert signed["upload_url"].startswith(s3_server.endpoint + f"/{bucket}/blobs/incoming/")
        assert signed["complete_url"].startswith(gw.url)
        with pytest.raises(Exception) as nothing_yet:
            client.symbols.complete_presigned(signed["complete_url"])
        assert "Nothing was uploaded" in str(nothing_yet.value)
        client.symbols.upload_presigned(signed["upload_url"], data)
        stored = client.symbols.complete_presigned(signed["complete_url"])
        assert stored["status"] == "created" and stored["file_type"] == "pdb"
        assert _blob_key(PDB) in s3_server.keys(bucket)
        assert not any(k.startswith("blobs/incoming/") for k in s3_server.keys(bucket))
        with pytest.raises(AuthenticationError, match="already used"):
            client.symbols.complete_presigned(signed["complete_url"])
    with gw.client(key) as http:
        served = http.get(stored["symbol_server_path"])
    assert served.status_code == 200 and served.content == data


def test_an_unreachable_bucket_answers_503_and_keeps_the_crash_metadata(tmp_path: Path) -> None:
    private = S3Server(free_port()).start()
    bucket = private.new_bucket()
    try:
        with (
            running_gateway(tmp_path / "gw", extra_env=private.gateway_env(bucket)) as gw,
            gw.client(gw.create_key()["api_key"]) as client,
        ):
            assert _upload(client, TEST_APP_SYMS[1]).status_code == 201
            private.stop()
            started = time.monotonic()
            answer = _upload(client, TEST_APP_SYMS[0])
            assert time.monotonic() - started < 30  # bounded retries, never a hang
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
            assert answer.json()["error"]["is_retryable"] is True
            assert client.get("/v1/debug/symbols").json()["data"][0]["module_name"] == "kernel32.pdb"
            crash = submit_dump(client, TEST_APP, game_id="offline", version="2.0")
            assert crash.status_code == 503, crash.text
            error = crash.json()["error"]
            kept = client.get("/v1/debug/crashes", params={"game_id": "offline"}).json()["data"]
            assert len(kept) == 1 and kept[0]["id"] in error["message"]
            assert kept[0]["minidump"]["stored"] is False and kept[0]["version"] == "2.0"
            health = client.get("/v1/health")
            assert health.json()["subsystems"]["blob_store"]["status"] != "ok"
    finally:
        private.stop()
