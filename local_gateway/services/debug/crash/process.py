"""Process one minidump: parse, walk every thread, symbolicate, fingerprint, scrub.

:func:`process_minidump` is the entry point the crash-processing job calls. It does no I/O of
its own beyond what the :class:`~.symbols.SymbolSource` handed in does, and it either returns a
:class:`~.result.ProcessedCrash` or raises :class:`~.errors.MinidumpError` with a one-line
reason to store on the crash (``failed``) — whatever the bytes are.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from local_gateway.services.debug.crash import fingerprint as fp
from local_gateway.services.debug.crash.dump import Minidump, Thread, parse_minidump
from local_gateway.services.debug.crash.errors import MinidumpError
from local_gateway.services.debug.crash.inapp import is_system_module
from local_gateway.services.debug.crash.memory import Memory
from local_gateway.services.debug.crash.modules import Module
from local_gateway.services.debug.crash.reasons import CrashReason, crash_reason
from local_gateway.services.debug.crash.result import (
    InlinedCall,
    ProcessedCrash,
    ProcessedFrame,
    ProcessedModule,
    ProcessedThread,
    SystemSummary,
)
from local_gateway.services.debug.crash.scrub import scrub_path, scrub_text
from local_gateway.services.debug.crash.symbols import NoSymbols, SymbolCache, SymbolSource
from local_gateway.services.debug.crash.walker import WalkedFrame, walk_stack

_PLATFORMS = {"windows", "linux", "macos", "ios", "android"}
MAX_TAGS = 256


@dataclass(frozen=True)
class ProcessOptions:
    """Bounds of one processing run. The defaults suit a game's crash; none is unbounded."""

    max_frames: int = 256  # frames of the crashing thread (a runaway recursion stops here)
    max_frames_other: int = 64  # frames of every other thread
    max_threads: int = 512  # threads walked; the rest are listed without frames
    use_native: bool = True  # read PDB / DWARF / Mach-O files through symbolic
    registers: bool = True  # keep the crashing frame's registers in the result


def process_minidump(
    data: bytes | bytearray | memoryview,
    symbols: SymbolSource | None = None,
    options: ProcessOptions | None = None,
) -> ProcessedCrash:
    """Process a minidump's bytes with the symbols ``symbols`` can find.

    Raises :class:`MinidumpError` when the dump cannot be processed (not a minidump, truncated,
    no thread list, unsupported CPU, corrupt structures); never anything else for bad input.
    """
    options = options or ProcessOptions()
    try:
        dump = parse_minidump(data)
        return _process(dump, SymbolCache(symbols or NoSymbols(), options.use_native), options)
    except MinidumpError:
        raise
    except (struct.error, IndexError, KeyError, ValueError, OverflowError, TypeError, RecursionError) as exc:
        # Every read is checked; this is the net under a combination no check anticipated, so
        # a hostile dump still ends as a failed crash with a reason, not a server error.
        raise MinidumpError(f"corrupt minidump: {type(exc).__name__} while processing it") from None


