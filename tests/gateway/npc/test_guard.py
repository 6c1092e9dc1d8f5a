"""Staying in character: fourth-wall breaks, speaking for others, stage directions."""

from __future__ import annotations

import pytest

from local_gateway.services.npc.guard import DialogueFilter, breaks_character, clean_reply

ACTIONS = {"open_shop", "offer_trade", "give_quest"}


def whole(text: str) -> tuple[str, list[str], bool]:
    return clean_reply(text, own={"Borin", "smith"}, foreign={"Player", "Mira"}, actions=ACTIONS)


def streamed(text: str, size: int) -> str:
    filt = DialogueFilter(own={"Borin"}, foreign={"Player", "Mira"}, actions=ACTIONS, check_opening=False)
    out = "".join(filt.feed(text[i : i + size]) for i in range(0, len(text), size))
    return out + filt.finish()


@pytest.mark.parametrize(
    "text",
    [
        "As an AI language model, I cannot sell swords.",
        "I'm just an AI, friend.",
        "Sorry, I am a large language model trained by OpenAI.",
    ],
)
def test_fourth_wall_breaks_are_caught(text: str) -> None:
    assert breaks_character(text)


def test_in_world_words_are_not_breaks() -> None:
    assert not breaks_character("The model ship in my window? My late father carved it.")


def test_reply_stops_where_another_speaker_begins() -> None:
    text, _, cut = whole("Fine steel, this.\nPlayer: I'll take it!\nBorin: Good choice.")
    assert cut and text == "Fine steel, this."


def test_own_label_is_dropped() -> None:
    text, _, cut = whole("Borin: Welcome to my forge.")
    assert text == "Welcome to my forge." and not cut


def test_stage_direction_naming_an_action_is_not_read_out() -> None:
    text, named, _ = whole("*opens the shop* Have a look at my wares. *smiles broadly*")
    assert text == "Have a look at my wares. *smiles broadly*"
    assert named == ["open_shop"]


def test_directions_in_brackets_and_parentheses() -> None:
    text, named, _ = whole("Here. [give_quest] (offers a trade) Go well.")
    assert "give_quest" not in text and "trade" not in text
    assert named == ["give_quest", "offer_trade"]


@pytest.mark.parametrize("size", [1, 3, 7, 50])
def test_stream_filter_gives_the_same_text_in_any_chunking(size: int) -> None:
    text = "Borin: Ha! *opens the shop* Look here, friend. *grins*\nFine blades.\nMira: He lies!"
    assert streamed(text, size) == whole(text)[0] == "Ha! Look here, friend. *grins*\nFine blades."


def test_opening_break_is_flagged_before_anything_is_sent() -> None:
    filt = DialogueFilter(own={"Borin"}, foreign={"Player"}, actions=set())
    sent = filt.feed("As an AI language model, ") + filt.feed("I cannot help. ")
    assert sent == "" and filt.broken


def test_stream_flows_after_the_first_sentence() -> None:
    filt = DialogueFilter(own={"Borin"}, foreign={"Player"}, actions=set())
    assert filt.feed("Welcome, traveller. ") == "Welcome, traveller. "
    assert filt.feed("The forge ") == "The forge "
