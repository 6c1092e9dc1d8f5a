"""Exception codes → the crash-reason names Breakpad and rust-minidump print.

``EXCEPTION_ACCESS_VIOLATION_WRITE`` (Windows), ``SIGSEGV`` / ``SIGILL / ILL_ILLOPN`` (Linux,
Android), ``EXC_BAD_ACCESS / KERN_INVALID_ADDRESS`` (macOS, iOS); anything unknown reads
``unknown 0x… / 0x…`` as in rust-minidump, so the same dump names the same reason in both.
"""

from __future__ import annotations

from dataclasses import dataclass

_WINDOWS = {
    0x80000001: "EXCEPTION_GUARD_PAGE",
    0x80000002: "EXCEPTION_DATATYPE_MISALIGNMENT",
    0x80000003: "EXCEPTION_BREAKPOINT",
    0x80000004: "EXCEPTION_SINGLE_STEP",
    0xC0000005: "EXCEPTION_ACCESS_VIOLATION",
    0xC0000006: "EXCEPTION_IN_PAGE_ERROR",
    0xC0000008: "EXCEPTION_INVALID_HANDLE",
    0xC000001D: "EXCEPTION_ILLEGAL_INSTRUCTION",
    0xC0000025: "EXCEPTION_NONCONTINUABLE_EXCEPTION",
    0xC0000026: "EXCEPTION_INVALID_DISPOSITION",
    0xC000008C: "EXCEPTION_BOUNDS_EXCEEDED",
    0xC000008D: "EXCEPTION_FLT_DENORMAL_OPERAND",
    0xC000008E: "EXCEPTION_FLT_DIVIDE_BY_ZERO",
    0xC000008F: "EXCEPTION_FLT_INEXACT_RESULT",
    0xC0000090: "EXCEPTION_FLT_INVALID_OPERATION",
    0xC0000091: "EXCEPTION_FLT_OVERFLOW",
    0xC0000092: "EXCEPTION_FLT_STACK_CHECK",
    0xC0000093: "EXCEPTION_FLT_UNDERFLOW",
    0xC0000094: "EXCEPTION_INT_DIVIDE_BY_ZERO",
    0xC0000095: "EXCEPTION_INT_OVERFLOW",
    0xC0000096: "EXCEPTION_PRIV_INSTRUCTION",
    0xC00000FD: "EXCEPTION_STACK_OVERFLOW",
    0xC0000194: "EXCEPTION_POSSIBLE_DEADLOCK",
    0xC0000409: "STATUS_STACK_BUFFER_OVERRUN",
    0xC0000374: "STATUS_HEAP_CORRUPTION",
    0xC0000017: "STATUS_NO_MEMORY",
    0xE0000008: "Out of Memory",
    0xE06D7363: "Unhandled C++ Exception",
    0xE0434352: "MANAGED_EXCEPTION_CODE_V4",
    0x0517A7ED: "Simulated Exception",
}
_ACCESS = {0: "READ", 1: "WRITE", 8: "EXEC"}

_SIGNALS = {
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
    8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
    14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP",
    20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
    26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
    0xFFFFFFFF: "DUMP_REQUESTED",
}  # fmt: skip
_SI_CODES = {
    "SIGILL": ("ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG",
               "ILL_COPROC", "ILL_BADSTK", "ILL_BADIADDR"),
    "SIGTRAP": ("TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT", "TRAP_UNK", "TRAP_PERF"),
    "SIGFPE": ("FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES",
               "FPE_FLTINV", "FPE_FLTSUB"),
    "SIGSEGV": ("SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"),
    "SIGBUS": ("BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"),
    "SIGSYS": ("SYS_SECCOMP", "SYS_USER_DISPATCH"),
}  # fmt: skip
_GENERIC_SI = {
    0: None, 0x80: "SI_KERNEL", -1: "SI_QUEUE", -2: "SI_TIMER", -3: "SI_MESGQ", -4: "SI_ASYNCIO",
    -5: "SI_SIGIO", -6: "SI_TKILL", -7: "SI_DETHREAD", -60: "SI_ASYNCNL",
}  # fmt: skip

_MAC = {
    1: "EXC_BAD_ACCESS", 2: "EXC_BAD_INSTRUCTION", 3: "EXC_ARITHMETIC", 4: "EXC_EMULATION",
    5: "EXC_SOFTWARE", 6: "EXC_BREAKPOINT", 7: "EXC_SYSCALL", 8: "EXC_MACH_SYSCALL",
    9: "EXC_RPC_ALERT", 11: "EXC_RESOURCE", 12: "EXC_GUARD", 0x43507378: "Simulated Exception",
}  # fmt: skip
_MAC_KERN = {
    1: "KERN_INVALID_ADDRESS", 2: "KERN_PROTECTION_FAILURE", 5: "KERN_FAILURE", 8: "KERN_NO_ACCESS",
    9: "KERN_MEMORY_FAILURE", 10: "KERN_MEMORY_ERROR", 50: "KERN_CODESIGN_ERROR",
}  # fmt: skip
_MAC_X86 = {
    "EXC_BAD_ACCESS": {13: "EXC_I386_GPFLT"},
    "EXC_BAD_INSTRUCTION": {1: "EXC_I386_INVOP", 10: "EXC_I386_INVTSSFLT", 11: "EXC_I386_SEGNPFLT",
                            12: "EXC_I386_STKFLT", 13: "EXC_I386_GPFLT", 17: "EXC_I386_ALIGNFLT"},
    "EXC_ARITHMETIC": {1: "EXC_I386_DIV", 2: "EXC_I386_INTO", 3: "EXC_I386_NOEXT",
                       4: "EXC_I386_EXTOVR", 5: "EXC_I386_EXTERR", 6: "EXC_I386_EMERR",
                       7: "EXC_I386_BOUND", 8: "EXC_I386_SSEEXTERR"},
    "EXC_BREAKPOINT": {1: "EXC_I386_SGL", 2: "EXC_I386_BPT"},
    "EXC_SOFTWARE": {0x10003: "SIGABRT", 0xDEADC0DE: "UNCAUGHT_NS_EXCEPTION"},
}  # fmt: skip


