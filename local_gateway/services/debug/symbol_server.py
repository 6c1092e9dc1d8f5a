"""Which stored file answers a symbol-server request, in the layouts existing tools speak.

* Breakpad / Mozilla (Tecken): ``<debug_file>/<DEBUG_ID>/<name>.sym``
* Microsoft symsrv: ``<file.pdb>/<GUIDAGE>/<file.pdb>`` and ``<file.exe>/<TIMESTAMPSIZE>/<file.exe>``;
  SSQP keys ``elf-buildid[-sym]-<id>`` and ``mach-uuid[-sym]-<uuid>`` too
* debuginfod: ``/buildid/<build id>/debuginfo|executable``

Every lookup is case-insensitive and scoped to the caller's developer account. The compressed
(``file.pd_``) and ``file.ptr`` probes of symsrv clients are answered without touching the
database: neither is ever stored.
"""

from __future__ import annotations

import re

from local_gateway.store import symbols as store
from local_gateway.store.db import Database
from local_gateway.store.records import SymbolRecord
from mg.debugfiles import normalize_debug_id

# When a request names no stored file exactly, the first of these that exists answers.
_NATIVE_ORDER = ("pdb", "dsym", "macho-dwarf", "debuginfo", "macho", "executable", "pe")
_BINARY_ORDER = ("pe", "executable", "macho")
_SSQP = re.compile(r"(elf-buildid|mach-uuid)(-sym)?-([0-9a-f]{1,80})")


def is_probe(name: str) -> bool:
    """symsrv's probes for a CAB-compressed copy (``x.pd_``) or a pointer file (``file.ptr``)."""
    low = name.lower()
    return low.endswith("_") or low == "file.ptr"


def _pick(records: list[SymbolRecord], order: tuple[str, ...]) -> SymbolRecord | None:
    for slot in order:
        for record in records:
            if record.slot == slot:
                return record
    return None


class SymbolServer:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def resolve(self, developer_id: str, first: str, key: str, name: str) -> SymbolRecord | None:
        """The file for ``/symbols/<first>/<key>/<name>``, or None."""
        if is_probe(name):
            return None
        low_key, low_name = key.lower(), name.lower()
        async with self.db.read() as session:
            if m := _SSQP.fullmatch(low_key):
                kind, sym, ident = m.groups()
                found = await store.by_code_id(session, developer_id, ident)
                if kind == "elf-buildid":
                    order = ("debuginfo", "executable") if sym else ("executable",)
                else:
                    order = ("dsym", "macho-dwarf") if sym else ("macho",)
                return _pick(found, order)
            debug_id = _as_debug_id(key)
            if debug_id is not None:
                found = await store.by_module(session, developer_id, first.lower(), debug_id)
                if low_name.endswith(".sym"):
                    chosen = _pick(found, ("sym",))
                else:
                    native = [r for r in found if r.slot != "sym"]
                    exact = [r for r in native if r.file_name.lower() == low_name]
                    chosen = _pick(exact or native, _NATIVE_ORDER)
                if chosen is not None:
                    return chosen
            # A binary: <code_file>/<code_id>/<code_file>.
            found = await store.by_code_id(session, developer_id, low_key)
            binaries = [r for r in found if (r.code_file or "").lower() == first.lower()]
            return _pick(binaries, _BINARY_ORDER)

    async def build_id(self, developer_id: str, build_id: str, kind: str) -> SymbolRecord | None:
        """debuginfod: the ELF file with GNU build id ``build_id`` (``debuginfo`` or ``executable``)."""
        async with self.db.read() as session:
            found = [
                r
                for r in await store.by_code_id(session, developer_id, build_id.lower())
                if r.file_type == "elf"
            ]
        if kind == "executable":
            return _pick(found, ("executable",))
        chosen = _pick(found, ("debuginfo",))
        if chosen is None:
            # An unstripped binary is its own debug file.
            chosen = next((r for r in found if "debug" in r.features), None)
        return chosen


def _as_debug_id(key: str) -> str | None:
    if len(key) < 32:
        return None
    try:
        return normalize_debug_id(key)
    except ValueError:
        return None
