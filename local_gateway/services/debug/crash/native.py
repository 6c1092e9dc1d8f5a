"""Native debug files (PDB, ELF/DWARF, Mach-O/dSYM, and ``.sym`` too) through ``symbolic``.

getsentry's ``symbolic`` builds a symcache from a debug file and resolves an address to the
function, file, line and inlined frames; its CFI cache is Breakpad ``STACK`` text, which
:mod:`.symfile` then evaluates. This module is the only one that imports it, so the backend can
be swapped behind :class:`NativeSymbols` (its methods match :class:`.symfile.SymbolFile`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from local_gateway.services.debug.crash.demangle import demangle
from local_gateway.services.debug.crash.symfile import (
    InlineFrame,
    SymbolFile,
    SymbolInfo,
    WinRecord,
    normalize_path,
    parse_sym,
)

# symbolic marks "no symbol address" (an inlined frame) with u64::MAX truncated per arch.
_NO_ADDRESS = {0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF}


class _LineInfo(Protocol):
    """What this module reads of one of symbolic's ``LineInfo`` results."""

    @property
    def symbol(self) -> str: ...
    @property
    def full_path(self) -> str | None: ...
    @property
    def line(self) -> int: ...
    @property
    def sym_addr(self) -> int: ...


class _SymCache(Protocol):
    """symbolic's ``SymCache``, as far as :class:`NativeSymbols` uses it (symbolic is untyped)."""

    def lookup(self, addr: int) -> Sequence[_LineInfo]: ...


class NativeSymbols:
    """Symbols and unwind rules from one native debug file (or a ``.sym`` via symbolic)."""

    def __init__(
        self, debug_id: str, has_debug_info: bool, symcache: _SymCache, cfi: SymbolFile | None
    ) -> None:
        self.debug_id = debug_id
        self.has_debug_info = has_debug_info
        self._symcache = symcache
        self._cfi = cfi
        self._keep: object = None

    def lookup(self, offset: int) -> SymbolInfo | None:
        try:
            matches = self._symcache.lookup(offset)
        except Exception:
            return None
        if not matches:
            return None
        frames = [
            InlineFrame(
                demangle(m.symbol), normalize_path(m.full_path) if m.full_path else None, m.line or None
            )
            for m in matches
        ]
        outer = matches[-1]
        start = outer.sym_addr if outer.sym_addr not in _NO_ADDRESS else offset
        return SymbolInfo(frames[-1].function, start, frames[-1].file, frames[-1].line, tuple(frames[:-1]))

    def cfi_rules(self, offset: int) -> list[str] | None:
        return self._cfi.cfi_rules(offset) if self._cfi is not None else None

    def win_record(self, offset: int) -> WinRecord | None:
        return self._cfi.win_record(offset) if self._cfi is not None else None


def load_native(source: bytes | str, debug_id: str) -> NativeSymbols | None:
    """Open a debug file (its bytes, or a path symbolic maps into memory); None when symbolic
    cannot read it or no object in it has ``debug_id``.

    ``debug_id`` is the Breakpad form; a file whose object ids all differ is refused, so a
    mismatched upload never names frames wrongly.
    """
    from symbolic import (
        debuginfo as symbolic,  # deferred: a native extension, only needed when native files are used
    )

    try:
        if isinstance(source, str):
            archive = symbolic.Archive.open(source)
        else:
            archive = symbolic.Archive.from_bytes(source)
        objects = list(archive.iter_objects())
    except Exception:
        return None
    wanted = debug_id.upper()
    for obj in objects:
        if _breakpad_id(obj.debug_id) != wanted:
            continue
        try:
            symcache = obj.make_symcache()
        except Exception:
            continue
        cfi = None
        if "unwind" in obj.features:
            try:
                text = obj.make_cficache().open_stream().read()
                cfi = (
                    parse_sym(b"MODULE unknown unknown " + wanted.encode() + b" cfi\n" + text)
                    if text
                    else None
                )
            except Exception:
                cfi = None
        native = NativeSymbols(wanted, "debug" in obj.features, symcache, cfi)
        native._keep = (source, archive, obj)  # the symcache may borrow from them
        return native
    return None


def _breakpad_id(uuid_form: str) -> str:
    text = uuid_form.replace("-", "").upper()
    guid, age = text[:32], text[32:] or "0"
    return f"{guid}{int(age, 16):X}"
