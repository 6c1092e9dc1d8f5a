"""Breakpad text symbol files (``.sym``): the MODULE / INFO CODE_ID header and record kinds."""

from __future__ import annotations

from mg.debugfiles.ids import normalize_debug_id
from mg.debugfiles.info import DebugFileError, DebugFileInfo
from mg.debugfiles.source import Source

MAGIC = b"MODULE "
# INFO lines follow MODULE directly; the first 64 KiB holds them in every dump_syms output.
_HEADER_BYTES = 64 << 10

_OS = {"mac": "macos"}
_ARCH = {"amd64": "x86_64", "x86-64": "x86_64", "i386": "x86", "aarch64": "arm64"}

# Record kind at the start of a line → feature it proves.
_RECORDS = {b"\nFUNC ": "debug", b"\nPUBLIC ": "symtab", b"\nSTACK ": "unwind"}
_TAIL = max(len(k) for k in _RECORDS) - 1


def read(src: Source, name: str | None = None) -> list[DebugFileInfo]:
    """Parse the header lines; features come later from :class:`RecordScanner` during hashing.

    The MODULE line names the debug file, so the file's own ``name`` is not used.
    """
    head = src.read_at(0, min(src.size, _HEADER_BYTES), "header")
    lines = head.split(b"\n")
    if len(lines) == 1 and src.size > len(head):
        raise src.error("the MODULE line is longer than 64 KiB")
    module = _text(lines[0]).split(maxsplit=4)
    if len(module) != 5:
        raise DebugFileError(f"not a Breakpad symbol file: bad MODULE line {_text(lines[0])[:120]!r}")
    _, os_name, arch, raw_id, module_name = module
    try:
        debug_id = normalize_debug_id(raw_id)
    except ValueError:
        raise DebugFileError(f"Breakpad MODULE line has an invalid debug id {raw_id[:60]!r}") from None
    os_name = _OS.get(os_name.lower(), os_name.lower())

    code_id = code_file = None
    # The last line may be cut at the 64 KiB boundary; INFO lines come long before that.
    for raw in lines[1:-1] if src.size > len(head) else lines[1:]:
        if not raw.startswith(b"INFO "):
            break
        fields = _text(raw).split(maxsplit=3)
        if len(fields) >= 3 and fields[1] == "CODE_ID":
            code_id = fields[2]
            code_file = fields[3] if len(fields) == 4 else None
    if code_id and os_name != "windows":
        # ELF build ids and Mach-O uuids are keyed in lower case; a PE code id keeps the
        # `%08X%x` mixed case dump_syms wrote.
        code_id = code_id.lower()
    if code_file is None and os_name != "windows":
        # Outside Windows dump_syms names the module after the binary itself.
        code_file = module_name

    info = DebugFileInfo(
        file_type="sym",
        debug_id=debug_id,
        code_id=code_id,
        debug_file=module_name,
        code_file=code_file,
        arch=_ARCH.get(arch.lower(), arch.lower()),
        os=os_name,
    )
    return [info]


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise DebugFileError("not a Breakpad symbol file: header is not UTF-8 text") from None


class RecordScanner:
    """Fed every chunk of a ``.sym`` file; collects which record kinds occur.

    Keeps the last few bytes of each chunk so a record split across two chunks still counts,
    and stops looking once every kind has been seen.
    """

    def __init__(self) -> None:
        self.features: set[str] = set()
        self._carry = b""

    def __call__(self, chunk: bytes) -> None:
        if len(self.features) == len(_RECORDS):
            return
        data = self._carry + chunk
        for token, feature in _RECORDS.items():
            if feature not in self.features and token in data:
                self.features.add(feature)
        self._carry = data[-_TAIL:]
