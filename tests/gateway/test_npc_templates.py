"""A studio's own NPC templates over HTTP, on SQLite and PostgreSQL: versions, ownership,
threads that keep the copy they were made from, batch and scenes, and bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.envelope import assert_envelope
from tests.support.gateway_process import GatewayProcess

MODEL = "deepseek-chat"
BUILTINS = {"merchant", "quest_giver", "guard", "villain", "healer", "companion"}

SMITH: dict[str, Any] = {
    "id": "iron_smith",
    "name": "Dwarven Smith of the Iron Clans",
    "tags": ["rpg", "crafting"],
    "description": "Forges weapons; trusts no elf.",
    "system_prompt": "You are a dwarven smith of the Iron Clans. You speak of steel and of grudges.",
    "response_style": "terse",
    "default_model": "claude-haiku-4-5",
    "actions": [
        {
            "name": "forge_item",
            "description": "Forge an item for the player",
            "parameters": {"item_id": {"type": "string"}, "price": {"type": "integer", "minimum": 0}},
        }
    ],
    "examples": [{"player": "Can you mend my axe?", "reply": "Aye. Twelve silver, and mind the edge."}],
    "state_schema": {
        "type": "object",
        "properties": {"gold": {"type": "integer", "minimum": 0}, "grudge": {"type": "string"}},
    },
}


@pytest.fixture
def account(gateway: GatewayProcess) -> dict[str, Any]:
    return gateway.create_key(tier="studio")


@pytest.fixture
def client(gateway: GatewayProcess, account: dict[str, Any]) -> httpx.Client:
    return gateway.client(account["api_key"])


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def create(client: httpx.Client, **changes: Any) -> dict[str, Any]:
    return ok(client.post("/v1/npc/templates", json=dict(copy.deepcopy(SMITH), **changes)))


def chat(client: httpx.Client, text: str, **fields: Any) -> httpx.Response:
    body = {"model": MODEL, "messages": [{"role": "user", "content": text}], **fields}
    return client.post("/v1/chat/completions", json=body)


def system_prompt_of(client: httpx.Client, thread_id: str) -> str:
    """The system prompt the thread's NPC is given, as the export shows it (once it has spoken)."""
    line = client.post("/v1/threads/export", json={"thread_ids": [thread_id]}).text.splitlines()[0]
    return json.loads(line)["messages"][0]["content"]


def test_create_read_list_and_versions(gateway: GatewayProcess, client: httpx.Client) -> None:
    made = create(client)
    assert made["version"] == 1 and made["builtin"] is False and made["object"] == "npc.template"
    assert {k: made[k] for k in SMITH} == SMITH, "what is stored is what was sent"
    assert made["example"] == SMITH["examples"][0]
    assert ok(client.get("/v1/npc/templates/iron_smith")) == made

    listed = ok(client.get("/v1/npc/templates"))["data"]
    assert [t["id"] for t in listed] == [*sorted(BUILTINS), "iron_smith"], "built-ins, then yours"
    assert next(t for t in listed if t["id"] == "merchant")["builtin"] is True
    assert [t["id"] for t in ok(client.get("/v1/npc/templates", params={"tags": "crafting"}))["data"]] == [
        "iron_smith"
    ]
    anonymous = gateway.client()
    assert {t["id"] for t in ok(anonymous.get("/v1/npc/templates"))["data"]} == BUILTINS
    assert_envelope(anonymous.get("/v1/npc/templates/iron_smith"), 404, "NOT_FOUND")

    # A dry run answers the would-be template and stores nothing.
    dry = ok(client.patch("/v1/npc/templates/iron_smith?dry_run=true", json={"response_style": "verbose"}))
    assert (dry["version"], dry["response_style"]) == (2, "verbose")
    assert ok(client.get("/v1/npc/templates/iron_smith"))["version"] == 1

    replaced = ok(client.put("/v1/npc/templates/iron_smith", json=dict(SMITH, name="Iron Smith")))
    assert (replaced["version"], replaced["name"]) == (2, "Iron Smith")
    assert replaced["created_at"] == made["created_at"] and replaced["updated_at"] >= made["updated_at"]
    same = ok(client.put("/v1/npc/templates/iron_smith", json=dict(SMITH, name="Iron Smith")))
    assert same["version"] == 2, "an update that changes nothing makes no version"
    patched = ok(client.patch("/v1/npc/templates/iron_smith", json={"default_model": None, "version": 2}))
    assert (patched["version"], patched["default_model"], patched["name"]) == (3, None, "Iron Smith")
    stale = client.patch("/v1/npc/templates/iron_smith", json={"description": "x", "version": 2})
    assert "version 3" in assert_envelope(stale, 409, "CONFLICT")["message"]
    # PUT replaces the whole template: fields left out take their defaults.
    bare = ok(
        client.put("/v1/npc/templates/iron_smith", json={"name": "Smith", "system_prompt": "You forge."})
    )
    assert (bare["version"], bare["actions"], bare["tags"], bare["response_style"]) == (4, [], [], "normal")

    assert ok(client.delete("/v1/npc/templates/iron_smith"))["deleted"] is True
    assert_envelope(client.get("/v1/npc/templates/iron_smith"), 404, "NOT_FOUND")
    assert_envelope(client.delete("/v1/npc/templates/iron_smith"), 404, "NOT_FOUND")
    again = create(client)
    assert again["version"] == 5, "version numbers are never reused"


