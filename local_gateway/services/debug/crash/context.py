"""CPU register contexts of the two architectures we walk: x86 (CONTEXT_X86) and AMD64.

A context is a register file plus the set of registers known to be valid. The context a dump
stores for a thread is complete (``valid`` is None); the walker builds callers' contexts from
what unwinding recovered, and only those registers are valid there.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Literal

from local_gateway.services.debug.crash.binary import Bytes
from local_gateway.services.debug.crash.errors import MinidumpError

Cpu = Literal["x86", "amd64"]

# CONTEXT_X86: ContextFlags, six debug registers, a 112-byte FLOATING_SAVE_AREA, then the
# segment and integer registers (winnt.h); 716 bytes with the 512 extended-register bytes.
X86_SIZE = 716
_X86 = struct.Struct("<I24x112xIIIIIIIIIIIIIIII")
_X86_NAMES = (
    "gs",
    "fs",
    "es",
    "ds",
    "edi",
    "esi",
    "ebx",
    "edx",
    "ecx",
    "eax",
    "ebp",
    "eip",
    "cs",
    "eflags",
    "esp",
    "ss",
)
# CONTEXT_AMD64: six home slots, flags and MxCsr, six segment selectors, EFlags, six debug
# registers, then rax..r15 and rip at offset 120 (winnt.h); 1232 bytes in all.
AMD64_SIZE = 1232
_AMD64 = struct.Struct("<48xII6HI48x17Q")
_AMD64_NAMES = (
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
)  # fmt: skip
X86_REGISTERS = ("eip", "esp", "ebp", "ebx", "esi", "edi", "eax", "ecx", "edx", "eflags")
AMD64_REGISTERS = (*_AMD64_NAMES[16:], *_AMD64_NAMES[:16])

# The architecture bits of ContextFlags (winnt.h, Breakpad's minidump_cpu_*.h).
CONTEXT_X86_FLAG = 0x00010000
CONTEXT_AMD64_FLAG = 0x00100000
_ARCH_MASK = 0xFFFFFF00


@dataclass
class Context:
    """Registers of one frame. ``valid`` None means every register is known."""

    cpu: Cpu
    registers: dict[str, int]
    valid: frozenset[str] | None = None
    _width: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._width = 4 if self.cpu == "x86" else 8

    @property
    def pointer_width(self) -> int:
        return self._width

    @property
    def ip_name(self) -> str:
        return "eip" if self.cpu == "x86" else "rip"

    @property
    def sp_name(self) -> str:
        return "esp" if self.cpu == "x86" else "rsp"

    @property
    def fp_name(self) -> str:
        return "ebp" if self.cpu == "x86" else "rbp"

    @property
    def ip(self) -> int:
        return self.registers.get(self.ip_name, 0)

    @property
    def sp(self) -> int:
        return self.registers.get(self.sp_name, 0)

    def has(self, name: str) -> bool:
        return name in self.registers and (self.valid is None or name in self.valid)

    def get(self, name: str) -> int | None:
        return self.registers[name] if self.has(name) else None

    def shown(self) -> dict[str, int]:
        """The valid registers, in the order debuggers print them."""
        order = X86_REGISTERS if self.cpu == "x86" else AMD64_REGISTERS
        return {name: self.registers[name] for name in order if self.has(name)}


def read_context(data: Bytes, rva: int, size: int, cpu: Cpu | None, what: str) -> Context:
    """Parse a thread context; ``cpu`` comes from system info, else from ContextFlags."""
    if size < 4:
        raise MinidumpError(f"{what} is {size} bytes, too small for a CPU context")
    if cpu is None:
        cpu = _cpu_from_flags(data, rva, size, what)
    if cpu == "x86":
        if size < _X86.size:
            raise MinidumpError(f"{what} is {size} bytes, too small for an x86 context")
        values = data.unpack(_X86, rva, what)
        if values[0] & _ARCH_MASK and not values[0] & CONTEXT_X86_FLAG:
            raise MinidumpError(f"{what} has ContextFlags {values[0]:#x}, not an x86 context")
        regs = dict(zip(_X86_NAMES, values[1:], strict=True))
    else:
        if size < AMD64_SIZE:
            raise MinidumpError(f"{what} is {size} bytes, too small for an AMD64 context")
        values = data.unpack(_AMD64, rva, what)
        if values[0] & _ARCH_MASK and not values[0] & CONTEXT_AMD64_FLAG:
            raise MinidumpError(f"{what} has ContextFlags {values[0]:#x}, not an AMD64 context")
        regs = dict(zip(_AMD64_NAMES, values[9:], strict=True))
        regs["eflags"] = values[8]
    return Context(cpu, regs)


def _cpu_from_flags(data: Bytes, rva: int, size: int, what: str) -> Cpu:
    # Without system info: AMD64 keeps ContextFlags at offset 48, x86 at 0.
    if size >= AMD64_SIZE and data.u32(rva + 48, what) & CONTEXT_AMD64_FLAG:
        return "amd64"
    if data.u32(rva, what) & CONTEXT_X86_FLAG:
        return "x86"
    raise MinidumpError(f"{what}: unsupported CPU context (only x86 and AMD64 are walked)")
