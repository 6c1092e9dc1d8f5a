"""Walk a thread's stack on x86 and x86-64.

Frame 0 comes from the thread's context. Each caller is then recovered by the first method
that works, in the order rust-minidump and Breakpad use:

1. ``cfi`` — the callee module's unwind rules: ``STACK WIN`` (x86; frame data preferred over
   FPO), then ``STACK CFI``;
2. ``frame_pointer`` — the saved frame pointer chain (``[ebp]`` / ``[rbp]`` → caller's frame
   pointer, the word above it → return address);
3. ``scan`` — the first stack word (40 words, 160 below a trusted frame) that looks like a
   return address: it must fall inside a module's code, and, when that module has symbols,
   resolve to a function.

A walk stops when no method finds a caller, the instruction pointer is null-ish (< 4096), the
stack pointer does not move up, or after ``max_frames`` frames. Unwinding reads only the
thread's captured stack memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from local_gateway.services.debug.crash.context import Context
from local_gateway.services.debug.crash.memory import Memory
from local_gateway.services.debug.crash.modules import Module, ModuleList
from local_gateway.services.debug.crash.symfile import SymbolInfo, WinRecord
from local_gateway.services.debug.crash.unwind import caller_by_cfi, caller_by_win

Trust = Literal["context", "cfi", "frame_pointer", "scan"]
DEFAULT_MAX_FRAMES = 256
_SCAN_WORDS = 40
_MAX_GAP = 128 * 1024


class ModuleSymbols(Protocol):
    """What the walker needs from one module's symbols (offsets are module-relative)."""

    def lookup(self, offset: int) -> SymbolInfo | None: ...

    def cfi_rules(self, offset: int) -> list[str] | None: ...

    def win_record(self, offset: int) -> WinRecord | None: ...


SymbolsFor = Callable[[Module], "ModuleSymbols | None"]


@dataclass
class WalkedFrame:
    """One frame: ``instruction`` is the address symbolicated (the return address − 1 for
    callers, so a call at a function's very end still names that function)."""

    context: Context
    trust: Trust
    instruction: int
    module: Module | None = None
    symbol: SymbolInfo | None = None
    parameter_size: int = 0


def walk_stack(
    context: Context,
    stack: Memory,
    modules: ModuleList,
    symbols_for: SymbolsFor,
    max_frames: int = DEFAULT_MAX_FRAMES,
) -> list[WalkedFrame]:
    """Walk from ``context`` until the stack ends; never raises on bad memory or symbols."""
    walker = _Walker(stack, modules, symbols_for, context.pointer_width)
    frames = [walker.symbolize(WalkedFrame(context, "context", context.ip))]
    while len(frames) < max_frames:
        caller = walker.caller(frames)
        if caller is None:
            break
        frames.append(walker.symbolize(caller))
    return frames


