"""`mg chat` in a real terminal (pexpect) against a real gateway process.

Test keys get the offline sandbox; live keys go to a stand-in upstream that streams one word
every 0.1 s, so a reply visibly arrives in pieces and can be interrupted half-way.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import ROOT, mg_executable
from tests.support.slow_upstream import SlowUpstream, gateway_with_upstream
from tests.support.terminal import Terminal, plain, terminal_env

WORDS = 30


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, SlowUpstream]]:
    with gateway_with_upstream(tmp_path_factory.mktemp("gw-repl"), words=WORDS, delay=0.1) as pair:
        yield pair


@pytest.fixture(scope="module")
def keys(stack: tuple[GatewayProcess, SlowUpstream]) -> dict[str, str]:
    gateway = stack[0]
    return {
        "test": gateway.create_key(tier="studio")["api_key"],
        "live": gateway.create_key(tier="studio", live=True)["api_key"],
    }


def chat(gateway: GatewayProcess, key: str, *args: str, **env: str) -> Terminal:
    full = terminal_env(os.environ)
    full.update(MG_BASE_URL=gateway.url, MG_API_KEY=key, PYTHONPATH=str(ROOT), **env)
    return Terminal.spawn([mg_executable(), "chat", *args], full)


def test_conversation_with_an_npc_and_slash_commands(
    stack: tuple[GatewayProcess, SlowUpstream], keys: dict[str, str], tmp_path: Path
) -> None:
    gateway, _ = stack
    term = chat(gateway, keys["test"], "--npc", "blacksmith_01", "--template", "merchant")
    try:
        term.expect("Talking to blacksmith_01 \\(merchant\\)")
        term.expect("offline sandbox")
        term.expect_prompt()
        term.send_line("Hello there, smith")
        term.expect("blacksmith_01")
        term.expect_prompt()
        assert len(term.output_since_last_match().strip()) > 10, term.screen_log()

        term.send_line("/help")
        term.expect("/template")
        term.expect_prompt()
        term.send_line("/model")
        term.expect("model: deepseek-chat")
        term.expect_prompt()
        listed = term.output_since_last_match()
        assert "gpt-4o-mini" in listed and "text-embedding" not in listed, listed
        term.send_line("/model gpt-4o-mini")
        term.expect("model: gpt-4o-mini")
        term.expect_prompt()
        term.send_line("/model no-such-model")
        term.expect("cannot use a model named 'no-such-model'")
        term.expect_prompt()
        term.send_line("/system Speak in rhymes.")
        term.expect("system: Speak in rhymes.")
        term.expect_prompt()
        term.send_line("/template")
        term.expect(r"\* merchant")
        term.expect_prompt()
        # No --player: the NPC's own thread, whose state is world state, and /state says so.
        term.send_line('/state gold=5 quest="find ore"')
        term.expect(r"set world state \(every player sees it\) on thread thr_")
        term.expect('"quest": "find ore"')
        term.expect_prompt()
        term.send_line("/state")
        term.expect("game state of thread thr_")
        term.expect('"gold": 5')
        term.expect_prompt()
        term.send_line("/state player gold=6")
        term.expect("its state is world state")
        term.expect_prompt()
        transcript = tmp_path / "talk.md"
        term.send_line(f"/save {transcript}")
        term.expect("Saved 2 messages")
        term.expect_prompt()
        assert "**you:** Hello there, smith" in transcript.read_text()
        term.send_line("/clear")
        term.expect("Conversation cleared here; the NPC's thread on the gateway keeps its memory.")
        term.expect_prompt()
        term.send_line("/npc innkeeper_02")
        term.expect("npc: innkeeper_02; a new conversation starts.")
        term.expect_prompt()
        term.send_line("/frobnicate")
        term.expect("unknown command /frobnicate")
        term.expect_prompt()
        term.child.sendeof()
        assert term.wait() == 0
    finally:
        term.close()


def test_state_world_and_player_from_a_players_conversation(
    stack: tuple[GatewayProcess, SlowUpstream], keys: dict[str, str]
) -> None:
    gateway, _ = stack
    term = chat(gateway, keys["test"], "--npc", "ferryman_03", "--player", "p42")
    try:
        term.expect_prompt()
        term.send_line("Hello, ferryman")
        term.expect_prompt()
        term.send_line("/state gold=12")
        term.expect(r"set player state \(this player's thread only\) on thread thr_")
        term.expect('"gold": 12')
        term.expect_prompt()
        term.send_line("/state world river=flooded")
        term.expect(r"set world state \(every player sees it\) on thread thr_")
        term.expect('"river": "flooded"')
        term.expect_prompt()
        term.send_line("/state")
        term.expect(r"world state \(every player sees it\):")
        term.expect('"river": "flooded"')
        term.expect(r"player state \(this player's thread only\):")
        term.expect('"gold": 12')
        term.expect_prompt()
        term.send_line("/state world")
        term.expect("needs what to set")
        term.expect_prompt()
        term.child.sendeof()
        assert term.wait() == 0
    finally:
        term.close()
    with gateway.client(keys["test"]) as http:
        threads = http.get("/v1/threads", params={"npc_id": "ferryman_03"}).json()["data"]
        other = http.post(
            "/v1/chat/completions",
            json={"model": "deepseek-chat", "messages": [{"role": "user", "content": "Hi"}],
                  "npc_id": "ferryman_03", "player_id": "p7"},
        ).json()["thread_id"]  # fmt: skip
        seen = http.get(f"/v1/threads/{other}/state").json()
    assert sorted(t["player_id"] or "" for t in threads) == ["", "p42"]
    assert (seen["state"], seen["world_state"]) == ({}, {"river": "flooded"}), "p42's gold stays with p42"


def test_save_keeps_the_actions_the_npc_took(
    stack: tuple[GatewayProcess, SlowUpstream], keys: dict[str, str], tmp_path: Path
) -> None:
    gateway, _ = stack
    term = chat(
        gateway, keys["test"], "--npc", "blacksmith_01", "--template", "merchant", "--player", "saver"
    )
    try:
        term.expect_prompt()
        term.send_line("What do you sell? Show me your wares.")
        term.expect("blacksmith_01")
        term.expect_prompt()
        seen = re.findall(r"→ action (\w+) (\{.*\})", term.output_since_last_match())
        assert seen, f"the merchant acts on a question about wares:\n{term.screen_log()}"
        term.send_line(f"/save {tmp_path / 'talk.md'}")
        term.expect("Saved 2 messages")
        term.expect_prompt()
        term.send_line(f"/save {tmp_path / 'talk.json'}")
        term.expect("Saved 2 messages")
        term.expect_prompt()
        term.child.sendeof()
        assert term.wait() == 0
    finally:
        term.close()
    transcript = (tmp_path / "talk.md").read_text()
    for name, args in seen:
        assert f"- *blacksmith_01 acts:* `{name}` `{args}`" in transcript, transcript
    saved = json.loads((tmp_path / "talk.json").read_text())
    reply = saved["messages"][-1]
    assert reply["role"] == "assistant"
    calls = [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in reply["tool_calls"]]
    assert calls == [(name, json.loads(args)) for name, args in seen]


def test_group_scene_names_each_speaker_and_as_switches_who_speaks(
    stack: tuple[GatewayProcess, SlowUpstream], keys: dict[str, str]
) -> None:
    gateway, _ = stack
    npcs = [{"npc_id": "aldric", "name": "Aldric"}, {"npc_id": "mira", "name": "Mira"}]
    with gateway.client(keys["test"]) as http:
        scene = http.post("/v1/threads/group", json={"npcs": npcs, "player_id": "hero"}).json()["id"]
    term = chat(gateway, keys["test"], "--group", scene, "--as", "mira")

    def speaker() -> str:
        """The name a reply is shown under (a styled line of its own before the reply)."""
        term.expect(r"\x1b\[[\d;]*m(Aldric|Mira)\x1b\[0m")
        name = term.child.match.group(1)
        term.expect_prompt()
        assert len(term.output_since_last_match().strip()) > 5, term.screen_log()
        return name

    try:
        term.expect(f"Talking to scene {scene}")
        term.expect("In the scene: Aldric, Mira. Speaking next: Mira")
        term.expect_prompt()
        term.send_line("What happened here?")
        assert speaker() == "Mira"

        term.send_line("/as Aldric")
        term.expect("speaking next: Aldric")
        term.expect_prompt()
        term.send_line("Any sign of the raiders?")
        assert speaker() == "Aldric"

        term.send_line("/as vex")
        term.expect("'vex' is not in scene")
        term.expect_prompt()
        term.send_line("/npc vex")
        term.expect("does not apply in a group scene")
        term.expect_prompt()
        term.send_line("/as auto")
        term.expect("speaking next: whoever you address")
        term.expect_prompt()
        term.send_line("/next")  # nobody addressed: whoever has waited longest, Mira
        assert speaker() == "Mira"
        term.child.sendeof()
        assert term.wait() == 0
    finally:
        term.close()
    with gateway.client(keys["test"]) as http:
        stored = http.get(f"/v1/threads/{scene}/messages").json()["data"]
    assert [(m["role"], m["name"]) for m in stored] == [
        ("user", "hero"),
        ("assistant", "mira"),
        ("user", "hero"),
        ("assistant", "aldric"),
        ("assistant", "mira"),
    ]


def test_reply_streams_in_pieces_and_ctrl_c_stops_it_not_the_session(
    stack: tuple[GatewayProcess, SlowUpstream], keys: dict[str, str]
) -> None:
    gateway, upstream = stack
    term = chat(gateway, keys["live"])
    try:
        term.expect_prompt()
        before = len(upstream.events)
        term.send_line("Tell me everything")
        term.expect("tok02")
        assert SlowUpstream.word(WORDS - 1) not in plain(term.log.getvalue()), "the reply arrives in pieces"
        term.expect("tok05")
        term.child.sendintr()
        term.expect("reply cancelled")
        term.expect_prompt()
        assert upstream.wait_for("disconnected"), (
            f"the gateway kept the upstream call open: {upstream.events}"
        )
        assert upstream.events[before:] == ["start", "disconnected"]

        # The session goes on; a message of two lines (trailing backslash) gets a whole reply.
        term.child.send("One more\\\r")
        term.expect(r"\.\.\.")
        term.send_line("with two lines")
        term.expect(SlowUpstream.word(WORDS - 1))
        term.expect_prompt()
        messages = upstream.requests[-1]["messages"]
        assert messages[-1] == {"role": "user", "content": "One more\nwith two lines"}
        assert messages[0] == {"role": "user", "content": "Tell me everything"}
        assert messages[1]["role"] == "assistant" and messages[1]["content"].startswith("tok00 tok01")
        assert SlowUpstream.word(WORDS - 1) not in messages[1]["content"], (
            "the cut reply is kept as it was seen"
        )
        term.child.sendeof()
        assert term.wait() == 0
    finally:
        term.close()


def test_history_survives_sessions(stack: tuple[GatewayProcess, SlowUpstream], keys: dict[str, str]) -> None:
    gateway, _ = stack
    first = chat(gateway, keys["live"])
    try:
        first.expect_prompt()
        first.send_line("remember this line")
        # Typed while the reply streams (once it has begun: on a busy machine a key sent sooner
        # can reach the line editor before the prompt has returned): kept for the next prompt,
        # which it ends.
        first.expect(SlowUpstream.word(0))
        first.child.sendeof()
        first.expect(SlowUpstream.word(WORDS - 1))
        assert first.wait() == 0
    finally:
        first.close()
    second = chat(gateway, keys["test"])
    try:
        second.expect_prompt()
        second.child.send("\x1b[A")  # up arrow
        second.expect("remember this line")
        second.child.sendintr()  # clears the line, keeps the session
        second.send_line("/clear")
        second.expect("Conversation cleared.")
        second.expect_prompt()
        second.child.sendeof()
        assert second.wait() == 0
    finally:
        second.close()


def test_one_shot_in_a_terminal_and_ctrl_c_exits_130(
    stack: tuple[GatewayProcess, SlowUpstream], keys: dict[str, str]
) -> None:
    gateway, upstream = stack
    term = chat(gateway, keys["live"], "Stream it")
    try:
        term.expect("tok01")
        term.child.sendintr()
        assert term.wait() == 130
        assert upstream.wait_for("disconnected")
    finally:
        term.close()


def test_json_one_shot_in_a_terminal(
    stack: tuple[GatewayProcess, SlowUpstream], keys: dict[str, str]
) -> None:
    gateway, _ = stack
    term = chat(gateway, keys["test"], "--json", "hi")
    try:
        assert term.wait() == 0
        body = plain(term.log.getvalue())
        assert json.loads(body[body.index("{") :])["object"] == "chat.completion"
    finally:
        term.close()


def test_login_prompts_with_hidden_input(
    stack: tuple[GatewayProcess, SlowUpstream], keys: dict[str, str]
) -> None:
    gateway, _ = stack
    env = terminal_env(os.environ)
    env.update(PYTHONPATH=str(ROOT))
    term = Terminal.spawn([mg_executable(), "login", "--profile", "lan", "--base-url", gateway.url], env)
    try:
        term.expect("input is hidden")
        term.send_line(keys["test"])
        term.expect("Logged in to 'lan'")
        assert term.wait() == 0
        assert keys["test"] not in term.log.getvalue(), "the key was echoed"
    finally:
        term.close()
