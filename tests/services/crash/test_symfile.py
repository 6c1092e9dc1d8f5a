"""The Breakpad .sym index agrees with symbolic on every fixture file and evaluates STACK rules."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from symbolic import Archive

from local_gateway.services.debug.crash import MinidumpError
from local_gateway.services.debug.crash.context import Context
from local_gateway.services.debug.crash.symfile import parse_sym
from local_gateway.services.debug.crash.unwind import caller_by_cfi, caller_by_win
from tests.services.crash import SYMBOLS

SYM_FILES = sorted(SYMBOLS.glob("*/*/*.sym"))


@pytest.mark.parametrize("path", SYM_FILES, ids=lambda p: p.parent.parent.name)
def test_names_files_lines_and_inlines_match_symbolic(path) -> None:  # type: ignore[no-untyped-def]
    sym = parse_sym(path.read_bytes())
    cache = next(Archive.open(str(path)).iter_objects()).make_symcache()
    rng = random.Random(7)
    starts = [f.address for f in sym._funcs] or [p[0] for p in sym._publics]
    compared = 0
    for _ in range(400):
        offset = rng.choice(starts) + rng.randrange(0, 96)
        ours = sym.lookup(offset)
        theirs = cache.lookup(offset)
        if ours is None:
            assert not theirs, hex(offset)
            continue
        chain = [(i.function, i.line) for i in ours.inlines] + [(ours.function, ours.line)]
        assert chain == [(m.symbol, m.line or None) for m in theirs], hex(offset)
        assert (ours.file or None) == (theirs[-1].full_path or None), hex(offset)
        compared += 1
    assert compared > 50


def test_linux_inline_without_trailing_newline() -> None:
    data = next(SYMBOLS.glob("linux_inline/*/linux_inline.sym")).read_bytes()
    assert not data.endswith(b"\n")
    info = parse_sym(data).lookup(0x161B6)
    assert info is not None and info.function_offset == 0x15B30
    assert [(i.function, i.file, i.line) for i in info.inlines] == [
        ("func()", "linux_inline.cpp", 27),
        ("bar()", "c.cpp", 32),
        ("foo()", "b.cpp", 39),
    ]
    assert (info.function, info.file, info.line) == ("main", "a.cpp", 42)


def test_malformed_records_are_skipped_not_fatal() -> None:
    data = (
        b"MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 game\n"
        b"FILE 0 game.cpp\nFILE zz broken.cpp\n"
        b"FUNC 1000 20 0 Game::tick()\n1000 10 12 0\nnot a line record\n1010 10 14 0\n"
        b"FUNC nothex 20 0 broken\nPUBLIC 2000 0 Game::render\nSTACK WIN 4 zz\n"
    )
    sym = parse_sym(data)
    assert sym.skipped >= 2
    assert (sym.lookup(0x1012).function, sym.lookup(0x1012).line) == ("Game::tick()", 14)  # type: ignore[union-attr]
    assert sym.lookup(0x2004).public  # type: ignore[union-attr]
    with pytest.raises(MinidumpError, match="MODULE"):
        parse_sym(b"FUNC 1000 20 0 x\n")


def test_stack_cfi_rules_recover_the_caller() -> None:
    callee = Context("amd64", {"rip": 0x1010, "rsp": 0x8000, "rbp": 0x9000, "rbx": 7})
    memory = {0x8008: 0x4242, 0x8000: 0x9100}
    rules = [".cfa: $rsp 8 + .ra: .cfa -8 + ^", ".cfa: $rsp 16 + $rbp: .cfa -16 + ^"]
    caller = caller_by_cfi(callee, rules, memory.get)
    assert caller is not None
    assert (caller.ip, caller.sp, caller.get("rbp"), caller.get("rbx")) == (0x4242, 0x8010, 0x9100, 7)
    assert caller_by_cfi(callee, [".cfa: $rsp 8 + .ra: .cfa 0 / ^"], memory.get) is None  # divide by zero
    assert caller_by_cfi(callee, [".cfa: $rsp 8 +"], memory.get) is None  # no return address rule


def test_stack_win_program_string() -> None:
    sym = parse_sym(
        b"MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 game.pdb\n"
        b"STACK WIN 4 1000 50 4 0 8 4 10 0 1 $T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =\n"
    )
    record = sym.win_record(0x1020)
    assert record is not None and record.parameter_size == 8
    callee = Context("x86", {"eip": 0x401020, "esp": 0x12FF00, "ebp": 0x12FF40})
    memory = {0x12FF44: 0x401500, 0x12FF40: 0x12FF80}
    caller = caller_by_win(callee, record, memory.get, 0, True)
    assert caller is not None
    assert (caller.ip, caller.sp, caller.get("ebp")) == (0x401500, 0x12FF48, 0x12FF80)


@settings(max_examples=120, deadline=None)
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    b"FUNC",
                    b"FUNC m",
                    b"PUBLIC",
                    b"STACK CFI INIT",
                    b"STACK CFI",
                    b"STACK WIN 4",
                    b"INLINE",
                    b"INLINE_ORIGIN",
                    b"FILE",
                    b"1000",
                ]
            ),
            st.binary(max_size=12),
        ).flatmap(
            lambda head: st.tuples(
                st.just(head), st.lists(st.text("0123456789abcdef $.:+-^=@", max_size=6), max_size=14)
            )
        ),
        max_size=40,
    ),
    probes=st.lists(st.integers(0, 0x3000), min_size=1, max_size=10),
)
def test_garbage_records_never_raise(lines: list[tuple[bytes, list[str]]], probes: list[int]) -> None:
    body = b"\n".join(head + b" " + " ".join(words).encode() for head, words in lines)
    sym = parse_sym(b"MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 game.pdb\n" + body)
    callee = Context("x86", {"eip": 0x401000, "esp": 0x1000, "ebp": 0x1010, "ebx": 0})
    for offset in probes:
        sym.lookup(offset)
        if (rules := sym.cfi_rules(offset)) is not None:
            caller_by_cfi(callee, rules, {}.get)
        if (record := sym.win_record(offset)) is not None:
            caller_by_win(callee, record, {}.get, 0, True)
