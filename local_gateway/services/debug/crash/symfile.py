"""Breakpad text symbol files (``.sym``): functions, lines, inlines, publics and unwind rules.

Records read: ``MODULE``, ``FILE``, ``FUNC`` and its line records, ``INLINE_ORIGIN`` and
``INLINE`` (the new-style records with a call-site file), ``PUBLIC``, ``STACK CFI INIT`` /
``STACK CFI`` and ``STACK WIN``. See Breakpad's ``docs/symbol_files.md``.

Indexing is one pass over the lines that keeps only addresses and line numbers; the body of a
FUNC (its line and inline records) and the rules of a STACK record are parsed when an address
inside them is looked up, so a large file costs little more than its lines. Malformed records
are skipped and counted (``skipped``): symbol files in the wild are full of small oddities, and
one bad line must not cost the whole module its names. A last line without a newline is read
like any other (``linux_inline.sym`` ends that way).

Written by hand because no Python library evaluates Breakpad's STACK records; ``symbolic``
reads ``.sym`` files for names (and is used for native debug files), but not their unwind rules.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from local_gateway.services.debug.crash.errors import MinidumpError

# How far back an address lookup looks past records that start before it but end earlier
# (overlapping and nested ranges, common in STACK WIN); bounds every lookup.
_LOOKBACK = 32
T = TypeVar("T")
_RECORDS = (b"FUNC ", b"PUBLIC ", b"STACK ", b"FILE ", b"INLINE_ORIGIN ", b"INFO ", b"MODULE ")


# An INLINE record: depth, call line, call file, origin, and its address ranges.
_InlineRow = tuple[int, int, int, int, list[tuple[int, int]]]


@dataclass(frozen=True)
class InlineFrame:
    function: str
    file: str | None
    line: int | None


@dataclass(frozen=True)
class SymbolInfo:
    """What one module offset resolves to.

    ``function``/``file``/``line`` describe the real (outermost) function at the address; when
    code was inlined there, ``inlines`` lists the inlined calls innermost first (the innermost's
    file and line are where the instruction is). ``function_offset`` is the function's start as
    a module offset; ``parameter_size`` feeds the x86 STACK WIN unwinder of the caller.
    """

    function: str
    function_offset: int
    file: str | None = None
    line: int | None = None
    inlines: tuple[InlineFrame, ...] = ()
    parameter_size: int = 0
    public: bool = False


@dataclass(frozen=True)
class WinRecord:
    """A STACK WIN record (type 4 frame data with a program string, type 0 FPO)."""

    kind: int
    address: int
    size: int
    prologue_size: int
    epilogue_size: int
    parameter_size: int
    saved_register_size: int
    local_size: int
    max_stack_size: int
    program: str | None
    allocates_base_pointer: bool


@dataclass
class _Func:
    address: int
    size: int
    parameter_size: int
    name_line: int  # index of the FUNC line; its body runs to `body_end`
    body_end: int
    parsed: tuple[list[tuple[int, int, int, int]], list[_InlineRow]] | None = None


@dataclass
class SymbolFile:
    """A parsed Breakpad symbol file. Build one with :func:`parse_sym`."""

    os: str
    arch: str
    debug_id: str
    debug_file: str
    code_id: str | None = None
    skipped: int = 0
    _lines: list[bytes] = field(default_factory=list, repr=False)
    _files: dict[int, str] = field(default_factory=dict, repr=False)
    _origins: dict[int, str] = field(default_factory=dict, repr=False)
    _funcs: list[_Func] = field(default_factory=list, repr=False)
    _func_starts: list[int] = field(default_factory=list, repr=False)
    _publics: list[tuple[int, int, str]] = field(default_factory=list, repr=False)
    _public_starts: list[int] = field(default_factory=list, repr=False)
    _cfi: list[tuple[int, int, int, int]] = field(default_factory=list, repr=False)  # addr, size, first, end
    _cfi_starts: list[int] = field(default_factory=list, repr=False)
    _win: dict[int, tuple[list[int], list[tuple[int, int, int]]]] = field(default_factory=dict, repr=False)

    @property
    def has_functions(self) -> bool:
        return bool(self._funcs)

    @property
    def has_unwind(self) -> bool:
        return bool(self._cfi or self._win)

    def lookup(self, offset: int) -> SymbolInfo | None:
        """Resolve a module offset: the covering FUNC (lines and inlines), else the nearest PUBLIC."""
        func = _covering(self._funcs, self._func_starts, offset, lambda f: (f.address, f.size))
        if func is not None:
            return self._resolve(func, offset)
        i = bisect.bisect_right(self._public_starts, offset) - 1
        if i >= 0:
            address, parameter_size, name = self._publics[i]
            # A PUBLIC symbol has no size; do not attribute an address past a later FUNC to it.
            j = bisect.bisect_right(self._func_starts, address)
            if j >= len(self._func_starts) or self._func_starts[j] > offset:
                return SymbolInfo(name, address, parameter_size=parameter_size, public=True)
        return None

    def cfi_rules(self, offset: int) -> list[str] | None:
        """The STACK CFI rule texts that apply at an offset: the INIT rules, then every delta
        record at or before the offset (later rules for a register override earlier ones)."""
        found = _covering(self._cfi, self._cfi_starts, offset, lambda r: (r[0], r[1]))
        if found is None:
            return None
        _addr, _size, first, end = found
        rules = [self._lines[first].split(maxsplit=5)[5].decode("ascii", errors="replace")]
        for index in range(first + 1, end):
            parts = self._lines[index].split(maxsplit=3)
            if len(parts) < 4:
                continue
            try:
                address = int(parts[2], 16)
            except ValueError:
                continue
            if address > offset:
                break
            rules.append(parts[3].decode("ascii", errors="replace"))
        return rules

    def win_record(self, offset: int) -> WinRecord | None:
        """The STACK WIN record for an offset, frame data (type 4) preferred over FPO (type 0)."""
        for kind in (4, 0):
            table = self._win.get(kind)
            if not table:
                continue
            starts, entries = table
            found = _covering(entries, starts, offset, lambda e: (e[0], e[1]))
            if found is not None:
                record = _win_record(self._lines[found[2]])
                if record is not None:
                    return record
        return None

    def _resolve(self, func: _Func, offset: int) -> SymbolInfo:
        if func.parsed is None:
            func.parsed = self._parse_body(func)
        lines, inlines = func.parsed
        name = _name(
            self._lines[func.name_line], 5 if self._lines[func.name_line].startswith(b"FUNC m ") else 4
        )
        file = line = None
        found = _covering(lines, [entry[0] for entry in lines], offset, lambda e: (e[0], e[1]))
        if found is not None:
            line, file = found[2] or None, self._files.get(found[3])
        active = sorted(
            (entry for entry in inlines if any(a <= offset < a + s for a, s in entry[4])), key=lambda e: e[0]
        )
        if not active:
            return SymbolInfo(name, func.address, file, line, (), func.parameter_size)
        # INLINE records carry the *call site* of each inlined function: the outer function
        # stands at the first call site, each inlinee at the next one, the innermost where
        # the line record says.
        outer_file, outer_line = self._files.get(active[0][2]), active[0][1] or None
        frames = []
        for depth, entry in enumerate(active):
            origin = self._origins.get(entry[3], "<unknown inline>")
            if depth + 1 < len(active):
                call = active[depth + 1]
                frames.append(InlineFrame(origin, self._files.get(call[2]), call[1] or None))
            else:
                frames.append(InlineFrame(origin, file, line))
        frames.reverse()
        return SymbolInfo(name, func.address, outer_file, outer_line, tuple(frames), func.parameter_size)

    def _parse_body(self, func: _Func) -> tuple[list[tuple[int, int, int, int]], list[_InlineRow]]:
        lines: list[tuple[int, int, int, int]] = []
        inlines: list[_InlineRow] = []
        for index in range(func.name_line + 1, func.body_end):
            raw = self._lines[index]
            try:
                if raw.startswith(b"INLINE "):
                    parts = raw.split()
                    numbers = [int(p) for p in parts[1:5]]
                    ranges_raw = parts[5:]
                    if len(ranges_raw) % 2:  # old-style INLINE without a call-site file
                        numbers = [int(parts[1]), int(parts[2]), -1, int(parts[3])]
                        ranges_raw = parts[4:]
                    pairs = [
                        (int(ranges_raw[i], 16), int(ranges_raw[i + 1], 16))
                        for i in range(0, len(ranges_raw), 2)
                    ]
                    if pairs:
                        inlines.append((numbers[0], numbers[1], numbers[2], numbers[3], pairs))
                else:
                    address, size, line, file_id = raw.split(maxsplit=4)[:4]
                    lines.append((int(address, 16), int(size, 16), int(line), int(file_id)))
            except (ValueError, IndexError):
                self.skipped += 1
        lines.sort()
        return lines, inlines


def parse_sym(data: bytes) -> SymbolFile:
    """Index a Breakpad ``.sym`` file. Raises :class:`MinidumpError` without a MODULE line."""
    lines = data.split(b"\n")
    first = lines[0].rstrip(b"\r").split(maxsplit=4) if lines else []
    if len(first) != 5 or first[0] != b"MODULE":
        raise MinidumpError("not a Breakpad symbol file: it does not start with a MODULE line")
    text = [part.decode("utf-8", errors="replace") for part in first[1:]]
    sym = SymbolFile(os=text[0], arch=text[1], debug_id=text[2].upper(), debug_file=text[3], _lines=lines)
    cfi: list[tuple[int, int, int, int]] = []
    win: dict[int, list[tuple[int, int, int]]] = {}
    publics = []
    current: _Func | None = None
    cfi_open: list[int] | None = None
    for index in range(1, len(lines)):
        raw = lines[index]
        if raw.endswith(b"\r"):
            raw = lines[index] = raw[:-1]
        if not raw:
            continue
        head = raw[:1]
        try:
            if b"0" <= head <= b"9" or b"a" <= head <= b"f":
                continue  # a line record, inside the current FUNC's body
            if raw.startswith(b"INLINE "):
                continue  # part of the current FUNC's body
            if not raw.startswith(_RECORDS):
                if current is None:  # inside a FUNC the body parser counts it
                    sym.skipped += 1
                # an unknown line does not end the FUNC it sits in
                continue
            if current is not None:
                current.body_end = index
                current = None
            # A CFI INIT's delta records run until the next record that is not one of them.
            ends_cfi = not raw.startswith(b"STACK CFI ") or raw.startswith(b"STACK CFI INIT ")
            if cfi_open is not None and ends_cfi:
                cfi.append((cfi_open[0], cfi_open[1], cfi_open[2], index))
                cfi_open = None
            if raw.startswith(b"FUNC "):
                parts = raw.split(maxsplit=5)
                if parts[1] == b"m":
                    parts = raw.split(maxsplit=6)[1:]
                current = _Func(int(parts[1], 16), int(parts[2], 16), int(parts[3], 16), index, index + 1)
                sym._funcs.append(current)
            elif raw.startswith(b"STACK CFI INIT "):
                parts = raw.split(maxsplit=5)
                if len(parts) < 6:
                    raise ValueError
                cfi_open = [int(parts[3], 16), int(parts[4], 16), index]
            elif raw.startswith(b"STACK CFI "):
                continue  # a delta record of the open INIT
            elif raw.startswith(b"STACK WIN "):
                parts = raw.split(maxsplit=5)
                win.setdefault(int(parts[2], 16), []).append((int(parts[3], 16), int(parts[4], 16), index))
            elif raw.startswith(b"PUBLIC "):
                parts = raw.split(maxsplit=3)
                if parts[1] == b"m":
                    parts = raw.split(maxsplit=4)[1:]
                name = parts[3].decode("utf-8", errors="replace") if len(parts) > 3 else "<name omitted>"
                publics.append((int(parts[1], 16), int(parts[2], 16), name))
            elif raw.startswith(b"FILE "):
                parts = raw.split(maxsplit=2)
                sym._files[int(parts[1])] = normalize_path(parts[2].decode("utf-8", errors="replace"))
            elif raw.startswith(b"INLINE_ORIGIN "):
                parts = raw.split(maxsplit=2)
                sym._origins[int(parts[1])] = parts[2].decode("utf-8", errors="replace")
            elif raw.startswith(b"INFO CODE_ID "):
                sym.code_id = raw.split()[2].decode("ascii", errors="replace")
        except (ValueError, IndexError):
            sym.skipped += 1
            current = None
    if current is not None:
        current.body_end = len(lines)
    if cfi_open is not None:
        cfi.append((cfi_open[0], cfi_open[1], cfi_open[2], len(lines)))
    sym._funcs.sort(key=lambda f: f.address)
    sym._func_starts = [f.address for f in sym._funcs]
    publics.sort()
    sym._publics = publics
    sym._public_starts = [p[0] for p in publics]
    cfi.sort()
    sym._cfi = cfi
    sym._cfi_starts = [c[0] for c in cfi]
    for kind, entries in win.items():
        entries.sort()
        sym._win[kind] = ([e[0] for e in entries], entries)
    return sym


def _covering(
    items: Sequence[T], starts: Sequence[int], offset: int, span: Callable[[T], tuple[int, int]]
) -> T | None:
    """The item with the latest start whose [start, start + size) covers ``offset``."""
    i = bisect.bisect_right(starts, offset) - 1
    stop = max(-1, i - _LOOKBACK)
    while i > stop:
        start, size = span(items[i])
        if start <= offset < start + max(size, 1):
            return items[i]
        i -= 1
    return None


def _name(raw: bytes, fields_before: int) -> str:
    parts = raw.split(maxsplit=fields_before)
    return (
        parts[fields_before].decode("utf-8", errors="replace")
        if len(parts) > fields_before
        else "<name omitted>"
    )


def _win_record(raw: bytes) -> WinRecord | None:
    parts = raw.split(maxsplit=12)
    if len(parts) < 13:
        return None
    try:
        numbers = [int(p, 16) for p in parts[2:11]]
        has_program = parts[11] != b"0"
    except ValueError:
        return None
    kind, address, size, prologue, epilogue, params, saved, local, max_stack = numbers
    tail = parts[12].decode("ascii", errors="replace")
    if has_program:
        return WinRecord(
            kind, address, size, prologue, epilogue, params, saved, local, max_stack, tail, False
        )
    return WinRecord(
        kind, address, size, prologue, epilogue, params, saved, local, max_stack, None, tail.strip() != "0"
    )


def normalize_path(path: str) -> str:
    """Fold ``.`` and ``dir/..`` in a POSIX source path (``macos/../macos/main.cpp``).

    dump_syms keeps the compiler's spelling; native readers (symbolic) fold it, and the same
    file should read the same whichever symbols resolved it. Windows paths are left alone.
    """
    if "/" not in path or "\\" in path or ("/./" not in path and "/../" not in path):
        return path
    import posixpath

    return posixpath.normpath(path)
