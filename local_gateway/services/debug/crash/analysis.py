"""Rule-based crash analysis: what test keys and the local gateway answer for ``/v1/debug/analyze``.

The rules recognise the common native crash classes from the exception and the frames, in this
order (the first that matches wins):

1. **stack overflow** — ``EXCEPTION_STACK_OVERFLOW``, or one function repeated through the stack
   (recursion: the same frame at least 8 times in the top 256, or a cycle of two to four frames
   repeated at least 5 times);
2. **use after free / uninitialized memory** — an access violation whose address (or a low
   offset from it) is a debug-heap fill pattern: ``0xdddddddd`` (MSVC freed), ``0xfeeefeee``
   (HeapFree), ``0xe5e5e5e5`` / ``0x5a5a5a5a`` (jemalloc freed), ``0xdeadbeef``, ``0xabababab``,
   ``0xfdfdfdfd`` (guard bytes) for freed memory; ``0xcdcdcdcd`` (MSVC new), ``0xcccccccc``
   (MSVC stack), ``0xbaadf00d`` (HeapAlloc) for uninitialized memory;
3. **null / near-null access** — an access violation below 64 KiB (a member or array access
   through a null pointer);
4. **abort / assert** — ``SIGABRT``, ``__fastfail`` / stack-buffer-overrun, an assertion stream,
   or ``abort`` / ``assert`` / ``__assert_fail`` / ``_wassert`` / ``std::terminate`` /
   ``check``-style frames or annotations such as "abort() called";
5. **out of memory** — an OOM exception code, or ``std::bad_alloc`` / ``operator new`` /
   allocator out-of-memory frames;
6. **illegal instruction** — ``SIGILL`` / ``EXC_BAD_INSTRUCTION`` /
   ``EXCEPTION_ILLEGAL_INSTRUCTION`` (``ud2`` traps, instructions the CPU lacks);
7. **divide by zero** — ``SIGFPE / FPE_INTDIV``, ``EXC_I386_DIV``,
   ``EXCEPTION_INT_DIVIDE_BY_ZERO``;
8. **wild access** — any other access violation (**invalid access** when a text stack trace
   gives no address); otherwise **unknown**.

It works on a :class:`~.result.ProcessedCrash` (:func:`analyze_crash`) and on an inline list
of frame strings plus platform and engine (:func:`analyze_stack_trace`), where the exception
is read from keywords in the strings (``SIGSEGV``, ``EXCEPTION_ACCESS_VIOLATION``,
``nullptr``, ``0x0000…``). Every answer says it is rule-based.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from local_gateway.services.debug.crash.advice import ENGINE, TEXT
from local_gateway.services.debug.crash.result import ProcessedCrash

METHOD = "rule-based"
_FREED = (0xDDDDDDDD, 0xFEEEFEEE, 0xE5E5E5E5, 0x5A5A5A5A, 0xDEADBEEF, 0xABABABAB, 0xFDFDFDFD)
_UNINIT = (0xCDCDCDCD, 0xCCCCCCCC, 0xBAADF00D)
_NEAR_NULL = 0x10000
_ABORT_FRAME = re.compile(
    r"(?i)(?:^|[:!\s_])(?:abort|raise|__assert_fail|__assert_rtn|_wassert|_assert|assert"
    r"|std::terminate|__cxa_throw|__fastfail|pthread_kill|__pthread_kill|RaiseException"
    r"|FDebug::AssertFailed|FDebug::CheckVerifyFailed|FDebug::EnsureFailed|UE_LOG_Fatal|panic)\b"
)
_OOM_FRAME = re.compile(
    r"(?i)bad_alloc|operator new|out ?of ?memory|OnOutOfMemory|mozalloc_abort|malloc_error"
)
_SIGNAL_SUFFIX = re.compile(
    r"(?i)(?:::|\s+|\s*-\s*)(?:SIGSEGV|SIGBUS|SIGABRT|SIGILL|SIGFPE|EXC_BAD_ACCESS|EXCEPTION_[A-Z_]+|"
    r"access violation|segfault)\b.*$"
)
_SEVERITY = {
    "stack_overflow": "high",
    "use_after_free": "critical",
    "uninitialized_memory": "high",
    "null_pointer": "high",
    "abort": "medium",
    "out_of_memory": "high",
    "illegal_instruction": "high",
    "divide_by_zero": "high",
    "wild_access": "critical",
    "invalid_access": "high",
    "unknown": "medium",
}


@dataclass(frozen=True)
class Analysis:
    """The answer: ``category`` is one of the keys above; ``evidence`` says what matched."""

    category: str
    title: str
    root_cause: str
    severity: str
    fix_suggestion: str
    prevention: str
    evidence: tuple[str, ...] = ()
    related_patterns: tuple[str, ...] = ()
    method: str = METHOD
    question: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "title": self.title,
            "root_cause": self.root_cause,
            "severity": self.severity,
            "fix_suggestion": self.fix_suggestion,
            "prevention": self.prevention,
            "evidence": list(self.evidence),
            "related_patterns": list(self.related_patterns),
            "method": self.method,
        }

    def to_markdown(self) -> str:
        """The ``analysis`` text of the API answer."""
        lines = [
            f"**Root Cause:** {self.root_cause}",
            f"**Severity:** {self.severity}",
            f"**Fix Suggestion:** {self.fix_suggestion}",
            f"**Prevention:** {self.prevention}",
        ]
        if self.evidence:
            lines.append("**Evidence:** " + "; ".join(self.evidence))
        if self.related_patterns:
            lines.append("**Related Patterns:** " + ", ".join(self.related_patterns))
        if self.question:
            lines.append(
                f"**Your Question:** {self.question} — a rule-based analysis cannot answer free-form "
                "questions; the evidence above is what the crash itself shows."
            )
        lines.extend(self.notes)
        lines.append(
            "_Rule-based analysis (no language model): the exception and frames were matched against "
            "known crash classes._"
        )
        return "\n\n".join(lines)


@dataclass(frozen=True)
class CrashFacts:
    """What the rules look at, from either input shape."""

    family: str | None
    reason: str | None
    address: int | None
    access: str | None
    frames: tuple[str, ...]  # "module!function" or "function", innermost first
    platform: str | None = None
    # Frames trusted enough to count repetitions in (scanned frames of modules without symbols
    # are stack noise: stale return addresses repeat without any recursion).
    repeat_frames: tuple[str, ...] | None = None
    engine: str | None = None
    hints: tuple[str, ...] = ()  # assertion text, annotations


def analyze_crash(
    crash: ProcessedCrash, *, engine: str | None = None, question: str | None = None
) -> Analysis:
    """Analyse a processed dump (its crashing thread, inlined frames included)."""
    thread = crash.crashed_thread or (crash.threads[0] if crash.threads else None)
    frames: list[str] = []
    repeat: list[str] = []
    for frame in thread.frames if thread else ():
        names = [f"{frame.module or '?'}!{call.function}" for call in frame.inlines]
        if frame.function:
            names.append(f"{frame.module or '?'}!{frame.function}")
        else:
            names.append(f"{frame.module or '?'}+{frame.module_offset or 0:#x}")
        frames.extend(names)
        if frame.trust != "scan" or frame.function:
            repeat.extend(names)
    hints = tuple(v for v in [crash.assertion, *crash.tags.values()] if v)
    facts = CrashFacts(
        family=crash.crash_family,
        reason=crash.crash_reason,
        address=crash.crash_address,
        access=crash.crash_access,
        frames=tuple(frames),
        platform=crash.platform,
        repeat_frames=tuple(repeat),
        engine=engine,
        hints=hints,
    )
    return analyze(facts, question=question)


def analyze_stack_trace(
    stack_trace: Sequence[str],
    *,
    platform: str | None = None,
    engine: str | None = None,
    question: str | None = None,
) -> Analysis:
    """Analyse an inline stack trace (frame strings, innermost first) with its platform and engine.

    A frame that names the signal or exception (``CollisionCheck::SIGSEGV``) is taken as the
    crash site whatever its position, and the name is shown without the signal.
    """
    frames = tuple(str(f)[:500] for f in list(stack_trace)[:256])
    text = " ".join(frames)
    family, reason = _family_from_text(text)
    for i, frame in enumerate(frames):
        marked = _SIGNAL_SUFFIX.sub("", frame)
        if marked != frame and marked:
            frames = (marked, *frames[:i], *frames[i + 1 :])
            break
    address = None
    if m := re.search(r"0x([0-9a-fA-F]{1,16})\b", text):
        address = int(m.group(1), 16)
    if re.search(r"(?i)\bnull(?:ptr)?\b|null pointer|NullReference", text) and family in (
        None,
        "access_violation",
    ):
        family, address = "access_violation", 0 if address is None else address
    facts = CrashFacts(family, reason, address, None, frames, platform=platform, engine=engine)
    return analyze(facts, question=question)


def _family_from_text(text: str) -> tuple[str | None, str | None]:
    checks = (
        (r"EXCEPTION_STACK_OVERFLOW|stack ?overflow|StackOverflow", "stack_overflow"),
        (
            r"SIGSEGV|SIGBUS|EXC_BAD_ACCESS|EXCEPTION_ACCESS_VIOLATION|access violation|segfault",
            "access_violation",
        ),
        (r"SIGABRT|abort\(\)|assert", "abort"),
        (r"SIGILL|EXC_BAD_INSTRUCTION|ILLEGAL_INSTRUCTION|illegal instruction", "illegal_instruction"),
        (r"FPE_INTDIV|DIVIDE_BY_ZERO|divide by zero|division by zero|EXC_I386_DIV", "divide_by_zero"),
        (r"SIGFPE|EXC_ARITHMETIC", "arithmetic"),
        (r"out of memory|bad_alloc|OUT_OF_MEMORY|\bOOM\b", "out_of_memory"),
    )
    for pattern, family in checks:
        if m := re.search(rf"(?i){pattern}", text):
            return family, m.group(0)
    return None, None


def analyze(facts: CrashFacts, *, question: str | None = None) -> Analysis:
    """Run the rules over :class:`CrashFacts`."""
    for rule in (_stack_overflow, _poisoned, _null, _abort, _oom, _illegal, _divide, _wild):
        found = rule(facts)
        if found is not None:
            category, evidence = found
            return _build(category, facts, evidence, question)
    return _build("unknown", facts, [f"exception: {facts.reason or 'none recorded'}"], question)


def _top(facts: CrashFacts) -> str:
    return facts.frames[0] if facts.frames else "the crashing frame"


def _stack_overflow(facts: CrashFacts) -> tuple[str, list[str]] | None:
    if facts.family == "stack_overflow":
        return "stack_overflow", [f"exception: {facts.reason}"]
    if facts.family not in (None, "access_violation", "other"):
        return None  # recursion overflows the stack as an access violation, not as SIGILL & co.
    source = facts.repeat_frames if facts.repeat_frames is not None else facts.frames
    frames = [re.sub(r"\+0x[0-9a-f]+$", "", f) for f in source[:256]]
    if not frames:
        return None
    name, count = Counter(frames).most_common(1)[0]
    if count >= 8:
        return "stack_overflow", [f"{name} appears {count} times in the top {len(frames)} frames (recursion)"]
    for period in (2, 3, 4):
        cycle = frames[:period]
        repeats = 0
        while frames[repeats * period : (repeats + 1) * period] == cycle:
            repeats += 1
        if repeats >= 5:
            return "stack_overflow", [
                f"a cycle of {period} frames repeats {repeats} times (mutual recursion)"
            ]
    return None


def _poisoned(facts: CrashFacts) -> tuple[str, list[str]] | None:
    if facts.address is None or facts.family not in ("access_violation", None):
        return None
    low32 = facts.address & 0xFFFFFFFF
    high32 = facts.address >> 32
    for pattern in (*_FREED, *_UNINIT):
        near = 0 <= low32 - pattern < 0x1000 and (high32 in (0, pattern))
        if near:
            kind = "use_after_free" if pattern in _FREED else "uninitialized_memory"
            return kind, [
                f"fault address {facts.address:#x} is the fill pattern {pattern:#010x} "
                f"(+{low32 - pattern:#x})"
            ]
    return None


def _null(facts: CrashFacts) -> tuple[str, list[str]] | None:
    if facts.family == "access_violation" and facts.address is not None and facts.address < _NEAR_NULL:
        access = f" ({facts.access})" if facts.access else ""
        return "null_pointer", [f"{facts.reason}{access} at {facts.address:#x}, within 64 KiB of address 0"]
    return None


def _abort(facts: CrashFacts) -> tuple[str, list[str]] | None:
    evidence = []
    if facts.family == "abort":
        evidence.append(f"exception: {facts.reason}")
    for frame in facts.frames[:12]:
        if _ABORT_FRAME.search(frame):
            evidence.append(f"frame {frame}")
            break
    for hint in facts.hints:
        if re.search(r"(?i)abort|assert|terminate|check failed|fatal", hint):
            evidence.append(f"annotation: {hint[:200]}")
            break
    return ("abort", evidence) if evidence else None


def _oom(facts: CrashFacts) -> tuple[str, list[str]] | None:
    if facts.family == "out_of_memory":
        return "out_of_memory", [f"exception: {facts.reason}"]
    for frame in facts.frames[:16]:
        if _OOM_FRAME.search(frame):
            return "out_of_memory", [f"frame {frame}"]
    return None


def _illegal(facts: CrashFacts) -> tuple[str, list[str]] | None:
    if facts.family == "illegal_instruction":
        return "illegal_instruction", [f"exception: {facts.reason} in {_top(facts)}"]
    return None


def _divide(facts: CrashFacts) -> tuple[str, list[str]] | None:
    if facts.family == "divide_by_zero":
        return "divide_by_zero", [f"exception: {facts.reason} in {_top(facts)}"]
    return None


def _wild(facts: CrashFacts) -> tuple[str, list[str]] | None:
    if facts.family == "access_violation":
        if facts.address is None:
            return "invalid_access", [f"{facts.reason}; the fault address is not known"]
        return "wild_access", [f"{facts.reason} at {facts.address:#x}, far from null and not a fill pattern"]
    return None


def _build(category: str, facts: CrashFacts, evidence: list[str], question: str | None) -> Analysis:
    top = _top(facts)
    title, cause, fix, prevention = TEXT[category]
    engine_note = ENGINE.get((facts.engine or "").lower(), {}).get(category)
    notes = (engine_note,) if engine_note else ()
    return Analysis(
        category=category,
        title=title,
        root_cause=cause.format(top=top, reason=facts.reason or "the exception"),
        severity=_SEVERITY[category],
        fix_suggestion=fix.format(top=top),
        prevention=prevention,
        evidence=tuple(evidence),
        question=question[:500] if question else None,
        notes=notes,
    )
