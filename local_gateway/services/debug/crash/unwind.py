"""Evaluate Breakpad unwind rules: ``STACK CFI`` (x86, x86-64) and ``STACK WIN`` (x86).

Both are postfix programs over the callee's registers and the stack. The semantics follow
rust-minidump's ``breakpad-symbols/src/sym_file/walker.rs`` and Breakpad's
``postfix_evaluator``; every evaluation is bounded (tokens per program, stack depth) and any
failure — an unknown token, a division by zero, a read outside captured memory — makes the
rule not apply, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable

from local_gateway.services.debug.crash.context import Context
from local_gateway.services.debug.crash.symfile import WinRecord

MAX_TOKENS = 512
MAX_DEPTH = 64
_X86_CALLEE_SAVED = ("ebp", "ebx", "edi", "esi")
_AMD64_CALLEE_SAVED = ("rbx", "rbp", "r12", "r13", "r14", "r15")
_WIN_OUTPUT = ("$eip", "$esp", "$ebp", "$ebx", "$esi", "$edi")

ReadWord = Callable[[int], int | None]


class _Fail(Exception):
    """Internal: this rule does not apply."""


def caller_by_cfi(callee: Context, rules: list[str], read: ReadWord) -> Context | None:
    """Apply STACK CFI rules (INIT first, then deltas in order) to the callee's registers."""
    mask = (1 << (8 * callee.pointer_width)) - 1
    exprs: dict[str, str] = {}
    try:
        for rule in rules:
            exprs.update(_parse_cfi(rule))
        cfa_expr, ra_expr = exprs.pop(".cfa"), exprs.pop(".ra")
        cfa = _eval_cfi(cfa_expr, callee, read, None, mask)
        ra = _eval_cfi(ra_expr, callee, read, cfa, mask)
    except (_Fail, KeyError):
        return None
    saved = _X86_CALLEE_SAVED if callee.cpu == "x86" else _AMD64_CALLEE_SAVED
    # Callee-saved registers the rules do not mention keep the callee's value.
    registers = {name: callee.registers[name] for name in saved if callee.has(name)}
    for name, expr in exprs.items():
        try:
            registers[name] = _eval_cfi(expr, callee, read, cfa, mask)
        except _Fail:
            registers.pop(name, None)
    registers[callee.sp_name] = cfa
    registers[callee.ip_name] = ra
    return Context(callee.cpu, registers, frozenset(registers))


def _parse_cfi(rule: str) -> dict[str, str]:
    tokens = rule.split()
    if len(tokens) > MAX_TOKENS:
        raise _Fail
    out: dict[str, str] = {}
    register: str | None = None
    expr: list[str] = []
    for token in tokens:
        if token.endswith(":"):
            if register is not None:
                if not expr:
                    raise _Fail
                out[register] = " ".join(expr)
            name = token[:-1]
            register = name if name in (".cfa", ".ra") else name.lstrip("$")
            expr = []
        elif register is None:
            raise _Fail
        else:
            expr.append(token)
    if register is None or not expr:
        raise _Fail
    out[register] = " ".join(expr)
    return out


def _eval_cfi(expr: str, callee: Context, read: ReadWord, cfa: int | None, mask: int) -> int:
    stack: list[int] = []
    for token in expr.split():
        if token in _BINARY:
            if len(stack) < 2:
                raise _Fail
            rhs, lhs = stack.pop(), stack.pop()
            stack.append(_BINARY[token](lhs, rhs) & mask)
        elif token == "^":
            if not stack:
                raise _Fail
            value = read(stack.pop())
            if value is None:
                raise _Fail
            stack.append(value)
        elif token == ".cfa":
            if cfa is None:
                raise _Fail
            stack.append(cfa)
        elif token == ".undef":
            raise _Fail
        else:
            stack.append(_operand(token, callee) & mask)
        if len(stack) > MAX_DEPTH:
            raise _Fail
    if len(stack) != 1:
        raise _Fail
    return stack[0]


def _operand(token: str, callee: Context) -> int:
    name = token.lstrip("$")
    value = callee.get(name)
    if value is not None:
        return value
    try:
        return int(token, 10)
    except ValueError:
        raise _Fail from None


def _div(lhs: int, rhs: int) -> int:
    if rhs == 0:
        raise _Fail
    return lhs // rhs


def _mod(lhs: int, rhs: int) -> int:
    if rhs == 0:
        raise _Fail
    return lhs % rhs


def _align(lhs: int, rhs: int) -> int:
    if rhs <= 0 or rhs & (rhs - 1):
        raise _Fail
    return lhs & ~(rhs - 1)


_BINARY: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _div,
    "%": _mod,
    "@": _align,
}


