"""Prompt assembly: what is new in a request, the window, the seat a group NPC sees from."""

from __future__ import annotations

from datetime import UTC, datetime

from local_gateway.services.npc import prompt
from local_gateway.services.npc.actions import normalize_actions
from local_gateway.services.npc.summary import ExtractiveSummarizer
from local_gateway.services.npc.templates import load_templates
from local_gateway.store.thread_records import MessageRecord

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def rec(seq: int, role: str, content: str | None, name: str | None = None, **kw: object) -> MessageRecord:
    return MessageRecord(
        f"msg_{seq}", "thr", seq, role, name, content, kw.get("tool_calls"), kw.get("tool_call_id"), None, NOW
    )  # type: ignore[arg-type]


STORED = [
    rec(1, "user", "hi"),
    rec(2, "assistant", "hello"),
    rec(3, "user", "a sword?"),
    rec(4, "assistant", "40 gold"),
]


def test_only_the_new_message_is_new() -> None:
    assert prompt.new_turns([{"role": "user", "content": "deal"}], STORED) == [
        {"role": "user", "content": "deal"}
    ]


def test_a_resent_conversation_adds_only_what_follows_the_stored_part() -> None:
    sent = [
        {"role": "system", "content": "You are Borin."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "a sword?"},
        {"role": "assistant", "content": "40 gold"},
        {"role": "user", "content": "deal"},
    ]
    assert prompt.new_turns(sent, STORED) == [{"role": "user", "content": "deal"}]


def test_a_resent_conversation_longer_than_the_window_still_aligns() -> None:
    sent = [{"role": "user", "content": "long ago"}, {"role": "assistant", "content": "indeed"}]
    sent += [{"role": m.role, "content": m.content} for m in STORED] + [{"role": "user", "content": "deal"}]
    assert prompt.new_turns(sent, STORED[2:]) == [{"role": "user", "content": "deal"}]


def test_group_history_from_one_npcs_seat() -> None:
    history = [
        rec(1, "user", "Who stole the crown?", "p1"),
        rec(2, "assistant", "Not I.", "mira"),
        rec(3, "assistant", "I saw a shadow.", "aldric"),
    ]
    labels = {"mira": "Mira", "aldric": "Aldric", "p1": "Player"}
    seen = prompt.render(history, viewer="aldric", labels=labels, player_label="Player")
    assert seen == [
        {"role": "user", "content": "Player: Who stole the crown?"},
        {"role": "user", "content": "Mira: Not I."},
        {"role": "assistant", "content": "I saw a shadow."},
    ]


def test_unanswered_action_gets_a_placeholder_result() -> None:
    calls = [{"id": "c1", "type": "function", "function": {"name": "open_shop", "arguments": "{}"}}]
    history = [
        rec(1, "user", "open up"),
        rec(2, "assistant", None, tool_calls=calls),
        rec(3, "user", "thanks"),
    ]
    seen = prompt.render(history, viewer=None, labels={}, player_label="Player")
    assert [m["role"] for m in seen] == ["user", "assistant", "tool", "user"]
    assert seen[2]["tool_call_id"] == "c1"


def test_fit_keeps_the_newest_messages() -> None:
    kept = prompt.fit(STORED, budget=prompt.message_tokens(STORED[-1]) + prompt.message_tokens(STORED[-2]))
    assert [m.seq for m in kept] == [3, 4]


def test_system_prompt_puts_state_last_as_json() -> None:
    template = load_templates().get("merchant")
    profile = prompt.NpcProfile("borin", "Borin", template, "You are a dwarf.", None)
    text = prompt.compose_system(
        profile, scene_prompt=None, instructions=[], style="terse", state={"gold": 5}, summary="Player: hi",
        recalled=["Player: my sister Elowen"], roster=None, player_label="Player", actions=["open_shop"],
    )  # fmt: skip
    assert text.index("market town") < text.index("You are a dwarf.") < text.index("Your name is Borin.")
    assert "one short sentence" in text and "Elowen" in text
    assert text.endswith('Game state:\n{"gold": 5}')


async def test_extractive_fold_stays_within_budget() -> None:
    history = [
        rec(i, "user" if i % 2 else "assistant", f"Line {i} about the dragon and {i} gold coins.")
        for i in range(1, 200)
    ]
    fold = await ExtractiveSummarizer().fold("", history, lambda m: m.role, budget_tokens=120)
    from local_gateway.providers import tokens

    assert tokens.count_text(fold.text) <= 120 + len(fold.text.splitlines())
    assert "Line 199" in fold.text and "Line 1 " not in fold.text
    assert fold.archived == [], "extractive lines are the exchanges' own words, already recallable"


def test_templates_are_complete() -> None:
    library = load_templates()
    ids = {t.id for t in library.list()}
    assert {"merchant", "quest_giver", "guard", "villain", "healer", "companion"} <= ids
    for t in library.list():
        assert t.name and t.tags and t.system_prompt and t.actions and t.example.get("reply")
        assert t.response_style in prompt.STYLE_GUIDANCE
        normalize_actions(t.actions)
    assert [t.id for t in library.list(["boss"])] == ["villain"]
