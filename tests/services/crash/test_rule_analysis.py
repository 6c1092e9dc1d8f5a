"""The rule-based analyser on the fixture dumps and on inline stack traces."""

from __future__ import annotations

import pytest

from local_gateway.services.debug.crash import ProcessedCrash, analyze_crash, analyze_stack_trace


@pytest.mark.parametrize(
    "name, category",
    [
        ("windows-x86-test_app.dmp", "null_pointer"),
        ("windows-x86-crash.dmp", "null_pointer"),
        ("linux-amd64-crash.dmp", "null_pointer"),
        ("macos-amd64-crash.dmp", "null_pointer"),
        ("linux-amd64-crashpad-linux_inline.dmp", "illegal_instruction"),
        ("macos-amd64-crashpad-simple.dmp", "abort"),
    ],
)
def test_fixture_dumps(processed: dict[str, ProcessedCrash], name: str, category: str) -> None:
    analysis = analyze_crash(processed[name], engine="unreal")
    assert analysis.category == category
    assert analysis.method == "rule-based"
    text = analysis.to_markdown()
    assert text.startswith("**Root Cause:**") and "Rule-based analysis" in text
    assert analysis.fix_suggestion and analysis.prevention and analysis.evidence


def test_null_access_names_the_crashing_function(processed: dict[str, ProcessedCrash]) -> None:
    analysis = analyze_crash(processed["windows-x86-test_app.dmp"])
    assert "CrashFunction" in analysis.root_cause
    assert "0x45" in analysis.evidence[0]
    assert analysis.severity == "high"


@pytest.mark.parametrize(
    "frames, category",
    [
        (["Enemy::Think", "Enemy::Think", "AI::Update"] * 4, "stack_overflow"),
        (["EXCEPTION_STACK_OVERFLOW", "Parser::Parse"], "stack_overflow"),
        (["Inventory::Get SIGSEGV at 0xdddddddd", "UI::Draw"], "use_after_free"),
        (["Inventory::Get EXCEPTION_ACCESS_VIOLATION 0xfeeefeee"], "use_after_free"),
        (["Actor::Tick SIGSEGV 0xcdcdcdd1"], "uninitialized_memory"),
        (["Player::GetWeapon nullptr dereference"], "null_pointer"),
        (["libc.so.6!abort", "game!__assert_fail", "game!Level::Load"], "abort"),
        (["std::__throw_bad_alloc()", "operator new(unsigned long)", "Mesh::Load"], "out_of_memory"),
        (["Math::Fast SIGILL / ILL_ILLOPN"], "illegal_instruction"),
        (["Stats::Average SIGFPE / FPE_INTDIV"], "divide_by_zero"),
        (["GameEngine::Update", "Physics::Step", "CollisionCheck::SIGSEGV"], "invalid_access"),
        (["Menu::Open", "Game::Run"], "unknown"),
    ],
)
def test_inline_stack_traces(frames: list[str], category: str) -> None:
    analysis = analyze_stack_trace(frames, platform="windows", engine="unreal", question="Why level 3?")
    assert analysis.category == category
    assert "Why level 3?" in analysis.to_markdown()


def test_signal_suffix_marks_the_crash_site() -> None:
    analysis = analyze_stack_trace(["GameEngine::Update", "Physics::Step", "CollisionCheck::SIGSEGV"])
    assert analysis.root_cause.startswith("CollisionCheck ")


def test_scanned_noise_is_not_recursion(processed: dict[str, ProcessedCrash]) -> None:
    # linux_inline's scanned frames repeat ld-linux addresses 30 times; that is not an overflow.
    analysis = analyze_crash(processed["linux-amd64-crashpad-linux_inline.dmp"])
    assert analysis.category == "illegal_instruction"
