"""The processed crash: what ``GET /v1/debug/crashes/{id}`` answers "with the symbolicated threads".

Plain frozen dataclasses; :meth:`ProcessedCrash.to_dict` gives the JSON form (addresses as
``0x…`` strings, debug ids in both forms). Every string in it has been through :mod:`.scrub`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mg.debugfiles.ids import debug_id_to_uuid


def hex_or_none(value: int | None) -> str | None:
    return None if value is None else f"{value:#x}"


@dataclass(frozen=True)
class InlinedCall:
    """A function inlined into a frame; listed innermost first."""

    function: str
    file: str | None
    line: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"function": self.function, "file": self.file, "line": self.line}


@dataclass(frozen=True)
class ProcessedFrame:
    """One stack frame.

    ``instruction`` is the frame's instruction pointer (a return address for callers);
    ``module_offset`` is where it was looked up, relative to the module base (the return
    address − 1 for callers, the instruction itself for frame 0); ``function_offset`` is that
    lookup address minus the function's start. ``trust`` says how the frame was found:
    ``context``, ``cfi``, ``frame_pointer`` or ``scan``.
    """

    index: int
    trust: str
    instruction: int
    module: str | None
    module_offset: int | None
    function: str | None
    function_offset: int | None
    file: str | None
    line: int | None
    inlines: tuple[InlinedCall, ...] = ()
    in_app: bool = False
    registers: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "trust": self.trust,
            "instruction": hex_or_none(self.instruction),
            "module": self.module,
            "module_offset": hex_or_none(self.module_offset),
            "function": self.function,
            "function_offset": hex_or_none(self.function_offset),
            "file": self.file,
            "line": self.line,
            "inlines": [call.to_dict() for call in self.inlines],
            "in_app": self.in_app,
        }
        if self.registers is not None:
            out["registers"] = {name: hex_or_none(value) for name, value in self.registers.items()}
        return out


@dataclass(frozen=True)
class ProcessedThread:
    index: int
    tid: int
    name: str | None
    crashed: bool
    frames: tuple[ProcessedFrame, ...]
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tid": self.tid,
            "name": self.name,
            "crashed": self.crashed,
            "truncated": self.truncated,
            "frames": [frame.to_dict() for frame in self.frames],
        }


@dataclass(frozen=True)
class ProcessedModule:
    """``symbols`` is ``loaded`` (a matching file was found), ``missing`` (none was), or
    ``none`` (the module has no debug id to look one up by)."""

    name: str
    code_file: str
    code_id: str | None
    debug_file: str | None
    debug_id: str | None
    base: int
    size: int
    version: str | None
    in_app: bool
    main: bool
    symbols: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "code_file": self.code_file,
            "code_id": self.code_id,
            "debug_file": self.debug_file,
            "debug_id": self.debug_id,
            "debug_id_uuid": debug_id_to_uuid(self.debug_id) if self.debug_id else None,
            "base": hex_or_none(self.base),
            "end": hex_or_none(self.base + self.size),
            "size": self.size,
            "version": self.version,
            "in_app": self.in_app,
            "main": self.main,
            "symbols": self.symbols,
        }


@dataclass(frozen=True)
class SystemSummary:
    os: str
    os_family: str
    os_version: str
    distribution: str | None
    cpu_arch: str
    cpu_info: str | None
    cpu_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "os": self.os,
            "os_family": self.os_family,
            "os_version": self.os_version,
            "distribution": self.distribution,
            "cpu_arch": self.cpu_arch,
            "cpu_info": self.cpu_info,
            "cpu_count": self.cpu_count,
        }


@dataclass(frozen=True)
class ProcessedCrash:
    """Everything derived from one minidump, scrubbed, ready to store and to answer.

    ``crash_family`` is the OS-independent class rules match on (see
    :class:`.reasons.CrashReason`). ``platform`` is the gateway's platform key (``windows``,
    ``linux``, ``macos``, …). ``fingerprint_frames`` are the keys the fingerprint hashed.
    ``missing_symbols`` lists ``debug_file/debug_id`` of stack modules without symbols, so
    uploading one can re-queue this crash. ``tags`` are Crashpad annotations (scrubbed).
    """

    system: SystemSummary
    platform: str
    crash_reason: str | None
    crash_family: str | None
    crash_access: str | None
    crash_address: int | None
    exception_code: int | None
    crashing_thread: int | None
    crashing_tid: int | None
    assertion: str | None
    threads: tuple[ProcessedThread, ...]
    modules: tuple[ProcessedModule, ...]
    fingerprint: str
    fingerprint_frames: tuple[str, ...]
    timestamp: int
    process_id: int | None
    process_create_time: int | None
    tags: dict[str, str] = field(default_factory=dict)
    missing_symbols: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def crashed_thread(self) -> ProcessedThread | None:
        if self.crashing_thread is None:
            return None
        return self.threads[self.crashing_thread]

    @property
    def main_module(self) -> ProcessedModule | None:
        return next((m for m in self.modules if m.main), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer (orjson- and json-serialisable)."""
        return {
            "system_info": self.system.to_dict(),
            "platform": self.platform,
            "crash_reason": self.crash_reason,
            "crash_family": self.crash_family,
            "crash_access": self.crash_access,
            "crash_address": hex_or_none(self.crash_address),
            "exception_code": hex_or_none(self.exception_code),
            "crashing_thread": self.crashing_thread,
            "crashing_tid": self.crashing_tid,
            "assertion": self.assertion,
            "fingerprint": self.fingerprint,
            "fingerprint_frames": list(self.fingerprint_frames),
            "timestamp": self.timestamp,
            "process_id": self.process_id,
            "process_create_time": self.process_create_time,
            "tags": dict(self.tags),
            "missing_symbols": list(self.missing_symbols),
            "warnings": list(self.warnings),
            "main_module": self.main_module.name if self.main_module else None,
            "modules": [module.to_dict() for module in self.modules],
            "threads": [thread.to_dict() for thread in self.threads],
            "scrubbed": True,
        }