def _process(dump: Minidump, cache: SymbolCache, options: ProcessOptions) -> ProcessedCrash:
    system = dump.system
    summary = SystemSummary(
        os=system.os if system else "unknown",
        os_family=system.os_family if system else "unknown",
        os_version=scrub_text(system.os_version) or "" if system else "",
        distribution=system.distribution if system else None,
        cpu_arch=dump.cpu,
        cpu_info=system.cpu_info if system else None,
        cpu_count=system.cpu_count if system else 0,
    )
    width_mask = 0xFFFFFFFF if dump.cpu == "x86" else (1 << 64) - 1
    main = dump.modules.modules[0] if len(dump.modules) else None
    in_app = {id(m): m is main or not is_system_module(m.code_file, m.name) for m in dump.modules}

    reason: CrashReason | None = None
    crash_address = code = None
    if dump.exception is not None:
        exc = dump.exception
        reason = crash_reason(summary.os_family, exc.code, exc.flags, exc.parameters)
        crash_address = exc.address
        if (
            summary.os_family == "windows"
            and exc.code in (0xC0000005, 0xC0000006)
            and len(exc.parameters) >= 2
        ):
            crash_address = exc.parameters[1]  # the faulting data address, not the code address
        crash_address &= width_mask
        code = exc.code
    crashing_tid = dump.exception.thread_id if dump.exception else dump.breakpad.get("requesting_thread_id")
    crashing_index = next((i for i, t in enumerate(dump.threads) if t.tid == crashing_tid), None)

    touched: dict[int, Module] = {}
    threads = []
    # The thread that wrote the dump (Breakpad's handler thread) shows only the writer itself.
    writer = dump.breakpad.get("dump_thread_id")
    for index, thread in enumerate(dump.threads):
        crashed = index == crashing_index
        context = dump.exception_context if crashed and dump.exception_context else thread.context
        if thread.tid == writer and not crashed:
            context = None
        walked: list[WalkedFrame] = []
        truncated = False
        if context is not None and index < options.max_threads:
            limit = options.max_frames if crashed else options.max_frames_other
            walked = walk_stack(context, _stack_of(dump, thread, context), dump.modules, cache, limit)
            truncated = len(walked) >= limit
        elif context is not None:
            truncated = True
        frames = []
        for n, frame in enumerate(walked):
            if frame.module is not None:
                touched[id(frame.module)] = frame.module
            keep_registers = crashed and n == 0 and options.registers
            frames.append(_frame(n, frame, in_app, keep_registers))
        name = scrub_text(thread.name) if thread.name else None
        threads.append(ProcessedThread(index, thread.tid, name, crashed, tuple(frames), truncated))

    modules = []
    missing = []
    for module in dump.modules:
        state = "none" if not module.debug_id else "unused"
        if id(module) in touched and module.debug_id:
            state = "loaded" if cache.loaded(module) else "missing"
            if state == "missing":
                missing.append(f"{module.debug_file}/{module.debug_id}")
        modules.append(
            ProcessedModule(
                name=scrub_path(module.name) or module.name,
                code_file=scrub_path(module.code_file) or "",
                code_id=module.code_id,
                debug_file=scrub_path(module.debug_file),
                debug_id=module.debug_id,
                base=module.base,
                size=module.size,
                version=module.version,
                in_app=in_app[id(module)],
                main=module is main,
                symbols=state,
            )
        )

    source = threads[crashing_index] if crashing_index is not None else (threads[0] if threads else None)
    keys = fp.choose_frames(_fingerprint_keys(source.frames)) if source else []
    fallback = reason.reason if reason else "no exception"
    return ProcessedCrash(
        system=summary,
        platform=summary.os_family if summary.os_family in _PLATFORMS else "other",
        crash_reason=reason.reason if reason else None,
        crash_family=reason.family if reason else None,
        crash_access=reason.access if reason else None,
        crash_address=crash_address,
        exception_code=code,
        crashing_thread=crashing_index,
        crashing_tid=crashing_tid,
        assertion=_assertion(dump),
        threads=tuple(threads),
        modules=tuple(modules),
        fingerprint=fp.fingerprint(keys, fallback),
        fingerprint_frames=tuple(keys),
        timestamp=dump.timestamp,
        process_id=dump.misc.get("process_id"),
        process_create_time=dump.misc.get("process_create_time"),
        tags=_tags(dump),
        missing_symbols=tuple(missing),
        warnings=tuple(scrub_text(w) or "" for w in [*dump.warnings, *cache.problems][:50]),
    )


def _stack_of(dump: Minidump, thread: Thread, context: object) -> Memory:
    """The thread's captured stack only: unwinding never reads other memory."""
    region = dump.memory.region_at(thread.stack_base) if thread.stack_size else None
    if region is None:
        sp = getattr(context, "sp", 0)
        region = dump.memory.region_at(sp)
    return Memory([region] if region is not None else [])


def _frame(index: int, frame: WalkedFrame, in_app: dict[int, bool], registers: bool) -> ProcessedFrame:
    module = frame.module
    offset = frame.instruction - module.base if module is not None else None
    symbol = frame.symbol
    function = file = line = function_offset = None
    inlines: tuple[InlinedCall, ...] = ()
    if symbol is not None and offset is not None:
        function = scrub_text(symbol.function)
        file, line = scrub_path(symbol.file), symbol.line
        function_offset = offset - symbol.function_offset if offset >= symbol.function_offset else None
        inlines = tuple(
            InlinedCall(scrub_text(i.function) or "", scrub_path(i.file), i.line) for i in symbol.inlines
        )
    return ProcessedFrame(
        index=index,
        trust=frame.trust,
        instruction=frame.context.ip,
        module=scrub_path(module.name) if module is not None else None,
        module_offset=offset,
        function=function,
        function_offset=function_offset,
        file=file,
        line=line,
        inlines=inlines,
        in_app=bool(module is not None and in_app.get(id(module))),
        registers=frame.context.shown() if registers else None,
    )


def _fingerprint_keys(frames: tuple[ProcessedFrame, ...]) -> list[tuple[str, bool]]:
    keys = []
    for frame in frames:
        for call in frame.inlines:
            keys.append((fp.frame_key(frame.module, call.function, None), frame.in_app))
        keys.append((fp.frame_key(frame.module, frame.function, frame.module_offset), frame.in_app))
    return keys


def _assertion(dump: Minidump) -> str | None:
    info = dump.assertion
    if not info:
        return None
    where = f"{info.get('file')}:{info.get('line')}" if info.get("file") else ""
    text = f"{info.get('expression') or 'assertion'} in {info.get('function') or '?'} {where}".strip()
    return scrub_text(text)


def _tags(dump: Minidump) -> dict[str, str]:
    if dump.crashpad is None:
        return {}
    tags: dict[str, str] = {}
    for key, value in dump.crashpad.annotations.items():
        tags[key] = value
    for module, values in dump.crashpad.module_annotations.items():
        for key, value in values.items():
            tags[f"{module}:{key}"] = value
    if dump.crashpad.report_id:
        tags.setdefault("crashpad.report_id", dump.crashpad.report_id)
    out = {}
    for key, value in list(tags.items())[:MAX_TAGS]:
        out[(scrub_text(key) or "")[:200]] = scrub_text(value) or ""
    return out
