"""Debug symbols against real gateway processes (SQLite and PostgreSQL): upload, validation,
the symbol-server layouts, presigned uploads, management and isolation between developers."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.debugfiles import FIXTURES
from tests.gateway.symbols_support import (
    FIXTURE_FILES,
    PDB_ID,
    Fixture,
    clock_gateway,
    swap_case,
    upload,
    zip_dsym,
)
from tests.support.gateway_process import GatewayProcess, create_pg_database, drop_pg_database


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gw(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    data_dir = tmp_path_factory.mktemp(f"sym-{request.param}")
    # A database of this module's own: blobs are shared by content across developers, and the
    # test that a blob goes with its last symbol must not see other modules' uploads.
    url = create_pg_database() if request.param == "postgres" else None
    try:
        with clock_gateway(data_dir, url) as gateway:
            yield gateway
    finally:
        if url is not None:
            drop_pg_database(url)


@pytest.fixture(scope="module")
def key(gw: GatewayProcess) -> str:
    return gw.create_key(tier="free")["api_key"]


@pytest.fixture(scope="module")
def client(gw: GatewayProcess, key: str) -> Iterator[httpx.Client]:
    with gw.client(key) as c:
        yield c


@pytest.fixture(scope="module")
def dsym_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return zip_dsym(tmp_path_factory.mktemp("dsym") / "crash.dSYM.zip")


def _path(fx: Fixture, dsym_zip: Path) -> Path:
    return dsym_zip if fx.path == "dsym" else FIXTURES / fx.path


@pytest.fixture(scope="module")
def uploaded(client: httpx.Client, dsym_zip: Path) -> dict[str, dict]:
    """Every fixture uploaded once; half of them declare their id (in UUID form, lower case)."""
    answers = {}
    for n, fx in enumerate(FIXTURE_FILES):
        fields = {"debug_id": _uuid_form(fx.debug_id)} if n % 2 else {}
        response = upload(client, _path(fx, dsym_zip), **fields)
        assert response.status_code == 201, response.text
        answers[fx.path] = response.json()
    return answers


def _uuid_form(debug_id: str) -> str:
    g = debug_id[:32].lower()
    return f"{g[:8]}-{g[8:12]}-{g[12:16]}-{g[16:20]}-{g[20:]}-{int(debug_id[32:], 16):x}"


@pytest.mark.parametrize("fx", FIXTURE_FILES, ids=[f.path.rsplit("/", 2)[-1] for f in FIXTURE_FILES])
def test_fixture_is_stored_with_its_ids_and_served_byte_identical(
    fx: Fixture, uploaded: dict[str, dict], gw: GatewayProcess, key: str, dsym_zip: Path
) -> None:
    body = uploaded[fx.path]
    assert (body["file_type"], body["module_name"], body["debug_id"]) == (
        fx.file_type,
        fx.module,
        fx.debug_id,
    )
    assert body["id"].startswith("sym_") and body["created_at"].endswith("Z")
    expected = _path(fx, dsym_zip).read_bytes()
    # symsrv and debuginfod clients send HTTP basic auth with the key as password.
    with httpx.Client(base_url=gw.url, auth=("mg", key), timeout=30) as basic:
        for url in {*fx.urls, body["symbol_server_path"]}:
            for variant in (url, swap_case(url), url.lower()):
                got = basic.get(variant)
                assert got.status_code == 200, f"{variant}: {got.text}"
                assert got.content == expected, variant


def test_reupload_is_idempotent_and_a_different_file_needs_overwrite(
    client: httpx.Client, uploaded: dict[str, dict], tmp_path: Path
) -> None:
    original = FIXTURES / FIXTURE_FILES[0].path
    first = uploaded[FIXTURE_FILES[0].path]
    again = upload(client, original)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["status"] == "unchanged"

    changed = tmp_path / "crash.sym"
    changed.write_bytes(original.read_bytes() + b"PUBLIC 1000 0 extra_symbol\n")
    refused = upload(client, changed)
    assert refused.status_code == 409
    assert "overwrite" in refused.json()["error"]["remediation"]
    replaced = client.post(
        "/v1/debug/symbols/upload?overwrite=true", files={"file": ("crash.sym", changed.read_bytes())}
    )
    assert replaced.status_code == 200 and replaced.json()["status"] == "replaced"
    assert replaced.json()["id"] == first["id"]
    served = client.get(f"/symbols/crash.pdb/{PDB_ID}/crash.sym")
    assert served.content == changed.read_bytes()
    upload_back = client.post(
        "/v1/debug/symbols/upload",
        files={"file": ("crash.sym", original.read_bytes())},
        data={"overwrite": "1"},
    )
    assert upload_back.json()["status"] == "replaced"


def _error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    err = response.json()["error"]
    assert err["message"] and err["remediation"]
    return err


def test_wrong_declared_id_is_refused_showing_both(client: httpx.Client) -> None:
    wrong = "3249D99D0C4049318610F4E4FB0B69362"
    err = _error(upload(client, FIXTURES / "binaries/windows/crash.pdb", debug_id=wrong), 400)
    assert wrong in err["message"] and PDB_ID in err["message"]


def test_declared_type_must_match_the_content(client: httpx.Client) -> None:
    err = _error(upload(client, FIXTURES / "binaries/windows/crash.exe", file_type="pdb"), 400)
    assert "'pdb'" in err["message"] and "'pe'" in err["message"]


def test_renamed_non_debug_file_and_minidump_are_refused(client: httpx.Client) -> None:
    err = _error(upload(client, FIXTURES / "README.md", name="game.pdb"), 400)
    assert "game.pdb is not a debug file" in err["message"]
    err = _error(upload(client, FIXTURES / "minidumps/windows-x86-crash.dmp", name="crash.pdb"), 400)
    assert "minidump" in err["message"]


def test_truncated_pdb_is_refused(client: httpx.Client) -> None:
    data = (FIXTURES / "binaries/windows/crash.pdb").read_bytes()[:300_000]
    response = client.post("/v1/debug/symbols/upload", files={"file": ("crash.pdb", data)})
    err = _error(response, 400)
    assert "truncated" in err["message"] and "crash.pdb" in err["message"]


def test_zip_bomb_is_refused(client: httpx.Client) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.dSYM/Contents/Resources/DWARF/bomb", bytes(20 << 20))
    response = client.post("/v1/debug/symbols/upload", files={"file": ("bomb.zip", buffer.getvalue())})
    assert "zip bomb" in _error(response, 400)["message"]


def test_direct_upload_is_capped_at_10_mb(client: httpx.Client) -> None:
    response = client.post("/v1/debug/symbols/upload", files={"file": ("big.sym", bytes(10 * 2**20 + 1))})
    err = _error(response, 413)
    assert "presign" in err["remediation"]


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "/etc/passwd", "a\x00b.pdb", "..\\..\\game.pdb", "C:\\x\\game.pdb", "x" * 256],
)
def test_module_names_that_are_paths_are_refused(client: httpx.Client, name: str) -> None:
    response = upload(client, FIXTURES / "binaries/windows/crash.pdb", module_name=name)
    assert "module_name" in _error(response, 400)["message"]


def test_names_never_become_paths(client: httpx.Client, gw: GatewayProcess) -> None:
    data = b"MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 evil\nPUBLIC 1000 0 main\n"
    response = client.post("/v1/debug/symbols/upload", files={"file": ("../../../../tmp/evil.sym", data)})
    assert response.status_code == 201 and response.json()["file_name"] == "evil.sym"
    for path in ("/symbols/..%2F..%2Fgateway.db/x/y", "/symbols/crash.pdb/..%2F..%2F/gateway.db"):
        assert client.get(path).status_code == 404
    blob_root = gw.data_dir / "blobs"
    stored = [p.relative_to(blob_root).parts for p in blob_root.rglob("*") if p.is_file()]
    assert stored and all(parts[0] == "sha256" and len(parts[-1]) == 64 for parts in stored)
    assert not (Path("/tmp") / "evil.sym").exists()


def test_presigned_token_works_once_and_not_after_expiry(client: httpx.Client, gw: GatewayProcess) -> None:
    pdb = (
        FIXTURES / "symsrv/ShowSSEConfig.pdb/A62592418D7807494C4C44205044422E1/ShowSSEConfig.pdb"
    ).read_bytes()
    signed = client.post(
        "/v1/debug/symbols/presign", json={"file_name": "ShowSSEConfig.pdb", "size": len(pdb)}
    )
    assert signed.status_code == 201, signed.text
    url = signed.json()["upload_url"]
    with httpx.Client(timeout=30) as anonymous:  # the token is the only credential
        first = anonymous.put(url, content=pdb)
        assert first.status_code in (200, 201), first.text
        assert first.json()["debug_id"] == "A62592418D7807494C4C44205044422E1"
        again = anonymous.put(url, content=pdb)
        assert "already used" in _error(again, 401)["message"]

        late = client.post("/v1/debug/symbols/presign", json={}).json()["upload_url"]
        clock = gw.data_dir / "clock-offset"
        clock.write_text("3601")
        try:
            expired = anonymous.put(late, content=pdb)
        finally:
            clock.write_text("0")
        assert "expired" in _error(expired, 401)["message"]
        assert _error(anonymous.put(url.rsplit("/", 1)[0] + "/mgup_forged", content=pdb), 401)
    assert signed.json()["upload_token"] not in gw.log(), "the access log keeps no upload token"


def test_presigned_upload_is_held_to_its_declared_size(client: httpx.Client) -> None:
    url = client.post("/v1/debug/symbols/presign", json={"size": 100}).json()["upload_url"]
    assert _error(httpx.put(url, content=bytes(101)), 413)


def test_check_lookup_list_and_delete(
    client: httpx.Client, uploaded: dict[str, dict], gw: GatewayProcess
) -> None:
    pdb = uploaded["binaries/windows/crash.pdb"]
    unknown = "0" * 64
    have = client.post("/v1/debug/symbols/check", json={"sha256": [pdb["sha256"], unknown]}).json()
    assert have == {"present": [pdb["sha256"]], "missing": [unknown]}

    found = client.get(
        "/v1/debug/symbols/lookup", params={"module_name": "CRASH.PDB", "debug_id": PDB_ID.lower()}
    )
    assert {s["file_type"] for s in found.json()["data"]} >= {"sym", "pdb", "pe"}
    assert (
        client.get(
            "/v1/debug/symbols/lookup", params={"module_name": "x.pdb", "debug_id": PDB_ID}
        ).status_code
        == 404
    )

    page = client.get("/v1/debug/symbols", params={"limit": 5}).json()
    assert len(page["data"]) == 5 and page["has_more"]
    rest = client.get("/v1/debug/symbols", params={"limit": 100, "after": page["data"][-1]["id"]}).json()
    ids = [s["id"] for s in page["data"] + rest["data"]]
    assert len(ids) == len(set(ids)) >= len(FIXTURE_FILES)

    victim = uploaded["symbols/linux_inline/BBA6FA10B8AAB33D00000000000000000/linux_inline.sym"]
    blob = gw.data_dir / "blobs" / "sha256" / victim["sha256"][:2] / victim["sha256"][2:4] / victim["sha256"]
    assert blob.is_file()
    assert client.delete(f"/v1/debug/symbols/{victim['id']}").json()["deleted"] is True
    assert client.get(f"/v1/debug/symbols/{victim['id']}").status_code == 404
    assert client.get(victim["symbol_server_path"]).status_code == 404
    assert not blob.exists(), "an unreferenced blob is removed with its last symbol"


def test_another_developers_symbols_are_invisible(gw: GatewayProcess, uploaded: dict[str, dict]) -> None:
    other = gw.create_key(tier="free")["api_key"]
    pdb = uploaded["binaries/windows/crash.pdb"]
    with gw.client(other) as c:
        assert c.get(pdb["symbol_server_path"]).status_code == 404
        assert c.get(f"/v1/debug/symbols/{pdb['id']}").status_code == 404
        assert c.delete(f"/v1/debug/symbols/{pdb['id']}").status_code == 404
        assert c.get("/v1/debug/symbols").json()["data"] == []
        assert c.post("/v1/debug/symbols/check", json={"sha256": [pdb["sha256"]]}).json()["present"] == []
        lookup = c.get("/v1/debug/symbols/lookup", params={"module_name": "crash.pdb", "debug_id": PDB_ID})
        assert lookup.status_code == 404


def test_symbol_server_auth_and_probes(gw: GatewayProcess, key: str, uploaded: dict[str, dict]) -> None:
    path = uploaded["binaries/windows/crash.pdb"]["symbol_server_path"]
    with httpx.Client(base_url=gw.url, timeout=30) as c:
        denied = c.get(path)
        assert denied.status_code == 401 and denied.headers["WWW-Authenticate"].startswith("Basic")
        token = base64.b64encode(f"anyone:{key}".encode()).decode()
        assert c.get(path, headers={"Authorization": f"Basic {token}"}).status_code == 200
        assert c.get(path, headers={"Authorization": f"Bearer {key}"}).status_code == 200
        for probe in (path[:-1] + "_", path.rsplit("/", 1)[0] + "/file.ptr"):
            assert c.get(probe, headers={"Authorization": f"Bearer {key}"}).status_code == 404