def test_another_developer_gets_404_on_every_route(gateway: GatewayProcess, client: httpx.Client) -> None:
    create(client)
    other = gateway.client(gateway.create_key()["api_key"])
    secret = SMITH["system_prompt"]
    for method, path, body in [
        ("GET", "/v1/npc/templates/iron_smith", None),
        ("PUT", "/v1/npc/templates/iron_smith", SMITH),
        ("PATCH", "/v1/npc/templates/iron_smith", {"name": "Mine now"}),
        ("DELETE", "/v1/npc/templates/iron_smith", None),
        ("PATCH", "/v1/npc/templates/iron_smith?dry_run=true", {"name": "Mine now"}),
    ]:
        response = other.request(method, path, json=body)
        assert_envelope(response, 404, "NOT_FOUND")
        assert secret not in response.text and "iron_smith" in response.json()["error"]["message"]
    assert "iron_smith" not in {t["id"] for t in ok(other.get("/v1/npc/templates"))["data"]}

    # In every request that names a template, another developer's id is an unknown one.
    for path, body, field in [
        ("/v1/chat/completions", {"model": MODEL, "npc_template": "iron_smith",
                                  "messages": [{"role": "user", "content": "hi"}]}, "'npc_template'"),
        ("/v1/threads", {"npc_id": "smith", "npc_template": "iron_smith"}, "'npc_template'"),
        ("/v1/threads/batch", {"npcs": [{"npc_id": "a"}, {"npc_id": "smith", "npc_template": "iron_smith"}]},
         "'npcs[1].npc_template'"),
        ("/v1/threads/group", {"npcs": ["a", {"npc_id": "smith", "npc_template": "iron_smith"}]},
         "'npcs[1].npc_template'"),
    ]:  # fmt: skip
        error = assert_envelope(other.post(path, json=body), 400, "INVALID_REQUEST")
        assert error["message"].startswith(f"{field} is 'iron_smith', which is not a template"), error
        assert secret not in error["message"] and "merchant" in error["message"]
    thread = ok(other.post("/v1/threads", json={"npc_id": "smith"}))
    patch = other.patch(f"/v1/threads/{thread['id']}", json={"npc_template": "iron_smith"})
    assert_envelope(patch, 400, "INVALID_REQUEST")
    # Ids are unique per developer: the other one may have an iron_smith of its own.
    theirs = ok(other.post("/v1/npc/templates", json=dict(SMITH, name="Their Smith")))
    assert theirs["version"] == 1
    assert ok(client.get("/v1/npc/templates/iron_smith"))["name"] == SMITH["name"]


