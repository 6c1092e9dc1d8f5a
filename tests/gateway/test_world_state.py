"""World state (an NPC's player-less thread, shared by every player) and player state (one
player's thread), with two players and one NPC, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.gateway_process import GatewayProcess

MODEL = "deepseek-chat"
NPC = "ws_smith"


@pytest.fixture(scope="module")
def client(gateway: GatewayProcess) -> httpx.Client:
    return gateway.client(gateway.create_key(tier="studio")["api_key"])


def say(client: httpx.Client, player: str, text: str, npc: str = NPC) -> httpx.Response:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": text}],
        "npc_id": npc,
        "player_id": player,
    }
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    return response


def state_of(client: httpx.Client, thread_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/threads/{thread_id}/state")
    assert response.status_code == 200, response.text
    return response.json()


def set_state(client: httpx.Client, thread_id: str, values: dict[str, Any], **query: str) -> httpx.Response:
    return client.post(f"/v1/threads/{thread_id}/state", params=query, json=values)


def test_world_state_is_shared_and_player_state_stays_with_its_player(client: httpx.Client) -> None:
    world = client.post("/v1/threads", json={"npc_id": NPC, "npc_template": "merchant"}).json()["id"]
    answer = set_state(client, world, {"forge": "cold"}).json()
    assert (answer["scope"], answer["state"], answer["world_state"]) == (
        "world",
        {"forge": "cold"},
        {"forge": "cold"},
    )
    alice = say(client, "alice", "Good day, smith.").json()["thread_id"]
    bob = say(client, "bob", "Hello there.").json()["thread_id"]
    assert len({world, alice, bob}) == 3

    # Alice's gold is player state: on her thread only.
    mine = set_state(client, alice, {"gold": 4817}).json()
    assert (mine["scope"], mine["state"], mine["world_state"]) == (
        "player",
        {"gold": 4817},
        {"forge": "cold"},
    )
    assert mine["world_thread_id"] == world
    theirs = state_of(client, bob)
    assert (theirs["scope"], theirs["state"], theirs["world_state"]) == ("player", {}, {"forge": "cold"})
    assert (
        "4817" in say(client, "alice", "How much gold do I carry?").json()["choices"][0]["message"]["content"]
    )
    told_bob = say(client, "bob", "How much gold do I carry?").json()["choices"][0]["message"]["content"]
    assert "4817" not in told_bob, "a player's values never reach another player's conversation"

    # World state set from a player's thread reaches every player; their own state is untouched.
    shared = set_state(client, bob, {"bridge": "washed_out"}, scope="world").json()
    assert shared["scope"] == "player" and shared["state"] == {}
    assert shared["world_state"] == {"forge": "cold", "bridge": "washed_out"}
    for thread in (alice, bob, world):
        assert state_of(client, thread)["world_state"] == {"forge": "cold", "bridge": "washed_out"}
    assert state_of(client, alice)["state"] == {"gold": 4817}
    # World state changed after the players' threads began, and the NPC knows it on both.
    for player in ("alice", "bob"):
        told = say(client, player, "Is the bridge still standing?").json()["choices"][0]["message"]["content"]
        assert "washed_out" in told or "washed out" in told, told


def test_scope_is_checked(client: httpx.Client) -> None:
    world = client.post("/v1/threads", json={"npc_id": "ws_guard"}).json()["id"]
    player = say(client, "carol", "Halt?", npc="ws_guard").json()["thread_id"]
    for thread, query, named in [
        (world, {"scope": "player"}, "world state"),
        (player, {"scope": "everyone"}, "'scope'"),
    ]:
        refused = set_state(client, thread, {"x": 1}, **query)
        assert refused.status_code == 400 and named in refused.json()["error"]["message"], refused.text
    scene = client.post("/v1/threads/group", json={"npcs": ["a1", "a2"], "player_id": "carol"})
    assert scene.status_code == 200, scene.text
    refused = set_state(client, scene.json()["id"], {"x": 1}, scope="world")
    assert refused.status_code == 400 and "group scene" in refused.json()["error"]["message"]
    assert set_state(client, scene.json()["id"], {"x": 1}).json()["scope"] == "player"
    assert state_of(client, world)["state"] == {} and state_of(client, player)["state"] == {}


def test_world_state_for_an_npc_nobody_defined_makes_its_thread(client: httpx.Client) -> None:
    player = say(client, "dave", "Hello?", npc="ws_hermit").json()["thread_id"]
    assert state_of(client, player)["world_thread_id"] is None
    made = set_state(client, player, {"season": "winter"}, scope="world").json()
    assert made["world_state"] == {"season": "winter"} and made["world_thread_id"]
    listed = client.get("/v1/threads", params={"npc_id": "ws_hermit"}).json()["data"]
    assert sorted((t["player_id"] or "") for t in listed) == ["", "dave"]
    newcomer = say(client, "erin", "Hi.", npc="ws_hermit").json()["thread_id"]
    assert state_of(client, newcomer)["world_state"] == {"season": "winter"}


def test_the_npc_says_world_state_as_true_for_everyone(client: httpx.Client) -> None:
    world = client.post("/v1/threads", json={"npc_id": "ws_banker"}).json()["id"]
    set_state(client, world, {"gold": 12})  # what `/state gold=12` does in scripts/play
    for player in ("frank", "gina"):
        told = say(client, player, "How much gold do I carry?", npc="ws_banker").json()
        line = told["choices"][0]["message"]["content"]
        assert "12" in line and "you carry 12" not in line.lower() and "your gold" not in line.lower(), line
    mine = say(client, "frank", "Hello.", npc="ws_banker").json()["thread_id"]
    set_state(client, mine, {"gold": 30})  # frank's own gold now speaks over the world's
    line = say(client, "frank", "How much gold do I carry?", npc="ws_banker").json()["choices"][0]["message"]
    assert "30" in line["content"] and "12" not in line["content"], line
