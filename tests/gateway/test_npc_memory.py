"""Group scenes (speakers, order, who knows what) and long memory (10,000 turns, recall)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.support.finetune import validate_example
from tests.support.gateway_process import GatewayProcess

NPCS = [
    {"npc_id": "aldric", "name": "Aldric", "npc_template": "guard"},
    {"npc_id": "mira", "name": "Mira", "npc_template": "healer"},
    {"npc_id": "vex", "name": "Vex", "npc_template": "villain"},
]


@pytest.fixture
def client(gateway: GatewayProcess, api_key: str) -> httpx.Client:
    return gateway.client(api_key)


def speak(client: httpx.Client, thread_id: str, text: str | None = None, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = dict(fields)
    if text is not None:
        body["messages"] = [{"role": "user", "content": text}]
    response = client.post(f"/v1/threads/{thread_id}/speak", json=body)
    assert response.status_code == 200, response.text
    return response


def export_lines(client: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    response = client.post("/v1/threads/export", json=filters)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def test_group_scene_speakers_order_and_knowledge(client: httpx.Client) -> None:
    for count in (1, 21):
        npcs = [{"npc_id": f"n{i}"} for i in range(count)]
        assert client.post("/v1/threads/group", json={"npcs": npcs}).status_code == 400
    dup = client.post("/v1/threads/group", json={"npcs": [NPCS[0], NPCS[1], NPCS[0]]})
    assert dup.status_code == 400 and "npcs[2].npc_id" in dup.json()["error"]["message"]

    scene = client.post(
        "/v1/threads/group", json={"npcs": NPCS, "player_id": "hero", "system_prompt": "A burned village."}
    )
    assert scene.status_code == 200 and [n["npc_id"] for n in scene.json()["npcs"]] == [
        "aldric",
        "mira",
        "vex",
    ]
    thread_id = scene.json()["id"]

    first = speak(client, thread_id, "What happened here?", npc_id="mira")
    assert first.json()["npc_id"] == "mira" and first.json()["choices"][0]["message"]["name"] == "mira"
    addressed = speak(client, thread_id, "Aldric, did you see the raiders?")
    assert addressed.json()["npc_id"] == "aldric"
    waited = speak(client, thread_id)
    assert waited.json()["npc_id"] == "vex", "with no one addressed, whoever waited longest speaks"

    stored = client.get(f"/v1/threads/{thread_id}/messages").json()["data"]
    expected = [("user", "hero"), ("assistant", "mira"), ("user", "hero"), ("assistant", "aldric")]
    assert [(m["role"], m["name"]) for m in stored] == [*expected, ("assistant", "vex")]

    # Sage arrives late and knows nothing of what was said before; Scribe is told everything.
    added = client.patch(
        f"/v1/threads/{thread_id}",
        json={"add_npcs": [{"npc_id": "sage", "name": "Sage"}, {"npc_id": "scribe", "knows_history": True}]},
    )
    assert added.status_code == 200 and len(added.json()["npcs"]) == 5
    late = speak(client, thread_id, "Sage, who spoke about the raiders?", npc_id="sage")
    assert "recalled=0" in late.headers["X-Monster-Memory"]
    speak(client, thread_id, "Scribe, write it down.", npc_id="scribe")
    sage = export_lines(client, npc_id="sage")
    assert len(sage) == 1 and validate_example(sage[0]) == []
    seen = " ".join(m["content"] or "" for m in sage[0]["messages"] if m["role"] != "system")
    assert "What happened here?" not in seen and "raiders" not in seen.split("Sage, who spoke")[0]
    scribe = export_lines(client, npc_id="scribe")
    assert "What happened here?" in json.dumps(scribe[0])

    gone = client.patch(f"/v1/threads/{thread_id}", json={"remove_npcs": ["vex"]})
    assert [n["present"] for n in gone.json()["npcs"]] == [True, True, False, True, True]
    refused = client.post(f"/v1/threads/{thread_id}/speak", json={"npc_id": "vex"})
    assert refused.status_code == 400 and "vex" in refused.json()["error"]["message"]

    streamed = client.post(
        f"/v1/threads/{thread_id}/speak",
        json={
            "npc_id": "mira",
            "stream": True,
            "messages": [{"role": "user", "content": "Mira, can you help?"}],
        },
    )
    chunks = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
    assert chunks and all(c["npc_id"] == "mira" and c["thread_id"] == thread_id for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    last = client.get(f"/v1/threads/{thread_id}/messages", params={"order": "desc", "limit": 1}).json()[
        "data"
    ][0]
    assert last["name"] == "mira" and last["content"] == text


FILLER = [
    "we walked the north road and spoke of the weather",
    "the river was high and the ferryman wanted more coin",
    "we camped by the ruins and listened to the owls",
    "the market smelled of bread and we bought apples",
]


def test_ten_thousand_turns_answer_and_still_recall(client: httpx.Client) -> None:
    thread_id = client.post(
        "/v1/threads", json={"npc_id": "chronicler", "player_id": "p1", "npc_template": "companion"}
    ).json()["id"]
    history = [
        {"role": "user", "content": "Listen well: my sister Elowen hid the silver key under the old mill."},
        {"role": "assistant", "content": "Elowen and the silver key, under the old mill. I will remember."},
    ]
    for i in range(2, 10_000):
        role = "user" if i % 2 == 0 else "assistant"
        history.append({"role": role, "content": f"Day {i // 2}: {FILLER[i % len(FILLER)]}."})
    for start in range(0, len(history), 1000):
        added = client.post(
            f"/v1/threads/{thread_id}/messages", json={"messages": history[start : start + 1000]}
        )
        assert added.status_code == 200, added.text
    assert client.get(f"/v1/threads/{thread_id}").json()["message_count"] == 10_000

    answer = client.post(
        "/v1/chat/completions",
        json={"model": "deepseek-chat", "npc_id": "chronicler", "player_id": "p1",
              "messages": [{"role": "user", "content": "Shall we rest here tonight?"}]},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["thread_id"] == thread_id
    catalog = client.get("/v1/models/catalog").json()["data"]
    window = next(m["context_window"] for m in catalog if m["id"] == "deepseek-chat")
    assert window < 10_000 * 15, "the history alone would overflow the model"
    assert answer.json()["usage"]["prompt_tokens"] < window
    assert "window=40" in answer.headers["X-Monster-Memory"]
    assert "recalled=0" in answer.headers["X-Monster-Memory"], "words that call for no memory recall none"

    deadline = time.monotonic() + 120
    memory: dict[str, Any] = {}
    while time.monotonic() < deadline:
        memory = client.get(f"/v1/threads/{thread_id}").json()["memory"]
        if memory["summarized_through"] >= 9_900:
            break
        time.sleep(0.2)
    assert memory["summarized_through"] >= 9_900, memory
    assert memory["summary"] and len(memory["summary"]) < 6_000

    recall = client.post(
        "/v1/chat/completions",
        json={"model": "deepseek-chat", "npc_id": "chronicler", "player_id": "p1",
              "messages": [{"role": "user", "content": "Where did my sister Elowen hide the silver key?"}]},
    )  # fmt: skip
    assert recall.status_code == 200
    header = recall.headers["X-Monster-Memory"]
    assert "recalled=0" not in header and "summarized_through=0" not in header