def test_threads_keep_the_version_they_were_made_from(client: httpx.Client) -> None:
    create(client)
    thread = ok(
        client.post("/v1/threads", json={"npc_id": "borin", "player_id": "p1", "npc_template": "iron_smith"})
    )
    assert (thread["npc_template"], thread["npc_template_version"]) == ("iron_smith", 1)
    actions = ok(client.get(f"/v1/threads/{thread['id']}/actions"))["actions"]
    assert [a["name"] for a in actions] == ["forge_item"]
    reply = chat(client, "Hello, smith.", npc_id="borin", player_id="p1", npc_template="iron_smith")
    assert reply.status_code == 200 and reply.json()["thread_id"] == thread["id"]

    ok(client.patch("/v1/npc/templates/iron_smith", json={"system_prompt": "You are a cheerful elf baker."}))
    assert "Iron Clans" in system_prompt_of(client, thread["id"]), "the thread reads its copy (version 1)"
    assert "elf baker" not in system_prompt_of(client, thread["id"])
    newer = ok(
        client.post("/v1/threads", json={"npc_id": "borin", "player_id": "p2", "npc_template": "iron_smith"})
    )
    assert chat(client, "Bread?", thread_id=newer["id"]).status_code == 200
    assert newer["npc_template_version"] == 2 and "elf baker" in system_prompt_of(client, newer["id"])

    ok(client.delete("/v1/npc/templates/iron_smith"))
    after = chat(client, "Still there?", npc_id="borin", player_id="p1", npc_template="iron_smith")
    assert after.status_code == 200, after.text
    assert after.json()["thread_id"] == thread["id"] and after.json()["choices"][0]["message"]["content"]
    assert "Iron Clans" in system_prompt_of(client, thread["id"])
    assert ok(client.get(f"/v1/threads/{thread['id']}"))["npc_template_version"] == 1
    gone = chat(client, "Hi", npc_id="borin", player_id="p3", npc_template="iron_smith")
    assert_envelope(gone, 400, "INVALID_REQUEST")


def test_batch_and_scenes_from_a_custom_template(client: httpx.Client) -> None:
    create(client)
    made = ok(
        client.post(
            "/v1/threads/batch",
            json={"npcs": [
                {"npc_id": "smith_1", "npc_template": "iron_smith", "state": {"gold": 40}},
                {"npc_id": "smith_2", "npc_template": "iron_smith", "metadata": {"name": "Dvalin"}},
                {"npc_id": "trader", "npc_template": "merchant"},
            ]},
        )
    )  # fmt: skip
    assert made["created"] == 3
    versions = {t["npc_id"]: (t["npc_template"], t["npc_template_version"]) for t in made["data"]}
    assert versions == {
        "smith_1": ("iron_smith", 1),
        "smith_2": ("iron_smith", 1),
        "trader": ("merchant", None),
    }
    # A player's first words to a batch-defined NPC start from its definition, version included.
    first = chat(client, "Got any axes?", npc_id="smith_1", player_id="hero")
    own = ok(client.get(f"/v1/threads/{first.json()['thread_id']}"))
    assert (own["player_id"], own["npc_template_version"]) == ("hero", 1)
    seen = ok(client.get(f"/v1/threads/{own['id']}/state"))  # the definition's state is world state
    assert (seen["state"], seen["world_state"]) == ({}, {"gold": 40})
    assert "Iron Clans" in system_prompt_of(client, own["id"])

    scene = ok(
        client.post(
            "/v1/threads/group",
            json={"npcs": [{"npc_id": "smith_1", "name": "Borin", "npc_template": "iron_smith"},
                           {"npc_id": "trader", "npc_template": "merchant"}]},
        )
    )  # fmt: skip
    assert [(n["npc_id"], n["npc_template_version"]) for n in scene["npcs"]] == [
        ("smith_1", 1),
        ("trader", None),
    ]
    ok(client.patch("/v1/npc/templates/iron_smith", json={"default_model": "gpt-4o-mini"}))
    spoken = ok(client.post(f"/v1/threads/{scene['id']}/speak", json={"npc_id": "smith_1"}))
    assert spoken["model"] == "claude-haiku-4-5", "with no model given, the copy's default model speaks"


