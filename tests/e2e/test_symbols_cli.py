"""``mg symbols`` as a CI script runs it: a real CLI process against a real gateway."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.debugfiles import FIXTURES
from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import Result, run_mg

PDB_ID = "3249D99D0C4049318610F4E4FB0B69361"


def mg_symbols(gw: GatewayProcess, key: str, *args: str) -> Result:
    return run_mg("symbols", *args, MG_BASE_URL=gw.url, MG_API_KEY=key, timeout=120)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build directory as CI has one: debug files among others, a .dSYM, a zip, a link cycle."""
    root = tmp_path_factory.mktemp("build")
    shutil.copytree(FIXTURES / "binaries", root / "out")
    shutil.copy(FIXTURES / "README.md", root / "out" / "notes.pdb")  # a name is not a type
    (root / "out" / "game.log").write_text("nothing to see\n")
    with zipfile.ZipFile(root / "symbols.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / f"symbols/crash.pdb/{PDB_ID}/crash.sym", "syms/crash.sym")
        archive.writestr("readme.txt", "not a debug file")
    (root / "out" / "loop").symlink_to(root)
    # Over 10 MB: goes through a presigned upload.
    big = root / "big.sym"
    with big.open("w") as fh:
        fh.write("MODULE Linux x86_64 00112233445566778899AABBCCDDEEFF0 big\n")
        for n in range(400_000):
            fh.write(f"PUBLIC {n * 16:x} 0 function_number_{n}\n")
    assert big.stat().st_size > 10 * 2**20
    return root


def test_upload_twice_uploads_nothing_the_second_time(sqlite_gateway: GatewayProcess, build: Path) -> None:
    key = sqlite_gateway.create_key(tier="free")["api_key"]
    dry = mg_symbols(sqlite_gateway, key, "upload", "--dry-run", "--json", str(build))
    assert dry.code == 0, dry.err
    planned = {Path(item["file"]).name for item in json.loads(dry.out)["uploaded"]}
    assert {"crash.pdb", "crash.exe", "crash", "crash.debug", "crash.dSYM", "big.sym"} <= planned
    assert "notes.pdb" not in planned

    first = mg_symbols(sqlite_gateway, key, "upload", "--json", str(build))
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    assert summary["failed"] == [] and summary["skipped"] >= 3
    kinds = sorted(item["file_type"] for item in summary["uploaded"])
    assert kinds == ["dsym", "elf", "elf", "macho", "pdb", "pe", "sym", "sym"]
    assert any(item["file"].endswith("symbols.zip:syms/crash.sym") for item in summary["uploaded"])

    second = mg_symbols(sqlite_gateway, key, "upload", str(build))
    assert second.code == 0, second.err
    assert "Nothing to upload: all 8 debug files are already on the server" in second.err

    listed = mg_symbols(sqlite_gateway, key, "list", "--json")
    assert len(json.loads(listed.out)) == 8
    big = mg_symbols(sqlite_gateway, key, "lookup", "BIG", "00112233-4455-6677-8899-aabbccddeeff")
    assert big.code == 0 and "\tsym\t" in big.out


def test_require_all_type_filter_and_failures(
    sqlite_gateway: GatewayProcess, build: Path, tmp_path: Path
) -> None:
    key = sqlite_gateway.create_key(tier="free")["api_key"]
    only_pdb = mg_symbols(sqlite_gateway, key, "upload", "--type", "pdb", "--json", str(build / "out"))
    assert [i["file_type"] for i in json.loads(only_pdb.out)["uploaded"]] == ["pdb"]

    absent = "0123456789ABCDEF0123456789ABCDEF0"
    missing = mg_symbols(
        sqlite_gateway, key, "upload", "--id", PDB_ID, "--id", absent, "--require-all", str(build)
    )
    assert missing.code == 1 and absent in missing.err

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "cut.pdb").write_bytes((FIXTURES / "binaries/windows/crash.pdb").read_bytes()[:50_000])
    failed = mg_symbols(sqlite_gateway, key, "upload", str(broken))
    assert failed.code == 1 and "cut.pdb" in failed.err and "truncated" in failed.err
    allowed = mg_symbols(sqlite_gateway, key, "upload", "--allow-failure", str(broken))
    assert allowed.code == 0

    bad_key = mg_symbols(sqlite_gateway, "mg_test_not_a_key", "upload", str(build))
    assert bad_key.code == 3 and "Invalid API key" in bad_key.err


def test_check_lookup_and_rm(sqlite_gateway: GatewayProcess) -> None:
    check = mg_symbols(sqlite_gateway, "", "check", str(FIXTURES / "binaries/windows/crash.exe"))
    assert check.code == 0
    assert "Type:       pe" in check.out and "Code ID:    5AB380779000" in check.out
    assert PDB_ID in check.out
    not_debug = mg_symbols(sqlite_gateway, "", "check", str(FIXTURES / "README.md"))
    assert not_debug.code == 1 and "not a debug file" in not_debug.err

    key = sqlite_gateway.create_key(tier="free")["api_key"]
    pdb = FIXTURES / "binaries/windows/crash.pdb"
    assert mg_symbols(sqlite_gateway, key, "upload", str(pdb)).code == 0
    found = mg_symbols(sqlite_gateway, key, "lookup", "crash.pdb", PDB_ID.lower(), "--json")
    symbol_id = json.loads(found.out)[0]["id"]
    assert mg_symbols(sqlite_gateway, key, "rm", symbol_id).code == 0
    gone = mg_symbols(sqlite_gateway, key, "lookup", "crash.pdb", PDB_ID)
    assert gone.code == 4 and "mg symbols upload" in gone.err
