"""Read a minidump: header, stream directory, and the streams processing uses.

:func:`parse_minidump` is the only entry point. It reads what it needs from the bytes handed in
(no file or network I/O), checks every offset and count against the dump's size and a ceiling,
and raises :class:`MinidumpError` with a one-line reason for anything it cannot make sense of.
Memory use is bounded by the dump itself: memory regions are views into it, not copies.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace

from local_gateway.services.debug.crash import memory as mem
from local_gateway.services.debug.crash import streams
from local_gateway.services.debug.crash.binary import Bytes, count_checked
from local_gateway.services.debug.crash.context import Context, Cpu, read_context
from local_gateway.services.debug.crash.errors import MinidumpError
from local_gateway.services.debug.crash.modules import ModuleList, read_module_list

MAGIC = 0x504D444D  # "MDMP"
VERSION = 0xA793
MAX_STREAMS = 4096
MAX_THREADS = 16384
_HEADER = struct.Struct("<IIIIIIQ")
_DIRECTORY = struct.Struct("<III")
_THREAD = struct.Struct("<IIIIQQIIII")

THREAD_LIST, MODULE_LIST, MEMORY_LIST, EXCEPTION, SYSTEM_INFO = 3, 4, 5, 6, 7
MEMORY64_LIST, MISC_INFO, THREAD_NAMES = 9, 15, 24
BREAKPAD_INFO, ASSERTION_INFO, LINUX_CPU_INFO, LINUX_LSB_RELEASE = (
    0x47670001,
    0x47670002,
    0x47670003,
    0x47670005,
)
CRASHPAD_INFO = 0x43500001


@dataclass
class Thread:
    """One thread of the dump. ``context`` is None when the dump did not capture it."""

    tid: int
    context: Context | None
    stack_base: int
    stack_size: int
    name: str | None = None


@dataclass
class Minidump:
    """Everything processing reads from a dump. Build one with :func:`parse_minidump`."""

    timestamp: int
    system: streams.SystemInfo | None
    modules: ModuleList
    threads: list[Thread]
    memory: mem.Memory
    exception: streams.ExceptionInfo | None = None
    exception_context: Context | None = None
    misc: dict[str, int] = field(default_factory=dict)
    breakpad: dict[str, int] = field(default_factory=dict)
    assertion: dict[str, str | int] | None = None
    crashpad: streams.CrashpadInfo | None = None
    stream_types: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def cpu(self) -> str:
        if self.system is not None:
            return self.system.cpu_arch
        for thread in self.threads:
            if thread.context is not None:
                return thread.context.cpu
        return "unknown"


def parse_minidump(raw: bytes | bytearray | memoryview) -> Minidump:
    """Parse a minidump's bytes; raises :class:`MinidumpError` for anything unreadable.

    A dump without a thread list is refused (nothing could be walked): the same verdict
    rust-minidump gives, "MissingThreadList".
    """
    data = Bytes(raw)
    if data.size < _HEADER.size:
        raise MinidumpError(f"not a minidump: {data.size} bytes is shorter than the 32-byte header")
    magic, version, count, dir_rva, _checksum, timestamp, _flags = data.unpack(_HEADER, 0, "header")
    if magic != MAGIC:
        raise MinidumpError("not a minidump: the file does not start with 'MDMP'")
    if version & 0xFFFF != VERSION:
        raise MinidumpError(f"unsupported minidump version {version & 0xFFFF:#x} (expected 0xa793)")
    count_checked(
        count, _DIRECTORY.size, data.size - min(dir_rva, data.size), MAX_STREAMS, "stream directory"
    )
    directory: dict[int, tuple[int, int]] = {}
    types = []
    warnings: list[str] = []
    for i in range(count):
        kind, size, rva = data.unpack(
            _DIRECTORY, dir_rva + i * _DIRECTORY.size, f"stream directory entry {i}"
        )
        types.append(kind)
        if not kind or kind in directory:  # the first of duplicated streams wins, like Breakpad
            continue
        try:
            data.check(rva, size, f"stream {kind:#x}")
        except MinidumpError as exc:
            # A stream we do not need may be broken without spoiling the rest; the ones we
            # need fail below as missing.
            warnings.append(str(exc))
            continue
        directory[kind] = (rva, size)

    def stream(kind: int) -> tuple[int, int] | None:
        return directory.get(kind)

    system = None
    if (loc := stream(SYSTEM_INFO)) is not None:
        system = streams.read_system_info(data, *loc)
        if system.os_family in ("linux", "android"):
            if (lsb := stream(LINUX_LSB_RELEASE)) is not None:
                system = replace(system, distribution=streams.read_lsb_release(data, *lsb))
            if system.cpu_count == 0 and (cpu_info := stream(LINUX_CPU_INFO)) is not None:
                system = replace(system, cpu_count=streams.read_linux_cpu_count(data, *cpu_info))
    os_family = system.os_family if system else "unknown"
    cpu: Cpu | None = "x86" if system and system.cpu_arch == "x86" else None
    if system and system.cpu_arch == "amd64":
        cpu = "amd64"
    if system is not None and system.cpu_arch not in ("x86", "amd64", "unknown"):
        raise MinidumpError(f"unsupported CPU {system.cpu_arch}: only x86 and x86-64 dumps are walked")

    if (loc := stream(THREAD_LIST)) is None:
        raise MinidumpError("the dump has no thread list (MissingThreadList)")
    threads, stacks = _threads(data, *loc, cpu)
    modules = read_module_list(data, *loc_m, os_family) if (loc_m := stream(MODULE_LIST)) else ModuleList([])
    regions = list(stacks)
    if (loc := stream(MEMORY_LIST)) is not None:
        regions.extend(mem.read_memory_list(data, *loc))
    if (loc := stream(MEMORY64_LIST)) is not None:
        regions.extend(mem.read_memory64_list(data, *loc))

    dump = Minidump(timestamp, system, modules, threads, mem.Memory(regions), stream_types=types)
    dump.warnings = warnings
    if (loc := stream(EXCEPTION)) is not None:
        dump.exception = streams.read_exception(data, *loc)
        size, rva = dump.exception.context_location
        if size:
            dump.exception_context = read_context(data, rva, size, cpu, "exception context")
    optional = (
        (MISC_INFO, "misc", streams.read_misc_info),
        (BREAKPAD_INFO, "breakpad", streams.read_breakpad_info),
        (ASSERTION_INFO, "assertion", streams.read_assertion),
    )
    for kind, attr, reader in optional:
        if (loc := stream(kind)) is not None:
            try:
                setattr(dump, attr, reader(data, *loc))
            except MinidumpError as exc:
                warnings.append(str(exc))
    try:
        if (loc := stream(THREAD_NAMES)) is not None:
            names = streams.read_thread_names(data, *loc)
            for thread in threads:
                thread.name = names.get(thread.tid)
        if (loc := stream(CRASHPAD_INFO)) is not None:
            dump.crashpad = streams.read_crashpad_info(data, *loc, [m.name for m in modules])
    except MinidumpError as exc:
        warnings.append(str(exc))
    return dump


def _threads(data: Bytes, rva: int, size: int, cpu: Cpu | None) -> tuple[list[Thread], list[mem.Region]]:
    count = data.u32(rva, "thread list count")
    start = rva + 4
    if size == 8 + count * _THREAD.size:
        start += 4  # Breakpad's macOS writer pads the count
    count_checked(count, _THREAD.size, size - (start - rva), MAX_THREADS, "thread list")
    threads, stacks = [], []
    for i in range(count):
        what = f"thread {i}"
        tid, _suspend, _cls, _prio, _teb, stack_base, stack_size, stack_rva, ctx_size, ctx_rva = data.unpack(
            _THREAD, start + i * _THREAD.size, what
        )
        context = read_context(data, ctx_rva, ctx_size, cpu, f"{what} context") if ctx_size else None
        if stack_size:
            if stack_base + stack_size > 1 << 64:
                raise MinidumpError(f"{what} stack at {stack_base:#x} runs past the address space")
            stacks.append(mem.Region(stack_base, data.view(stack_rva, stack_size, f"{what} stack")))
        threads.append(Thread(tid, context, stack_base, stack_size))
    return threads, stacks
