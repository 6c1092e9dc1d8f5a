"""Threads over HTTP on SQLite and PostgreSQL: memory scoped per player and per developer,
state, actions, batch population, templates, events and export."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from jsonschema import validate
from openai import OpenAI

from tests.support.events import read_events
from tests.support.finetune import validate_example
from tests.support.gateway_process import GatewayProcess

MODEL = "deepseek-chat"


@pytest.fixture(scope="module")
def account(gateway: GatewayProcess) -> dict[str, Any]:
    return gateway.create_key(tier="studio")


@pytest.fixture
def client(gateway: GatewayProcess, account: dict[str, Any]) -> httpx.Client:
    return gateway.client(account["api_key"])


def chat(client: httpx.Client, text: str | list[dict[str, Any]], **fields: Any) -> httpx.Response:
    messages = [{"role": "user", "content": text}] if isinstance(text, str) else text
    response = client.post("/v1/chat/completions", json={"model": MODEL, "messages": messages, **fields})
    assert response.status_code == 200, response.text
    return response


def reply_of(response: httpx.Response) -> dict[str, Any]:
    return response.json()["choices"][0]["message"]


def messages_of(client: httpx.Client, thread_id: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/v1/threads/{thread_id}/messages", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_chat_with_npc_id_continues_one_thread(client: httpx.Client) -> None:
    first = chat(client, "Good morning! Any news?", npc_id="innkeeper_cont", player_id="p1")
    thread_id = first.json()["thread_id"]
    assert thread_id.startswith("thr_") and first.headers["X-Monster-Thread"] == thread_id
    second = chat(client, "Tell me more.", npc_id="innkeeper_cont", player_id="p1", model="gpt-4o-mini")
    assert second.json()["thread_id"] == thread_id, "switching model keeps the thread"
    assert second.json()["usage"]["prompt_tokens"] > first.json()["usage"]["prompt_tokens"], "history is sent"
    stored = messages_of(client, thread_id)
    assert [(m["role"], m["seq"]) for m in stored] == [
        ("user", 1),
        ("assistant", 2),
        ("user", 3),
        ("assistant", 4),
    ]
    assert stored[0]["content"] == "Good morning! Any news?"
    assert stored[3]["content"] == reply_of(second)["content"] and stored[3]["model"] == "gpt-4o-mini"
    assert "window=2" in second.headers["X-Monster-Memory"]


def test_resent_history_is_not_stored_twice(client: httpx.Client) -> None:
    convo = [
        {"role": "system", "content": "You are Hilde, a tavern keeper."},
        {"role": "user", "content": "Hello!"},
    ]
    for turn in ("A room, please.", "And some stew."):
        response = chat(client, convo, npc_id="hilde", player_id="p1")
        convo += [reply_of(response), {"role": "user", "content": turn}]
    response = chat(client, convo, npc_id="hilde", player_id="p1")
    stored = messages_of(client, response.json()["thread_id"])
    assert [m["content"] for m in stored if m["role"] == "user"] == [
        "Hello!",
        "A room, please.",
        "And some stew.",
    ]
    thread = client.get(f"/v1/threads/{response.json()['thread_id']}").json()
    assert thread["system_prompt"] == "You are Hilde, a tavern keeper." and thread["message_count"] == 6


def test_two_players_never_see_each_others_history(client: httpx.Client) -> None:
    a = chat(client, "Hello there.", npc_id="oracle", player_id="alice")
    b = chat(client, "Hello there.", npc_id="oracle", player_id="bob")
    assert a.json()["thread_id"] != b.json()["thread_id"]
    assert a.json()["usage"]["prompt_tokens"] == b.json()["usage"]["prompt_tokens"]
    chat(client, "My secret: the emerald amulet lies under the old oak.", npc_id="oracle", player_id="alice")
    asked = chat(client, "Where is the emerald amulet hidden?", npc_id="oracle", player_id="bob")
    assert "recalled=0" in asked.headers["X-Monster-Memory"]
    bob = messages_of(client, asked.json()["thread_id"])
    assert not any("oak" in (m["content"] or "") for m in bob)
    listed = client.get("/v1/threads", params={"npc_id": "oracle", "player_id": "bob"}).json()["data"]
    assert [t["id"] for t in listed] == [asked.json()["thread_id"]]


def test_another_developers_thread_is_not_found(gateway: GatewayProcess, client: httpx.Client) -> None:
    thread_id = chat(client, "Hi", npc_id="guard_iso", player_id="p1").json()["thread_id"]
    other = gateway.client(gateway.create_key()["api_key"])
    for method, path, body in [
        ("GET", f"/v1/threads/{thread_id}", None),
        ("PATCH", f"/v1/threads/{thread_id}", {"metadata": {}}),
        ("GET", f"/v1/threads/{thread_id}/messages", None),
        ("POST", f"/v1/threads/{thread_id}/state", {"x": 1}),
        ("GET", f"/v1/threads/{thread_id}/actions", None),
        ("POST", f"/v1/threads/{thread_id}/speak", {"messages": [{"role": "user", "content": "hi"}]}),
        ("DELETE", f"/v1/threads/{thread_id}", None),
    ]:
        response = other.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    hijack = other.post(
        "/v1/chat/completions",
        json={"model": MODEL, "thread_id": thread_id, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert hijack.status_code == 404
    assert other.get("/v1/threads").json()["data"] == []
    assert client.get(f"/v1/threads/{thread_id}").status_code == 200


def test_thread_crud_and_pagination(client: httpx.Client) -> None:
    ids = []
    for i in range(3):
        response = client.post(
            "/v1/threads", json={"npc_id": "crud_npc", "system_prompt": f"Prompt {i}", "metadata": {"i": i}}
        )
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    page = client.get("/v1/threads", params={"npc_id": "crud_npc", "limit": 2}).json()
    assert [t["id"] for t in page["data"]] == ids[:0:-1] and page["has_more"]
    rest = client.get("/v1/threads", params={"npc_id": "crud_npc", "before": page["next_before"]}).json()
    assert [t["id"] for t in rest["data"]] == [ids[0]] and not rest["has_more"]
    patched = client.patch(f"/v1/threads/{ids[0]}", json={"system_prompt": "New", "npc_id": "crud_npc_2"})
    assert patched.json()["system_prompt"] == "New" and patched.json()["metadata"] == {"i": 0}
    assert client.get("/v1/threads", params={"limit": 101}).status_code == 400
    bad = client.post("/v1/threads", json={"npc_id": 7})
    assert bad.status_code == 400 and "'npc_id'" in bad.json()["error"]["message"]
    assert client.delete(f"/v1/threads/{ids[0]}").json()["deleted"] is True
    assert client.get(f"/v1/threads/{ids[0]}").status_code == 404


def test_messages_paginate_both_ways(client: httpx.Client) -> None:
    thread_id = client.post("/v1/threads", json={"npc_id": "pager"}).json()["id"]
    added = client.post(
        f"/v1/threads/{thread_id}/messages",
        json={
            "messages": [
                {"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i}"} for i in range(7)
            ]
        },
    )
    assert added.json()["added"] == 7
    first = client.get(f"/v1/threads/{thread_id}/messages", params={"limit": 3}).json()
    assert [m["content"] for m in first["data"]] == ["m0", "m1", "m2"] and first["has_more"]
    after = client.get(
        f"/v1/threads/{thread_id}/messages", params={"limit": 3, "after": first["last_id"]}
    ).json()
    assert [m["content"] for m in after["data"]] == ["m3", "m4", "m5"]
    newest = client.get(f"/v1/threads/{thread_id}/messages", params={"limit": 2, "order": "desc"}).json()
    assert [m["content"] for m in newest["data"]] == ["m6", "m5"]


def test_state_merges_replaces_and_grounds_the_next_reply(client: httpx.Client, gateway, account) -> None:  # type: ignore[no-untyped-def]
    thread_id = chat(client, "Evening.", npc_id="state_guard", player_id="p1").json()["thread_id"]
    body = {"quest_progress": "talked_to_guard", "player_reputation": 75, "inventory": ["health_potion"]}
    assert client.post(f"/v1/threads/{thread_id}/state", json=body).json()["state"] == body
    merged = client.post(
        f"/v1/threads/{thread_id}/state",
        json={"player_reputation": None, "time_of_day": "night", "quest": {"a": 1}},
    ).json()["state"]
    assert merged == {
        "quest_progress": "talked_to_guard",
        "inventory": ["health_potion"],
        "time_of_day": "night",
        "quest": {"a": 1},
    }
    nested = client.post(f"/v1/threads/{thread_id}/state", json={"quest": {"b": 2}}).json()["state"]
    assert nested["quest"] == {"a": 1, "b": 2}
    replaced = client.post(f"/v1/threads/{thread_id}/state?mode=replace", json={"gold": 4821}).json()["state"]
    assert replaced == {"gold": 4821} == client.get(f"/v1/threads/{thread_id}/state").json()["state"]
    assert client.post(f"/v1/threads/{thread_id}/state?mode=upsert", json={}).status_code == 400
    answer = reply_of(chat(client, "How much gold do I carry?", npc_id="state_guard", player_id="p1"))
    assert "4821" in answer["content"]
    changes = [e["data"] for e in read_events(gateway, account["developer_id"], "thread.state_changed")]
    mine = [c for c in changes if c["thread_id"] == thread_id]
    assert [c["mode"] for c in mine] == ["merge", "merge", "merge", "replace"]
    assert mine[1]["changed_keys"] == ["player_reputation", "quest", "time_of_day"]


ACTIONS = [
    {
        "name": "offer_trade",
        "description": "Present an item for sale with a price",
        "parameters": {
            "item_id": {"type": "string"},
            "price": {"type": "integer"},
            "currency": {"type": "string"},
        },
    },
    {
        "name": "give_quest",
        "description": "Offer the player a quest",
        "parameters": {
            "quest_id": {"type": "string"},
            "difficulty": {"type": "string", "enum": ["easy", "medium", "hard"]},
        },
    },
]


def _schema(action: dict[str, Any]) -> dict[str, Any]:
    params = action["parameters"]
    return {"type": "object", "properties": params, "required": list(params), "additionalProperties": False}


def test_registered_actions_come_back_as_valid_calls(
    gateway: GatewayProcess, account: dict[str, Any], client: httpx.Client
) -> None:
    thread_id = client.post("/v1/threads", json={"npc_id": "trader", "player_id": "p1"}).json()["id"]
    put = client.put(f"/v1/threads/{thread_id}/actions", json={"actions": ACTIONS})
    assert (
        put.status_code == 200
        and client.get(f"/v1/threads/{thread_id}/actions").json()["actions"] == put.json()["actions"]
    )
    bad = client.put(
        f"/v1/threads/{thread_id}/actions", json={"actions": [ACTIONS[0], {"name": "bad name!"}]}
    )
    assert bad.status_code == 400 and "actions[1].name" in bad.json()["error"]["message"]
    schemas = {a["name"]: _schema(a) for a in ACTIONS}
    sdk = OpenAI(base_url=gateway.base_url, api_key=account["api_key"], max_retries=0)
    extra = {"npc_id": "trader", "player_id": "p1"}
    whole = sdk.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "I'd like to trade for that sword."}],
        tool_choice="required", extra_body=extra,
    )  # fmt: skip
    calls = whole.choices[0].message.tool_calls
    assert calls and whole.choices[0].finish_reason == "tool_calls"
    for call in calls:
        validate(json.loads(call.function.arguments), schemas[call.function.name])
    stream = sdk.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Any quest for me?"}], stream=True,
        tool_choice={"type": "function", "function": {"name": "give_quest"}}, extra_body=extra,
    )  # fmt: skip
    parts: dict[int, dict[str, str]] = {}
    for chunk in stream:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            part = parts.setdefault(delta.index, {"name": "", "arguments": ""})
            part["name"] += delta.function.name or ""
            part["arguments"] += delta.function.arguments or ""
    assert [p["name"] for p in parts.values()] == ["give_quest"]
    validate(json.loads(parts[0]["arguments"]), schemas["give_quest"])
    stored = [m for m in messages_of(client, thread_id) if m["tool_calls"]]
    assert len(stored) == 2 and stored[1]["tool_calls"][0]["function"]["name"] == "give_quest"
    actions = [e["data"] for e in read_events(gateway, account["developer_id"], "thread.action")]
    assert {a["action"] for a in actions if a["thread_id"] == thread_id} >= {"give_quest"}
    body = {
        "model": MODEL,
        "npc_id": "trader",
        "player_id": "p1",
        "messages": [{"role": "user", "content": "hi"}],
        "tool_choice": {"type": "function", "function": {"name": "fly"}},
    }
    unknown = client.post("/v1/chat/completions", json=body)
    assert unknown.status_code == 400 and "fly" in unknown.json()["error"]["message"]


def test_batch_is_all_or_nothing(client: httpx.Client) -> None:
    npcs = [
        {"npc_id": "b_smith", "npc_template": "merchant", "system_prompt": "You are Borin, a grumpy dwarf.",
         "metadata": {"location": "Iron Forge"}, "state": {"forge": "hot"}},
        {"npc_id": "b_inn", "system_prompt": "You are a cheerful innkeeper."},
        {"npc_id": "b_guard", "npc_template": "wizard"},
    ]  # fmt: skip
    bad = client.post("/v1/threads/batch", json={"npcs": npcs})
    assert bad.status_code == 400 and "npcs[2].npc_template" in bad.json()["error"]["message"]
    typed = client.post("/v1/threads/batch", json={"npcs": [npcs[0], {"npc_id": "x", "metadata": []}]})
    assert typed.status_code == 400 and "npcs[1].metadata" in typed.json()["error"]["message"]
    too_many = client.post("/v1/threads/batch", json={"npcs": [{"npc_id": f"n{i}"} for i in range(51)]})
    assert too_many.status_code == 400
    assert client.get("/v1/threads", params={"npc_id": "b_smith"}).json()["data"] == []
    npcs[2]["npc_template"] = "guard"
    made = client.post("/v1/threads/batch", json={"npcs": npcs}).json()
    assert made["created"] == 3 and [t["npc_id"] for t in made["data"]] == ["b_smith", "b_inn", "b_guard"]
    again = client.post("/v1/threads/batch", json={"npcs": npcs}).json()
    assert again["updated"] == 3 and [t["id"] for t in again["data"]] == [t["id"] for t in made["data"]]
    # A player's first words to a batch-defined NPC start from its definition.
    response = chat(client, "Hello, smith.", npc_id="b_smith", player_id="p9")
    thread = client.get(f"/v1/threads/{response.json()['thread_id']}").json()
    assert thread["id"] != made["data"][0]["id"] and thread["player_id"] == "p9"
    assert (
        thread["system_prompt"] == "You are Borin, a grumpy dwarf." and thread["npc_template"] == "merchant"
    )
    # Its state is world state: seen on the player's thread, not copied into the player's own.
    state = client.get(f"/v1/threads/{thread['id']}/state").json()
    assert (state["scope"], state["state"], state["world_state"]) == ("player", {}, {"forge": "hot"})
    assert state["world_thread_id"] == made["data"][0]["id"]
    assert {a["name"] for a in client.get(f"/v1/threads/{thread['id']}/actions").json()["actions"]} == {
        "offer_trade",
        "open_shop",
    }


def test_templates_are_public_and_filterable(gateway: GatewayProcess) -> None:
    anonymous = gateway.client()
    listed = anonymous.get("/v1/npc/templates").json()["data"]
    assert {"merchant", "quest_giver", "guard", "villain", "healer", "companion"} <= {t["id"] for t in listed}
    shop = anonymous.get("/v1/npc/templates", params={"tags": "rpg,trade"}).json()["data"]
    assert [t["id"] for t in shop] == ["merchant"]
    detail = anonymous.get("/v1/npc/templates/villain").json()
    assert detail["system_prompt"] and detail["actions"] and detail["response_style"] == "dramatic"
    assert anonymous.get("/v1/npc/templates/wizard").status_code == 404


def test_response_style_changes_length(client: httpx.Client) -> None:
    words = {}
    for style in ("terse", "normal", "verbose"):
        text = reply_of(
            chat(client, "Tell me about this town.", npc_template="companion", response_style=style)
        )["content"]
        words[style] = len(text.split())
    assert words["terse"] <= 15 < words["normal"] < words["verbose"]
    dramatic = reply_of(
        chat(client, "Tell me about this town.", npc_template="companion", response_style="dramatic")
    )
    assert "!" in dramatic["content"]


def test_events_are_recorded_with_each_change(gateway: GatewayProcess, client: httpx.Client) -> None:
    key = gateway.create_key()
    c = gateway.client(key["api_key"])
    thread_id = chat(c, "Hi!", npc_id="ev_npc", player_id="ev_player").json()["thread_id"]
    chat(c, "Again!", npc_id="ev_npc", player_id="ev_player")
    chat(c, "Hi!", npc_id="ev_npc", player_id="ev_other")
    events = read_events(gateway, key["developer_id"])
    assert all(e["id"].startswith("evt_") for e in events)
    kinds = [e["type"] for e in events]
    assert kinds.count("thread.created") == 2 and kinds.count("thread.message") == 6
    first = [e["data"] for e in events if e["type"] == "npc.first_interaction"]
    assert sorted(f["player_id"] for f in first) == ["ev_other", "ev_player"]
    message = next(
        e["data"] for e in events if e["type"] == "thread.message" and e["data"]["role"] == "assistant"
    )
    assert message["thread_id"] == thread_id and message["npc_id"] == "ev_npc" and message["content"]


def test_export_is_valid_fine_tuning_jsonl(gateway: GatewayProcess) -> None:
    key = gateway.create_key()
    c = gateway.client(key["api_key"])
    thread_id = c.post(
        "/v1/threads", json={"npc_id": "ex_npc", "player_id": "p1", "npc_template": "merchant"}
    ).json()["id"]
    chat(c, "What do you sell?", npc_id="ex_npc", player_id="p1", tool_choice="required")
    chat(c, "Thanks, goodbye.", npc_id="ex_npc", player_id="p1")
    chat(c, "Hello.", npc_id="other_npc", player_id="p2")
    response = c.post("/v1/threads/export", json={"format": "jsonl"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/jsonl")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) == 2
    for example in lines:
        assert validate_example(example) == []
    merchant = next(line for line in lines if "tools" in line)
    roles = [m["role"] for m in merchant["messages"]]
    assert roles[0] == "system" and "tool" in roles and roles[-1] == "assistant"
    assert any(m.get("tool_calls") for m in merchant["messages"])
    only = c.post("/v1/threads/export", json={"npc_id": "other_npc"}).text.splitlines()
    assert len(only) == 1 and "Hello." in only[0]
    later = c.post("/v1/threads/export", json={"since": "2999-01-01T00:00:00Z"}).text
    assert later == ""
    whole = c.post("/v1/threads/export", json={"format": "json", "player_id": "p1"}).json()
    assert [t["thread_id"] for t in whole["data"]] == [thread_id] and len(whole["data"][0]["messages"]) == 4
    assert c.post("/v1/threads/export", json={"format": "csv"}).status_code == 400
