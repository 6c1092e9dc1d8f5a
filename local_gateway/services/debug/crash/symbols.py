"""Where symbols come from, and one module's symbols as the walker and symbolicator see them.

The gateway's symbol store plugs in as a :class:`SymbolSource`: given a module's debug file
name and debug id (Breakpad form), it answers the candidate files it holds — Breakpad ``.sym``,
PDB, ELF / split DWARF, Mach-O / dSYM — as bytes or paths. For each module the processor then

* takes names, files, lines and inlined frames from a native file with debug info when there
  is one (through ``symbolic``), else from the ``.sym``'s FUNC and line records, else from a
  native symbol table, else from the ``.sym``'s PUBLIC records;
* takes unwind rules from the ``.sym``'s STACK records, else from the native file's CFI.

Files whose id does not match the module are ignored, so a wrong upload never names frames.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from local_gateway.services.debug.crash.errors import MinidumpError
from local_gateway.services.debug.crash.modules import Module
from local_gateway.services.debug.crash.symfile import SymbolFile, SymbolInfo, WinRecord, parse_sym
from mg.debugfiles.ids import base_name, breakpad_sym_name, normalize_debug_id

if TYPE_CHECKING:
    from local_gateway.services.debug.crash.native import NativeSymbols

SymbolData = bytes | os.PathLike[str] | str
_SYM_MAGIC = b"MODULE "


@runtime_checkable
class SymbolSource(Protocol):
    """The symbol store, as crash processing sees it."""

    def lookup(self, debug_file: str, debug_id: str) -> Sequence[SymbolData]:
        """Files held for a module (``debug_file`` is a base name such as ``crash.pdb`` or
        ``libc.so.6``; ``debug_id`` is the Breakpad form). Empty when there are none."""
        ...


class NoSymbols:
    """A source with nothing in it: walk by frame pointers and scanning, no names."""

    def lookup(self, debug_file: str, debug_id: str) -> Sequence[SymbolData]:
        return ()


class DirectorySymbolSource:
    """A Breakpad symbol-server tree: ``<root>/<debug_file>/<DEBUG_ID>/<files>``.

    Every file in the id's directory is a candidate (``crash.sym`` next to ``crash.pdb``);
    the ``.sym`` name follows Breakpad (``test_app.pdb`` → ``test_app.sym``).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def lookup(self, debug_file: str, debug_id: str) -> Sequence[SymbolData]:
        folder = self.root / base_name(debug_file) / debug_id
        try:
            files = sorted(p for p in folder.iterdir() if p.is_file())
        except OSError:
            return ()
        preferred = breakpad_sym_name(debug_file)
        return sorted(files, key=lambda p: p.name != preferred)


class MappingSymbolSource:
    """Files by ``(debug_file, debug_id)``; for tests and for callers that hold blobs already."""

    def __init__(self, files: Mapping[tuple[str, str], Iterable[SymbolData]]) -> None:
        self._files = {(base_name(k[0]).lower(), normalize_debug_id(k[1])): list(v) for k, v in files.items()}

    def lookup(self, debug_file: str, debug_id: str) -> Sequence[SymbolData]:
        return self._files.get((base_name(debug_file).lower(), normalize_debug_id(debug_id)), ())


class LoadedSymbols:
    """One module's symbols: a ``.sym`` and/or a native file, combined as the module docstring says."""

    def __init__(self, sym: SymbolFile | None, native: NativeSymbols | None) -> None:
        self.sym = sym
        self.native = native

    def lookup(self, offset: int) -> SymbolInfo | None:
        native = self.native
        if native is not None and native.has_debug_info:
            info = native.lookup(offset)
            if info is not None:
                return info
        if self.sym is not None and self.sym.has_functions:
            info = self.sym.lookup(offset)
            if info is not None and not info.public:
                return info
        if native is not None:
            info = native.lookup(offset)
            if info is not None:
                return info
        return self.sym.lookup(offset) if self.sym is not None else None

    def cfi_rules(self, offset: int) -> list[str] | None:
        if self.sym is not None and self.sym.has_unwind:
            return self.sym.cfi_rules(offset)
        return self.native.cfi_rules(offset) if self.native is not None else None

    def win_record(self, offset: int) -> WinRecord | None:
        if self.sym is not None and self.sym.has_unwind:
            return self.sym.win_record(offset)
        return self.native.win_record(offset) if self.native is not None else None


class SymbolCache:
    """Loads each module's symbols once per processing run (None when there are none)."""

    def __init__(self, source: SymbolSource, use_native: bool = True) -> None:
        self.source = source
        self.use_native = use_native
        self._loaded: dict[tuple[str, str], LoadedSymbols | None] = {}
        self.problems: list[str] = []

    def __call__(self, module: Module) -> LoadedSymbols | None:
        if not module.debug_file or not module.debug_id:
            return None
        key = (module.debug_file, module.debug_id)
        if key not in self._loaded:
            self._loaded[key] = self._load(module.debug_file, module.debug_id)
        return self._loaded[key]

    def loaded(self, module: Module) -> bool:
        return self(module) is not None

    def _load(self, debug_file: str, debug_id: str) -> LoadedSymbols | None:
        try:
            candidates = list(self.source.lookup(debug_file, debug_id))
        except Exception as exc:
            self.problems.append(f"symbol lookup for {base_name(debug_file)} failed: {type(exc).__name__}")
            return None
        sym = native = None
        for candidate in candidates:
            head = _head(candidate)
            if head is None:
                continue
            if head.startswith(_SYM_MAGIC):
                if sym is None:
                    sym = self._sym(candidate, debug_file, debug_id)
            elif native is None and self.use_native:
                from local_gateway.services.debug.crash.native import load_native

                source = candidate if isinstance(candidate, bytes) else os.fspath(candidate)
                native = load_native(source, debug_id)
        if sym is None and native is None:
            return None
        return LoadedSymbols(sym, native)

    def _sym(self, candidate: SymbolData, debug_file: str, debug_id: str) -> SymbolFile | None:
        try:
            data = candidate if isinstance(candidate, bytes) else Path(candidate).read_bytes()
            sym = parse_sym(data)
        except (OSError, MinidumpError) as exc:
            self.problems.append(f"symbols for {base_name(debug_file)} unreadable: {exc}")
            return None
        try:
            matches = normalize_debug_id(sym.debug_id) == normalize_debug_id(debug_id)
        except ValueError:
            matches = False
        if not matches:
            self.problems.append(
                f"symbols for {base_name(debug_file)} have debug id {sym.debug_id}, not {debug_id}"
            )
            return None
        return sym


def _head(candidate: SymbolData) -> bytes | None:
    if isinstance(candidate, bytes):
        return candidate[:8]
    try:
        with open(candidate, "rb") as handle:
            return handle.read(8)
    except OSError:
        return None
