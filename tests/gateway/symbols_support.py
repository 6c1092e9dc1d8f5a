"""Shared pieces of the symbol tests: the fixture catalogue and a gateway with a movable clock."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.debugfiles import FIXTURES
from tests.support.gateway_process import GatewayProcess, running_gateway

PDB_ID = "3249D99D0C4049318610F4E4FB0B69361"
ELF_ID = "C0BCC3F19827FE653058404B2831D9E60"
MACHO_ID = "67E9247C814E392BA027DBDE6748FCBF0"
SSE_ID = "A62592418D7807494C4C44205044422E1"
ELF_BUILD_ID = "f1c3bcc0279865fe3058404b2831d9e64135386c"


@dataclass(frozen=True)
class Fixture:
    path: str  # under FIXTURES, or "dsym" for the zip made from the .dSYM directory
    file_type: str
    module: str
    debug_id: str
    urls: tuple[str, ...]  # every symbol-server path that must answer with this file


FIXTURE_FILES = [
    Fixture(
        f"symbols/crash.pdb/{PDB_ID}/crash.sym",
        "sym",
        "crash.pdb",
        PDB_ID,
        (f"/symbols/crash.pdb/{PDB_ID}/crash.sym",),
    ),
    Fixture(
        f"symbols/crash/{ELF_ID}/crash.sym", "sym", "crash", ELF_ID, (f"/symbols/crash/{ELF_ID}/crash.sym",)
    ),
    Fixture(
        f"symbols/crash/{MACHO_ID}/crash.sym",
        "sym",
        "crash",
        MACHO_ID,
        (f"/symbols/crash/{MACHO_ID}/crash.sym",),
    ),
    Fixture(
        "symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym",
        "sym",
        "test_app.pdb",
        "5A9832E5287241C1838ED98914E9B7FF1",
        ("/symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym",),
    ),
    Fixture(
        "symbols/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym",
        "sym",
        "kernel32.pdb",
        "BCE8785C57B44245A669896B6A19B9542",
        ("/symbols/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym",),
    ),
    Fixture(
        "symbols/linux_inline/BBA6FA10B8AAB33D00000000000000000/linux_inline.sym",
        "sym",
        "linux_inline",
        "BBA6FA10B8AAB33D00000000000000000",
        ("/symbols/linux_inline/BBA6FA10B8AAB33D00000000000000000/linux_inline.sym",),
    ),
    Fixture(
        "binaries/windows/crash.pdb", "pdb", "crash.pdb", PDB_ID, (f"/symbols/crash.pdb/{PDB_ID}/crash.pdb",)
    ),
    Fixture(
        "binaries/windows/crash.exe",
        "pe",
        "crash.pdb",
        PDB_ID,
        ("/symbols/crash.exe/5AB380779000/crash.exe",),
    ),
    Fixture(
        f"symsrv/ShowSSEConfig.pdb/{SSE_ID}/ShowSSEConfig.pdb",
        "pdb",
        "ShowSSEConfig.pdb",
        SSE_ID,
        (f"/symbols/ShowSSEConfig.pdb/{SSE_ID}/ShowSSEConfig.pdb",),
    ),
    Fixture(
        "symsrv/ShowSSEConfig.exe/63E6C7F78000/ShowSSEConfig.exe",
        "pe",
        "ShowSSEConfig.pdb",
        SSE_ID,
        ("/symbols/ShowSSEConfig.exe/63E6C7F78000/ShowSSEConfig.exe",),
    ),
    Fixture(
        "binaries/linux/crash",
        "elf",
        "crash",
        ELF_ID,
        (f"/buildid/{ELF_BUILD_ID}/executable", f"/symbols/crash/elf-buildid-{ELF_BUILD_ID}/crash"),
    ),
    Fixture(
        "binaries/linux/crash.debug",
        "elf",
        "crash",
        ELF_ID,
        (f"/buildid/{ELF_BUILD_ID}/debuginfo", f"/symbols/crash/elf-buildid-sym-{ELF_BUILD_ID}/crash.debug"),
    ),
    Fixture(
        "binaries/macos/crash",
        "macho",
        "crash",
        MACHO_ID,
        (f"/symbols/crash/mach-uuid-{MACHO_ID[:32].lower()}/crash",),
    ),
    Fixture(
        "binaries/macos/crash.dSYM/Contents/Resources/DWARF/crash",
        "macho",
        "crash",
        MACHO_ID,
        (f"/symbols/crash/{MACHO_ID}/crash",),
    ),
    Fixture(
        "dsym",
        "dsym",
        "crash",
        MACHO_ID,
        (f"/symbols/crash/{MACHO_ID}/crash.dSYM.zip", f"/symbols/crash/mach-uuid-sym-{MACHO_ID[:32]}/crash"),
    ),
]


def zip_dsym(target: Path) -> Path:
    """The fixture .dSYM directory zipped, as an upload API receives a bundle."""
    root = FIXTURES / "binaries" / "macos"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((root / "crash.dSYM").rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root).as_posix())
    return target


def upload(client: httpx.Client, path: Path, name: str | None = None, **fields: str) -> httpx.Response:
    with path.open("rb") as fh:
        return client.post(
            "/v1/debug/symbols/upload",
            files={"file": (name or path.name, fh, "application/octet-stream")},
            data=fields,
        )


def swap_case(url: str) -> str:
    """Every path component in the opposite letter case (the route words stay as they are)."""
    head, *parts = url.strip("/").split("/")
    if head == "buildid":
        return "/buildid/" + parts[0].upper() + "/" + parts[1]
    return "/" + "/".join([head, *(p.swapcase() for p in parts)])


@contextmanager
def clock_gateway(data_dir: Path, database_url: str | None) -> Iterator[GatewayProcess]:
    """A gateway whose clock tests move by writing seconds into ``data_dir/clock-offset``."""
    extra = {"MG_CLOCK_OFFSET_FILE": str(data_dir / "clock-offset")}
    with running_gateway(data_dir, database_url, extra) as gw:
        yield gw
