"""Slash commands against gateways that do not have the NPC routes (yet): one clear line each."""

from __future__ import annotations

import httpx
import pytest

from mg.cli._conversation import ChatSettings, Conversation, parse_state
from mg.cli._repl import Repl
from mg.cli._state_view import split_scope
from mg.client import MonsterClient


def repl_without_npc_routes() -> Repl:
    def handler(request: httpx.Request) -> httpx.Response:
        message = f"No route for {request.method} {request.url.path}."
        return httpx.Response(
            404, json={"error": {"type": "not_found", "code": "NOT_FOUND", "message": message}}
        )

    client = MonsterClient(
        "mg_test_x", "http://gw.test", transport=httpx.MockTransport(handler), max_retries=0
    )
    settings = ChatSettings(model="deepseek-chat", npc_id="blacksmith_01", template="merchant")
    return Repl(Conversation(client, settings), banner="")


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("/template", "no NPC templates yet"),
        ("/template villain", "cannot list NPC templates yet"),
        ("/state", "no NPC threads yet"),
        ("/state gold=5", "no NPC threads yet"),
    ],
)
def test_missing_npc_routes_degrade_to_one_line(
    line: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repl = repl_without_npc_routes()
    assert repl.slash(line) is True, "the session goes on"
    err = capsys.readouterr().err
    assert said in err and "error" not in err and len(err.strip().splitlines()) <= 2


def test_state_scope_word() -> None:
    assert split_scope("world gold=12") == ("world", "gold=12")
    assert split_scope("Player  gold=12") == ("player", "gold=12")
    assert split_scope("gold=12") == (None, "gold=12") and split_scope("worldly=1") == (None, "worldly=1")


def test_state_arguments() -> None:
    assert parse_state('gold=5 quest="find ore" open=true') == {"gold": 5, "quest": "find ore", "open": True}
    assert parse_state('{"inventory": ["sword"]}') == {"inventory": ["sword"]}
    with pytest.raises(ValueError):
        parse_state("gold")


def test_npc_turns_send_only_the_new_words() -> None:
    repl = repl_without_npc_routes()
    conv = repl.conv
    conv.history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Aye"}]
    assert conv.request("more")["messages"] == [{"role": "user", "content": "more"}]
    conv.settings.npc_id = conv.settings.template = None
    assert len(conv.request("more")["messages"]) == 3, "a plain model gets the whole conversation"