def caller_by_win(
    callee: Context, record: WinRecord, read: ReadWord, grand_callee_params: int, is_context_frame: bool
) -> Context | None:
    """Apply a STACK WIN record (x86 only): a frame-data program, or the FPO rules."""
    if callee.cpu != "x86":
        return None
    try:
        if record.program is not None:
            return _win_program(callee, record, read, grand_callee_params)
        return _win_fpo(callee, record, read, grand_callee_params, is_context_frame)
    except _Fail:
        return None


def _win_program(callee: Context, record: WinRecord, read: ReadWord, grand_callee_params: int) -> Context:
    esp, ebp = callee.get("esp"), callee.get("ebp")
    if esp is None or ebp is None or record.program is None:
        raise _Fail
    mask = 0xFFFFFFFF
    frame_size = record.local_size + record.saved_register_size + grand_callee_params
    # An aligned frame ("@") cannot be found from $esp; the caller's $ebp sits under the
    # return address, so start from $ebp instead (Breakpad's heuristic).
    search_start = (ebp + 4 if "@" in record.program else esp + frame_size) & mask
    variables: dict[str, int] = {"$esp": esp, "$ebp": ebp}
    if (ebx := callee.get("ebx")) is not None:
        variables["$ebx"] = ebx
    variables.update(
        {
            ".cbParams": record.parameter_size,
            ".cbCalleeParams": grand_callee_params,
            ".cbSavedRegs": record.saved_register_size,
            ".cbLocals": record.local_size,
            ".raSearch": search_start,
            ".raSearchStart": search_start,
        }
    )
    tokens: list[str] = []
    for token in record.program.split():
        # Some toolchains write "=NEXT" for "= NEXT".
        if token.startswith("=") and len(token) > 1:
            tokens.extend(("=", token[1:]))
        else:
            tokens.append(token)
    if len(tokens) > MAX_TOKENS:
        raise _Fail
    stack: list[int | str | None] = []  # int value, str variable name, None ".undef"

    def value(item: int | str | None) -> int:
        if isinstance(item, int):
            return item
        if item is None or item not in variables:
            raise _Fail
        return variables[item]

    for token in tokens:
        if token in _BINARY:
            if len(stack) < 2:
                raise _Fail
            rhs, lhs = value(stack.pop()), value(stack.pop())
            stack.append(_BINARY[token](lhs, rhs) & mask)
        elif token == "=":
            if len(stack) < 2:
                raise _Fail
            rhs_item, target = stack.pop(), stack.pop()
            if not isinstance(target, str):
                raise _Fail
            if rhs_item is None:
                variables.pop(target, None)
            else:
                variables[target] = value(rhs_item)
        elif token == "^":
            if not stack:
                raise _Fail
            word = read(value(stack.pop()))
            if word is None:
                raise _Fail
            stack.append(word & mask)
        elif token == ".undef":
            stack.append(None)
        elif token.startswith(("$", ".")):
            stack.append(token)
        else:
            try:
                stack.append(int(token, 10) & mask)
            except ValueError:
                raise _Fail from None
        if len(stack) > MAX_DEPTH:
            raise _Fail
    registers = {reg[1:]: variables[reg] for reg in _WIN_OUTPUT if reg in variables}
    if "eip" not in registers or "esp" not in registers:
        raise _Fail
    return Context("x86", registers, frozenset(registers))


def _win_fpo(
    callee: Context, record: WinRecord, read: ReadWord, grand_callee_params: int, is_context_frame: bool
) -> Context:
    esp = callee.get("esp")
    if esp is None:
        raise _Fail
    frame_size = record.local_size + record.saved_register_size + grand_callee_params
    eip_address = esp + frame_size
    caller_eip = read(eip_address)
    # A frame-pointer-omitted system call can leave its return address on the stack: if the
    # context frame's "return address" is its own eip, skip that word (Breakpad's heuristic).
    if is_context_frame and caller_eip == callee.get("eip"):
        eip_address += 4
        caller_eip = read(eip_address)
    if caller_eip is None:
        raise _Fail
    registers = {"eip": caller_eip, "esp": (eip_address + 4) & 0xFFFFFFFF}
    if record.allocates_base_pointer:
        ebp = read(esp + grand_callee_params + record.saved_register_size - 8)
        if ebp is None:
            raise _Fail
        registers["ebp"] = ebp
    else:
        if (ebp_value := callee.get("ebp")) is None:
            raise _Fail
        registers["ebp"] = ebp_value
        # ntdll's forwarding functions leave %ebx alone; passing it on helps later frames.
        if (ebx := callee.get("ebx")) is not None:
            registers["ebx"] = ebx
    return Context("x86", registers, frozenset(registers))