def test_state_is_checked_against_the_templates_state_schema(client: httpx.Client) -> None:
    create(client)
    bad = client.post(
        "/v1/threads", json={"npc_id": "s", "npc_template": "iron_smith", "state": {"gold": -3}}
    )
    message = assert_envelope(bad, 400, "INVALID_REQUEST")["message"]
    assert message.startswith("'state.gold' does not match the state schema of template 'iron_smith'")
    thread = ok(
        client.post("/v1/threads", json={"npc_id": "s", "npc_template": "iron_smith", "state": {"gold": 3}})
    )
    wrong = client.post(f"/v1/threads/{thread['id']}/state", json={"grudge": 7})
    assert assert_envelope(wrong, 400, "INVALID_REQUEST")["message"].startswith("'state.grudge'")
    assert ok(client.post(f"/v1/threads/{thread['id']}/state", json={"grudge": "elves"}))["state"] == {
        "gold": 3,
        "grudge": "elves",
    }
    batch = client.post("/v1/threads/batch", json={"npcs": [{"npc_id": "s", "state": {"gold": "lots"}}]})
    assert assert_envelope(batch, 400, "INVALID_REQUEST")["message"].startswith("'npcs[0].state.gold'")
    plain = ok(client.post("/v1/threads", json={"npc_id": "q", "state": {"gold": "lots"}}))
    switch = client.patch(f"/v1/threads/{plain['id']}", json={"npc_template": "iron_smith"})
    assert assert_envelope(switch, 400, "INVALID_REQUEST")["message"].startswith("'npc_template' names")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"system_prompt": "x" * 32_001}, "'system_prompt'", "INVALID_REQUEST"),
        ({"system_prompt": "   "}, "'system_prompt'", "INVALID_REQUEST"),
        ({"actions": [{"name": "forge", "parameters": {"type": "object", "properties": 3}}]},
         "'actions[0].parameters'", "INVALID_REQUEST"),
        ({"actions": [{"name": "forge item"}]}, "'actions[0].name'", "INVALID_REQUEST"),
        ({"state_schema": {"type": "object", "properties": {"gold": {"type": "coins"}}}}, "'state_schema'",
         "INVALID_REQUEST"),
        ({"state_schema": {"type": "string"}}, "'state_schema'", "INVALID_REQUEST"),
        ({"default_model": "gpt-9-ultra"}, "'default_model'", "MODEL_NOT_FOUND"),
        ({"default_model": "text-embedding-3-small"}, "'default_model'", "MODEL_NOT_FOUND"),
        ({"response_style": "mumbling"}, "'response_style'", "INVALID_REQUEST"),
        ({"id": "merchant"}, "'id'", "INVALID_REQUEST"),
        ({"id": "Iron Smith"}, "'id'", "INVALID_REQUEST"),
        ({"tags": ["RPG"]}, "'tags[0]'", "INVALID_REQUEST"),
        ({"examples": [{"player": "hi"}]}, "'examples[0].reply'", "INVALID_REQUEST"),
        ({"voice": "deep"}, "'voice'", "INVALID_REQUEST"),
        ({"name": None}, "'name'", "INVALID_REQUEST"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)  # fmt: skip
def test_bad_input_names_the_field(
    client: httpx.Client, change: dict[str, Any], field: str, code: str
) -> None:
    error = assert_envelope(client.post("/v1/npc/templates", json=dict(SMITH, **change)), 400, code)
    assert field in error["message"], error
    assert_envelope(client.get("/v1/npc/templates/iron_smith"), 404, "NOT_FOUND")