class _Walker:
    def __init__(self, stack: Memory, modules: ModuleList, symbols_for: SymbolsFor, width: int) -> None:
        self.stack = stack
        self.modules = modules
        self.symbols_for = symbols_for
        self.width = width
        self.mask = (1 << (8 * width)) - 1

    def read(self, address: int) -> int | None:
        if address < 0 or address > self.mask:
            return None
        return self.stack.word(address, self.width)

    def symbolize(self, frame: WalkedFrame) -> WalkedFrame:
        frame.module = self.modules.at(frame.instruction)
        if frame.module is None:
            return frame
        symbols = self.symbols_for(frame.module)
        if symbols is None:
            return frame
        offset = frame.instruction - frame.module.base
        frame.symbol = symbols.lookup(offset)
        # STACK WIN's parameter size is the reliable one (it feeds the caller's frame size).
        record = symbols.win_record(offset) if frame.context.cpu == "x86" else None
        if record is not None:
            frame.parameter_size = record.parameter_size
        elif frame.symbol is not None:
            frame.parameter_size = frame.symbol.parameter_size
        return frame

    def caller(self, frames: list[WalkedFrame]) -> WalkedFrame | None:
        callee = frames[-1]
        ctx = callee.context
        found = self._by_cfi(frames) or self._by_frame_pointer(callee) or self._by_scan(callee)
        if found is None:
            return None
        caller_ctx, trust = found
        ip, sp = caller_ctx.ip, caller_ctx.sp
        if ip < 4096 or sp <= ctx.sp:
            return None
        return WalkedFrame(caller_ctx, trust, ip - 1)

    def _by_cfi(self, frames: list[WalkedFrame]) -> tuple[Context, Trust] | None:
        callee = frames[-1]
        if callee.module is None or not callee.context.has(callee.context.sp_name):
            return None
        symbols = self.symbols_for(callee.module)
        if symbols is None:
            return None
        offset = callee.instruction - callee.module.base
        result = None
        if callee.context.cpu == "x86":
            record = symbols.win_record(offset)
            if record is not None:
                grand = frames[-2].parameter_size if len(frames) >= 2 else 0
                result = caller_by_win(callee.context, record, self.read, grand, len(frames) == 1)
        if result is None:
            rules = symbols.cfi_rules(offset)
            if rules:
                result = caller_by_cfi(callee.context, rules, self.read)
        return (result, "cfi") if result is not None else None

    def _by_frame_pointer(self, callee: WalkedFrame) -> tuple[Context, Trust] | None:
        ctx = callee.context
        bp, sp = ctx.get(ctx.fp_name), ctx.get(ctx.sp_name)
        if bp is None or (ctx.cpu == "amd64" and sp is None):
            return None
        if bp >= self.mask - 2 * self.width:
            return None
        caller_ip = self.read(bp + self.width)
        caller_bp = self.read(bp)
        if caller_ip is None or caller_bp is None:
            return None
        caller_sp = bp + 2 * self.width
        if ctx.cpu == "amd64":
            # x86-64 frame pointers are optional, so demand a plausible chain before trusting one.
            if caller_sp <= bp or caller_bp < caller_sp or self.read(caller_bp) is None:
                return None
            if _non_canonical(caller_ip) or sp is None or caller_sp <= sp or self.read(caller_sp) is None:
                return None
        registers = {ctx.ip_name: caller_ip, ctx.sp_name: caller_sp, ctx.fp_name: caller_bp}
        return Context(ctx.cpu, registers, frozenset(registers)), "frame_pointer"

    def _by_scan(self, callee: WalkedFrame) -> tuple[Context, Trust] | None:
        ctx = callee.context
        sp = ctx.get(ctx.sp_name)
        if sp is None:
            return None
        last_bp = ctx.get(ctx.fp_name)
        words = _SCAN_WORDS * 4 if callee.trust in ("context", "cfi") else _SCAN_WORDS
        w = self.width
        for i in range(words):
            address_of_ip = sp + i * w
            candidate = self.read(address_of_ip)
            if candidate is None:
                return None
            if not self._plausible_return_address(candidate, ctx.cpu):
                continue
            caller_sp = address_of_ip + w
            caller_bp = self._scan_frame_pointer(ctx.cpu, i, address_of_ip, last_bp, caller_sp)
            registers = {ctx.ip_name: candidate, ctx.sp_name: caller_sp}
            if caller_bp is not None:
                registers[ctx.fp_name] = caller_bp
            return Context(ctx.cpu, registers, frozenset(registers)), "scan"
        return None

    def _scan_frame_pointer(
        self, cpu: str, i: int, address_of_ip: int, last_bp: int | None, caller_sp: int
    ) -> int | None:
        # If the word below the return address looks like a pushed frame pointer, keep the
        # chain going from it; otherwise keep the callee's frame pointer if it is still above.
        if i == 0:
            return None
        address_of_bp = address_of_ip - self.width
        bp = self.read(address_of_bp)
        if bp is None:
            return None
        pushed = bp > address_of_ip and bp - address_of_bp <= _MAX_GAP
        if cpu == "amd64":
            if last_bp is None:
                return None
            if last_bp == address_of_bp and pushed:
                return bp if self.read(bp) is not None else None
            return last_bp if last_bp >= caller_sp else None
        if pushed:
            return bp if self.read(bp) is not None else None
        if last_bp is not None and last_bp >= caller_sp and self.read(last_bp) is not None:
            return last_bp
        return None

    def _plausible_return_address(self, address: int, cpu: str) -> bool:
        if address == 0 or (cpu == "amd64" and _non_canonical(address)):
            return False
        # Judge the call instruction before the return address: a call to a noreturn
        # function may be the last instruction of its function.
        instruction = address - 1
        module = self.modules.at(instruction)
        if module is None:
            return False
        symbols = self.symbols_for(module)
        if symbols is None:
            return True  # no symbols to disprove it: inside a module's image is all we know
        return symbols.lookup(instruction - module.base) is not None


def _non_canonical(address: int) -> bool:
    return 0x7FFFFFFFFFFF < address < 0xFFFF800000000000
