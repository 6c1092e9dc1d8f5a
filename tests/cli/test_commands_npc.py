"""`mg threads`, `mg npc` and NPC chats as a user runs them: new `mg` processes, `--json` checked.

The gateway runs once on SQLite and once on PostgreSQL (threads are storage). Its ``deepseek``
provider is a local stand-in, so a live key's request shows what the model was given: that is
how a second `mg chat` run is seen to know the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import Result, run_mg
from tests.support.slow_upstream import SlowUpstream, gateway_with_upstream

ANSI = re.compile(r"\x1b\[")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, SlowUpstream]]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    data_dir = tmp_path_factory.mktemp(f"gw-npc-cli-{request.param}")
    with gateway_with_upstream(data_dir, url, words=6, delay=0.0) as pair:
        yield pair


@pytest.fixture(scope="module")
def gateway(stack: tuple[GatewayProcess, SlowUpstream]) -> GatewayProcess:
    return stack[0]


@pytest.fixture
def key(gateway: GatewayProcess) -> str:
    """A developer of each test's own, so listings see only that test's threads."""
    return gateway.create_key(tier="studio")["api_key"]


@pytest.fixture
def env(gateway: GatewayProcess, key: str) -> dict[str, str]:
    return {"MG_BASE_URL": gateway.url, "MG_API_KEY": key}


def ok(result: Result) -> Result:
    """Exit 0, and what every command owes a script: no colour codes off a terminal, no traceback."""
    assert result.code == 0, result
    text = result.out + result.err
    assert not ANSI.search(text) and "Traceback" not in text, str(result)
    return result


def new_thread(env: dict[str, str], *args: str) -> str:
    return ok(run_mg("threads", "create", "--json", *args, **env)).json()["id"]


# --- threads: create, list, show, rm -----------------------------------------------------------------


def test_create_show_list_and_rm(env: dict[str, str]) -> None:
    created = run_mg(
        "threads", "create", "--npc", "blacksmith_01", "--template", "merchant", "--player", "p1",
        "--system", "A grumpy dwarf.", "--style", "terse",
        "-m", "location=Iron Forge", "-m", "level=3", "-m", '{"faction": "dwarves"}', "--json", **env,
    )  # fmt: skip
    thread = ok(created).json()
    assert thread["id"].startswith("thr_") and thread["type"] == "single"
    assert (thread["npc_id"], thread["player_id"], thread["npc_template"]) == (
        "blacksmith_01",
        "p1",
        "merchant",
    )
    assert (thread["system_prompt"], thread["response_style"]) == ("A grumpy dwarf.", "terse")
    assert thread["metadata"] == {"location": "Iron Forge", "level": 3, "faction": "dwarves"}

    plain = ok(run_mg("threads", "create", "--npc", "innkeeper_01", **env))
    assert re.fullmatch(r"thr_\w+\n", plain.out), "for `id=$(mg threads create …)`: the id alone"
    assert "Created thread" in plain.err

    shown = ok(run_mg("threads", "show", thread["id"], "--json", **env)).json()
    assert shown["message_count"] == 0 and shown["memory"]["memories"] == 0
    table = ok(run_mg("threads", "show", thread["id"], **env)).out
    assert "metadata\t" in table and "template\tmerchant" in table

    listed = ok(run_mg("threads", "list", "--json", **env)).json()
    assert [t["id"] for t in listed["data"]] == [plain.out.strip(), thread["id"]], "newest first"
    assert (listed["has_more"], listed["next_before"]) == (False, None)
    only = ok(run_mg("threads", "list", "--npc", "blacksmith_01", "--player", "p1", "--json", **env)).json()
    assert [t["id"] for t in only["data"]] == [thread["id"]]
    assert ok(run_mg("threads", **env)).out.split("\t")[0] == plain.out.strip(), "`mg threads` lists"

    bad = run_mg("threads", "create", "--npc", "x", "-m", "nokey", **env)
    assert bad.code == 2 and "--metadata" in bad.err
    unknown = run_mg("threads", "create", "--npc", "x", "--template", "wizard", **env)
    assert unknown.code == 1 and "npc_template" in unknown.err

    removed = ok(run_mg("threads", "rm", thread["id"], "--json", **env)).json()
    assert removed == {"id": thread["id"], "object": "thread.deleted", "deleted": True}, "no prompt off a TTY"
    gone = run_mg("threads", "show", thread["id"], **env)
    assert gone.code == 4 and "error: " in gone.err and "hint: " in gone.err
    assert run_mg("threads", "rm", thread["id"], **env).code == 4


def test_list_pages_with_a_cursor(env: dict[str, str]) -> None:
    ids = [new_thread(env, "--npc", "pager", "--player", f"p{i}") for i in range(3)]
    first = ok(run_mg("threads", "list", "--npc", "pager", "--limit", "2", "--json", **env)).json()
    assert [t["id"] for t in first["data"]] == ids[:0:-1] and first["has_more"] is True
    assert first["next_before"] == ids[1]
    rest = run_mg("threads", "list", "--npc", "pager", "--before", first["next_before"], "--json", **env)
    assert [t["id"] for t in ok(rest).json()["data"]] == [ids[0]]
    piped = ok(run_mg("threads", "list", "--npc", "pager", "--limit", "2", **env))
    assert [line.split("\t")[0] for line in piped.out.splitlines()] == ids[:0:-1]
    assert f"more: mg threads list --npc pager --limit 2 --before {ids[1]}" in piped.err
    assert run_mg("threads", "list", "--limit", "500", **env).code == 2


# --- chat continues the thread -------------------------------------------------------------------


def test_chat_with_npc_and_player_continues_the_same_thread(
    gateway: GatewayProcess, stack: tuple[GatewayProcess, SlowUpstream]
) -> None:
    upstream = stack[1]
    live = {"MG_BASE_URL": gateway.url, "MG_API_KEY": gateway.create_key(tier="studio", live=True)["api_key"]}
    who = ("--npc", "smith_cont", "--player", "hild", "--template", "merchant")
    first = ok(run_mg("chat", *who, "My name is Hild and I lost my hammer.", **live))
    assert first.out.split() == upstream.text().split()
    second = ok(run_mg("chat", *who, "What did I say I lost?", **live))
    assert second.out.strip()

    # The second run's model was given the first run's turn, from the thread the gateway keeps.
    prompt = upstream.requests[-1]["messages"]
    said = [(m["role"], m["content"]) for m in prompt if m["role"] != "system"]
    assert said == [
        ("user", "My name is Hild and I lost my hammer."),
        ("assistant", upstream.text()),
        ("user", "What did I say I lost?"),
    ]
    threads = ok(
        run_mg("threads", "list", "--npc", "smith_cont", "--player", "hild", "--json", **live)
    ).json()
    assert len(threads["data"]) == 1 and threads["data"][0]["message_count"] == 4
    messages = ok(run_mg("threads", "messages", threads["data"][0]["id"], "--json", **live)).json()
    assert [m["content"] for m in messages["data"]][::2] == [said[0][1], said[2][1]]


# --- messages -------------------------------------------------------------------------------------


def test_messages_page_both_ways(gateway: GatewayProcess, env: dict[str, str], key: str) -> None:
    thread_id = new_thread(env, "--npc", "chronicler")
    lines = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"line {i}"} for i in range(5)]
    lines[1]["tool_calls"] = [
        {"id": "c1", "type": "function", "function": {"name": "open_shop", "arguments": "{}"}}
    ]
    with gateway.client(key) as http:
        assert http.post(f"/v1/threads/{thread_id}/messages", json={"messages": lines}).status_code == 200

    page = ok(run_mg("threads", "messages", thread_id, "--limit", "2", "--json", **env)).json()
    assert [m["content"] for m in page["data"]] == ["line 0", "line 1"] and page["has_more"] is True
    assert page["last_id"] == page["data"][-1]["id"]
    after = run_mg("threads", "messages", thread_id, "--after", page["last_id"], "--json", **env)
    assert [m["content"] for m in ok(after).json()["data"]] == ["line 2", "line 3", "line 4"]
    newest = ok(run_mg("threads", "messages", thread_id, "--order", "desc", "--limit", "2", "--json", **env))
    assert [m["content"] for m in newest.json()["data"]] == ["line 4", "line 3"]
    every = ok(run_mg("threads", "messages", thread_id, "--limit", "2", "--all", "--json", **env)).json()
    assert [m["content"] for m in every["data"]] == [f"line {i}" for i in range(5)] and not every["has_more"]
    backwards = run_mg(
        "threads", "messages", thread_id, "--order", "desc", "--limit", "2", "--all", "--json", **env
    )
    assert [m["content"] for m in ok(backwards).json()["data"]] == [f"line {i}" for i in range(4, -1, -1)]

    table = ok(run_mg("threads", "messages", thread_id, "--limit", "2", **env))
    rows = [line.split("\t") for line in table.out.splitlines()]
    assert [r[1:3] for r in rows] == [["player", "line 0"], ["chronicler", "line 1 → open_shop {}"]]
    assert f"--limit 2 --after {page['last_id']}" in table.err
    assert run_mg("threads", "messages", thread_id, "--order", "sideways", **env).code == 2


# --- state and actions ----------------------------------------------------------------------------


def test_state_merge_replace_file_and_stdin(env: dict[str, str], tmp_path: Path) -> None:
    thread_id = new_thread(env, "--npc", "quest_npc")
    assert ok(run_mg("threads", "state", "get", thread_id, "--json", **env)).json()["state"] == {}
    merged = run_mg(
        "threads", "state", "set", thread_id, "quest=talked_to_guard", "reputation=75",
        'inventory=["health_potion", "iron_sword"]', "curse=true", "--json", **env,
    )  # fmt: skip
    assert ok(merged).json()["state"] == {
        "quest": "talked_to_guard",
        "reputation": 75,
        "inventory": ["health_potion", "iron_sword"],
        "curse": True,
    }
    again = ok(run_mg("threads", "state", "set", thread_id, "curse=null", "reputation=80", **env))
    assert "Merged into the world state (every player sees it)" in again.err, "an NPC without a player"
    assert sorted(line.split("\t")[0] for line in again.out.splitlines()) == [
        "inventory",
        "quest",
        "reputation",
    ]
    assert "reputation\t80" in ok(run_mg("threads", "state", thread_id, **env)).out, (
        "`state ID` is `state get ID`"
    )

    save = tmp_path / "save.json"
    save.write_text(json.dumps({"time_of_day": "night"}))
    replaced = run_mg("threads", "state", "set", thread_id, "--file", str(save), "--replace", "--json", **env)
    assert ok(replaced).json()["state"] == {"time_of_day": "night"}
    piped = run_mg("threads", "state", "set", thread_id, "-", "--json", input='{"gold": 5}', **env)
    assert ok(piped).json()["state"] == {"time_of_day": "night", "gold": 5}

    assert run_mg("threads", "state", "set", thread_id, **env).code == 2
    assert run_mg("threads", "state", "set", thread_id, "gold", **env).code == 2
    save.write_text("[1, 2]")
    not_object = run_mg("threads", "state", "set", thread_id, "--file", str(save), **env)
    assert not_object.code == 2 and "JSON object" in not_object.err
    save.write_text('{"gold": ')
    broken = run_mg("threads", "state", "set", thread_id, "--file", str(save), **env)
    assert broken.code == 2 and "line 1, column 10" in broken.err
    assert (
        run_mg("threads", "state", "set", thread_id, "--file", str(tmp_path / "none.json"), **env).code == 4
    )
    assert run_mg("threads", "state", "get", "thr_nope", **env).code == 4


def test_state_scopes_world_and_player(env: dict[str, str]) -> None:
    world = new_thread(env, "--npc", "scope_npc")
    player = new_thread(env, "--npc", "scope_npc", "--player", "p1")
    mine = ok(run_mg("threads", "state", "set", player, "gold=12", **env))
    assert "Merged into the player state (this player's thread only)" in mine.err and "gold\t12" in mine.out
    shared = run_mg("threads", "state", "set", player, "--scope", "world", "bridge=out", "--json", **env)
    answer = ok(shared).json()
    assert (answer["scope"], answer["state"], answer["world_state"]) == (
        "player",
        {"gold": 12},
        {"bridge": "out"},
    )
    assert ok(run_mg("threads", "state", "get", world, "--json", **env)).json()["state"] == {"bridge": "out"}
    shown = ok(run_mg("threads", "state", player, **env))
    assert "world state" in shown.err and "player state" in shown.err
    assert shown.out.splitlines() == ["bridge\tout", "gold\t12"]
    refused = run_mg("threads", "state", "set", world, "--scope", "player", "x=1", **env)
    assert refused.code != 0 and "world state" in refused.err
    assert run_mg("threads", "state", "set", player, "--scope", "everyone", "x=1", **env).code == 2


def test_actions_set_and_get(env: dict[str, str], tmp_path: Path) -> None:
    merchant = new_thread(env, "--npc", "trader", "--template", "merchant")
    from_template = ok(run_mg("threads", "actions", "get", merchant, "--json", **env)).json()
    assert [a["name"] for a in from_template["actions"]] == ["offer_trade", "open_shop"]

    spec = tmp_path / "actions.json"
    spec.write_text(
        json.dumps(
            {
                "actions": [
                    {
                        "name": "give_quest",
                        "description": "Offer the player a quest",
                        "parameters": {
                            "quest_id": {"type": "string"},
                            "difficulty": {"type": "string", "enum": ["easy", "medium", "hard"]},
                        },
                    }
                ]
            }
        )
    )
    elder = new_thread(env, "--npc", "elder")
    registered = ok(run_mg("threads", "actions", "set", elder, str(spec), "--json", **env)).json()
    assert [a["name"] for a in registered["actions"]] == ["give_quest"]
    shown = ok(run_mg("threads", "actions", elder, **env)).out
    assert shown == "give_quest\tquest_id, difficulty\tOffer the player a quest\n"

    copied = run_mg("threads", "actions", "set", elder, "-", "--json", input=json.dumps(from_template), **env)
    assert [a["name"] for a in ok(copied).json()["actions"]] == ["offer_trade", "open_shop"]
    spec.write_text(json.dumps({"actions": [{"name": "bad name"}]}))
    invalid = run_mg("threads", "actions", "set", elder, str(spec), **env)
    assert invalid.code == 1 and "actions[0].name" in invalid.err
    spec.write_text(json.dumps({"npcs": []}))
    assert run_mg("threads", "actions", "set", elder, str(spec), **env).code == 2


# --- batch and export -----------------------------------------------------------------------------


def test_batch_creates_then_updates_and_names_a_bad_entry(env: dict[str, str], tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    npcs: list[dict[str, Any]] = [
        {
            "npc_id": "blacksmith_01",
            "npc_template": "merchant",
            "system_prompt": "You are a grumpy dwarf who specializes in legendary weapons.",
            "metadata": {"location": "Iron Forge", "faction": "dwarves"},
        },
        {"npc_id": "innkeeper_01", "system_prompt": "You are a cheerful innkeeper.", "metadata": {}},
    ]
    world.write_text(json.dumps({"npcs": npcs}))
    first = ok(run_mg("threads", "batch", str(world), "--json", **env)).json()
    assert (first["created"], first["updated"]) == (2, 0)
    assert [(t["npc_id"], t["created"]) for t in first["data"]] == [
        ("blacksmith_01", True),
        ("innkeeper_01", True),
    ]
    npcs[1]["system_prompt"] = "You are a tired innkeeper."
    world.write_text(json.dumps({"npcs": npcs}))
    again = ok(run_mg("threads", "batch", str(world), **env))
    assert [line.split("\t")[3] for line in again.out.splitlines()] == ["updated", "updated"]
    assert "0 created, 2 updated." in again.err
    listed = ok(run_mg("threads", "list", "--json", **env)).json()["data"]
    assert len(listed) == 2, "updated, not duplicated"
    assert (
        next(t for t in listed if t["npc_id"] == "innkeeper_01")["system_prompt"]
        == "You are a tired innkeeper."
    )

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"npcs": [{"npc_id": "scout"}, {"npc_id": "wizard_01", "npc_template": "wizard"}]})
    )
    failed = run_mg("threads", "batch", str(bad), **env)
    assert failed.code == 1, failed
    error, hint = failed.err.splitlines()
    assert error.startswith("error: 'npcs[1].npc_template'") and "INVALID_REQUEST" in error
    assert (
        hint.startswith(f"hint: Fix entry 1 of {bad} (npc_id 'wizard_01')") and "nothing was created" in hint
    )
    assert ok(run_mg("threads", "list", "--npc", "scout", "--json", **env)).json()["data"] == [], (
        "all or nothing"
    )

    piped = run_mg(
        "threads", "batch", "-", "--json", input=json.dumps({"npcs": [{"npc_id": "scout"}]}), **env
    )
    assert ok(piped).json()["created"] == 1
    assert run_mg("threads", "batch", "-", input='{"npcs": [', **env).code == 2
    assert run_mg("threads", "batch", str(tmp_path / "nowhere.json"), **env).code == 4


def test_export_streams_to_stdout_or_a_whole_file(env: dict[str, str], tmp_path: Path) -> None:
    for npc in ("exporter_a", "exporter_b"):
        ok(run_mg("chat", "--npc", npc, "--player", "p1", "Tell me of the northern road.", **env))
    stdout = ok(run_mg("threads", "export", **env))
    examples = [json.loads(line) for line in stdout.out.splitlines()]
    assert len(examples) == 2 and all(e["messages"][-1]["role"] == "assistant" for e in examples)
    one = ok(run_mg("threads", "export", "--npc", "exporter_a", "--no-system", **env)).out.splitlines()
    assert len(one) == 1 and json.loads(one[0])["messages"][0]["role"] == "user"

    target = tmp_path / "out" / "dialogue.jsonl"
    target.parent.mkdir()
    written = ok(run_mg("threads", "export", "-o", str(target), "--json", **env)).json()
    assert written == {"path": str(target), "format": "jsonl", "bytes": target.stat().st_size, "examples": 2}
    assert target.read_text() == stdout.out
    whole = tmp_path / "out" / "threads.json"
    ok(run_mg("threads", "export", "--format", "json", "--player", "p1", "-o", str(whole), **env))
    assert isinstance(json.loads(whole.read_text()), dict | list)

    late = tmp_path / "out" / "late.jsonl"
    refused = run_mg("threads", "export", "--since", "yesterday", "-o", str(late), **env)
    assert refused.code == 1 and "'since'" in refused.err
    assert sorted(p.name for p in target.parent.iterdir()) == ["dialogue.jsonl", "threads.json"], (
        "no half files"
    )
    assert run_mg("threads", "export", "--json", **env).code == 2, "--json describes a file"


# --- group scenes ---------------------------------------------------------------------------------

SCENE = [
    {"npc_id": "aldric", "name": "Aldric", "npc_template": "guard"},
    {"npc_id": "mira", "name": "Mira", "npc_template": "healer"},
]


def new_scene(gateway: GatewayProcess, key: str) -> str:
    with gateway.client(key) as http:
        response = http.post("/v1/threads/group", json={"npcs": SCENE, "player_id": "hero"})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_chat_in_a_group_scene_one_shot(gateway: GatewayProcess, env: dict[str, str], key: str) -> None:
    scene = new_scene(gateway, key)
    mira = ok(run_mg("chat", "--group", scene, "--as", "Mira", "What happened here?", **env))
    assert mira.out.startswith("Mira: ") and len(mira.out) > len("Mira: ") + 5, (
        "the speaker's name, then the line"
    )
    addressed = ok(run_mg("chat", "--group", scene, "Aldric, did you see the raiders?", **env))
    assert addressed.out.startswith("Aldric: "), "without --as, the NPC addressed answers"
    as_json = ok(run_mg("chat", "--group", scene, "--as", "mira", "--json", "Thank you.", **env)).json()
    assert as_json["npc_id"] == "mira" and as_json["choices"][0]["message"]["name"] == "mira"
    stored = ok(run_mg("threads", "messages", scene, "--json", **env)).json()["data"]
    assert [(m["role"], m["name"]) for m in stored] == [
        ("user", "hero"), ("assistant", "mira"), ("user", "hero"), ("assistant", "aldric"),
        ("user", "hero"), ("assistant", "mira"),
    ]  # fmt: skip
    assert stored[0]["content"] == "What happened here?"
    assert "scene: Aldric, Mira" in ok(run_mg("threads", "show", scene, **env)).out

    stranger = run_mg("chat", "--group", scene, "--as", "vex", "hi", **env)
    assert stranger.code == 2 and "present: Aldric (aldric), Mira (mira)" in stranger.err
    single = new_thread(env, "--npc", "lonely")
    not_scene = run_mg("chat", "--group", single, "hi", **env)
    assert not_scene.code == 2 and f"mg chat --thread {single}" in not_scene.err
    assert run_mg("chat", "--as", "mira", "hi", **env).code == 2
    assert run_mg("chat", "--group", scene, "--npc", "mira", "hi", **env).code == 2
    assert run_mg("chat", "--group", "thr_nope", "hi", **env).code == 4


def test_threads_group_starts_a_scene_from_the_terminal(env: dict[str, str]) -> None:
    scene = ok(
        run_mg("threads", "group", "innkeeper_01:merchant", "guard_07", "--player", "hero", "--json", **env)
    ).json()
    assert scene["id"].startswith("thr_")
    present = {n["npc_id"]: n.get("npc_template") for n in scene["npcs"]}
    assert present == {"innkeeper_01": "merchant", "guard_07": None}
    plain = ok(run_mg("threads", "group", "a_npc", "b_npc", **env))
    assert plain.out.strip().startswith("thr_"), "a script can capture the id"
    guard = ok(run_mg("chat", "--group", scene["id"], "--as", "guard_07", "Who goes there?", **env))
    assert guard.out.startswith("guard_07: ")
    lonely = run_mg("threads", "group", "only_one", **env)
    assert lonely.code == 1 and "2 to 20" in lonely.err