def test_duplicate_ids_built_ins_and_unknown_ids(client: httpx.Client) -> None:
    create(client)
    duplicate = assert_envelope(client.post("/v1/npc/templates", json=SMITH), 400, "INVALID_REQUEST")
    assert duplicate["message"].startswith("'id' is 'iron_smith', and you already have")
    builtin = client.put("/v1/npc/templates/merchant", json=dict(SMITH, id="merchant"))
    assert "built-in" in assert_envelope(builtin, 400, "INVALID_REQUEST")["message"]
    assert (
        "built-in"
        in assert_envelope(client.delete("/v1/npc/templates/villain"), 400, "INVALID_REQUEST")["message"]
    )
    renamed = client.put("/v1/npc/templates/iron_smith", json=dict(SMITH, id="steel_smith"))
    assert "'id'" in assert_envelope(renamed, 400, "INVALID_REQUEST")["message"]
    missing = assert_envelope(client.get("/v1/npc/templates/nosuch"), 404, "NOT_FOUND")
    assert "nosuch" in missing["message"] and "merchant" in missing["message"]
    assert "yours: iron_smith" in missing["message"], "it says which templates exist"
    assert "belong to the account" not in missing["remediation"]
    assert client.post("/v1/npc/templates", json=SMITH, headers={"Authorization": ""}).status_code == 401


def test_an_older_database_upgrades_and_its_threads_go_on(tmp_path: Path, database_url: str | None) -> None:
    """A gateway whose database predates templates (threads only): after the upgrade its threads
    record no version (they were made from built-ins) and carry on."""
    from datetime import UTC, datetime

    import sqlalchemy as sa
    from sqlmodel.sql.sqltypes import UTCDateTime

    from local_gateway.store.db import Database
    from local_gateway.store.migrate import upgrade
    from tests.support.gateway_process import run_async, running_gateway

    url = database_url or f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade(url, "0002_threads")
    now = datetime.now(UTC)
    developers = sa.table(
        "developers", *(sa.column(c) for c in ("id", "email", "tier")), sa.column("created_at", UTCDateTime())
    )
    threads = sa.table(
        "threads",
        *(sa.column(c) for c in ("id", "developer_id", "kind", "npc_id", "player_id", "npc_template")),
        *(sa.column(c) for c in ("message_count", "last_seq")),
        *(sa.column(c, sa.JSON()) for c in ("metadata", "state", "actions")),
        *(sa.column(c, UTCDateTime()) for c in ("created_at", "updated_at")),
    )

    async def seed() -> None:
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.execute(
                developers.insert().values(
                    id="dev_old", email="old@example.com", tier="studio", created_at=now
                )
            )
            await conn.execute(
                threads.insert().values(
                    id="thr_old",
                    developer_id="dev_old",
                    kind="single",
                    npc_id="old_trader",
                    player_id="p1",
                    npc_template="merchant",
                    message_count=0,
                    last_seq=0,
                    metadata={},
                    state={"gold": 3},
                    actions=[],
                    created_at=now,
                    updated_at=now,
                )
            )
        await db.close()

    run_async(seed())
    with running_gateway(tmp_path, database_url) as gw:
        client = gw.client(gw.create_key(email="old@example.com")["api_key"])
        thread = ok(client.get("/v1/threads/thr_old"))
        assert (thread["npc_template"], thread["npc_template_version"]) == ("merchant", None)
        reply = chat(client, "What is for sale?", npc_id="old_trader", player_id="p1")
        assert reply.status_code == 200 and reply.json()["thread_id"] == "thr_old"
        assert "You are a merchant" in system_prompt_of(client, "thr_old")
        assert ok(client.post("/v1/npc/templates", json=SMITH))["version"] == 1