@dataclass(frozen=True)
class CrashReason:
    """What the exception stream says happened.

    ``reason`` is the display name; ``signal`` the family a rule can match on regardless of the
    OS (``access_violation``, ``illegal_instruction``, ``abort``, ``divide_by_zero``,
    ``stack_overflow``, ``out_of_memory``, ``breakpoint``, ``other``); ``access`` is
    ``read`` / ``write`` / ``exec`` when the OS says so.
    """

    reason: str
    family: str
    access: str | None = None


def crash_reason(os_family: str, code: int, flags: int, parameters: tuple[int, ...]) -> CrashReason:
    """Name an exception the way rust-minidump does, plus a cross-OS family for analysis."""
    if os_family == "windows":
        return _windows(code, parameters)
    if os_family in ("linux", "android"):
        return _linux(code, flags)
    if os_family in ("macos", "ios"):
        return _mac(code, flags)
    return CrashReason(f"unknown {code:#010x} / {flags:#010x}", "other")


def _windows(code: int, parameters: tuple[int, ...]) -> CrashReason:
    name = _WINDOWS.get(code)
    if name is None:
        return CrashReason(f"unknown {code:#010x}", "other")
    if code == 0xC0000005 and parameters and parameters[0] in _ACCESS:
        access = _ACCESS[parameters[0]]
        return CrashReason(f"{name}_{access}", "access_violation", access.lower())
    return CrashReason(name, _WINDOWS_FAMILY.get(code, "other"))


_WINDOWS_FAMILY = {
    0xC0000005: "access_violation",
    0xC0000006: "access_violation",
    0x80000001: "access_violation",
    0xC000001D: "illegal_instruction",
    0xC0000096: "illegal_instruction",
    0xC000008E: "divide_by_zero",
    0xC0000094: "divide_by_zero",
    0xC00000FD: "stack_overflow",
    0xC0000409: "abort",
    0xC0000374: "heap_corruption",
    0xC0000017: "out_of_memory",
    0xE0000008: "out_of_memory",
    0x80000003: "breakpoint",
    0xE06D7363: "abort",
}


def _linux(code: int, flags: int) -> CrashReason:
    name = _SIGNALS.get(code)
    if name is None:
        return CrashReason(f"unknown {code:#010x} / {flags:#010x}", "other")
    family = _SIGNAL_FAMILY.get(name, "other")
    kinds = _SI_CODES.get(name, ())
    if 1 <= flags <= len(kinds):
        kind = kinds[flags - 1]
        if kind in ("FPE_INTDIV", "FPE_FLTDIV"):
            family = "divide_by_zero"
        return CrashReason(f"{name} / {kind}", family)
    signed = flags - (1 << 32) if flags >= 1 << 31 else flags
    if signed in _GENERIC_SI:
        si = _GENERIC_SI[signed]
        return CrashReason(name if si is None else f"{name} / {si}", family)
    return CrashReason(f"{name} / {flags:#010x}", family)


_SIGNAL_FAMILY = {
    "SIGSEGV": "access_violation",
    "SIGBUS": "access_violation",
    "SIGILL": "illegal_instruction",
    "SIGABRT": "abort",
    "SIGFPE": "arithmetic",
    "SIGTRAP": "breakpoint",
    "SIGKILL": "killed",
}


def _mac(code: int, flags: int) -> CrashReason:
    name = _MAC.get(code)
    if name is None:
        return CrashReason(f"unknown {code:#010x} / {flags:#010x}", "other")
    if name == "Simulated Exception":
        return CrashReason(name, "other")
    family = _MAC_FAMILY.get(name, "other")
    if name == "EXC_BAD_ACCESS" and flags in _MAC_KERN:
        return CrashReason(f"{name} / {_MAC_KERN[flags]}", family)
    sub = _MAC_X86.get(name, {}).get(flags)
    if sub is not None:
        if sub == "EXC_I386_DIV":
            family = "divide_by_zero"
        elif sub == "SIGABRT":
            family = "abort"
        return CrashReason(f"{name} / {sub}", family)
    return CrashReason(f"{name} / {flags:#010x}", family)


_MAC_FAMILY = {
    "EXC_BAD_ACCESS": "access_violation",
    "EXC_BAD_INSTRUCTION": "illegal_instruction",
    "EXC_ARITHMETIC": "arithmetic",
    "EXC_BREAKPOINT": "breakpoint",
    "EXC_RESOURCE": "resource",
    "EXC_GUARD": "guard",
    "EXC_SOFTWARE": "software",
}
