"""NPCs that remember within a thread, with a test key (the offline sandbox model), through a real
gateway: threads/speak over HTTP and chat completions with the official openai SDK."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.npc_suite import Score, Speak, figures, load_suite, play, score_conversation, thread_body

BROKK = "You are Brokk, a grumpy dwarf blacksmith in the mountain hold of Karak Dun."
FILLER = [
    "Any news from the valley?",
    "Tell me about the weather up here.",
    "Have you seen any wolves?",
    "What do the miners drink?",
    "Is the road north safe?",
    "Who built this hall?",
    "Do you ever sleep?",
    "What is that smell?",
]


def reply(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return str(response.json()["choices"][0]["message"]["content"])


def speaker(client: httpx.Client) -> Speak:
    def speak(thread_id: str, text: str) -> str:
        body = {"messages": [{"role": "user", "content": text}]}
        return reply(client.post(f"/v1/threads/{thread_id}/speak", json=body))

    return speak


def new_thread(client: httpx.Client, npc_id: str, player_id: str, system_prompt: str = BROKK) -> str:
    made = client.post(
        "/v1/threads", json={"npc_id": npc_id, "player_id": player_id, "system_prompt": system_prompt}
    )
    assert made.status_code == 200, made.text
    return str(made.json()["id"])


def say(client: httpx.Client, thread_id: str, text: str) -> str:
    body = {"messages": [{"role": "user", "content": text}]}
    return reply(client.post(f"/v1/threads/{thread_id}/speak", json=body))


@pytest.fixture
def http(sqlite_gateway: GatewayProcess) -> Iterator[httpx.Client]:
    with sqlite_gateway.client(sqlite_gateway.create_key(tier="studio")["api_key"]) as client:
        yield client


def test_npc_states_its_own_name_and_recalls_the_players(http: httpx.Client) -> None:
    thread_id = new_thread(http, "smith_k", "p-elara")
    who = say(http, thread_id, "Who are you?")
    assert "Brokk" in who and "smith_k" not in who
    say(http, thread_id, "My name is Elara, by the way.")
    for text in FILLER[:3]:
        say(http, thread_id, text)
    remembered = say(http, thread_id, "Do you remember my name?")
    assert "Elara" in remembered
    # Another player's thread with the same NPC knows nothing of Elara.
    other = new_thread(http, "smith_k", "p-other")
    assert "Elara" not in say(http, other, "Do you remember my name?")


def test_class_and_goal_are_recalled_when_asked(http: httpx.Client) -> None:
    thread_id = new_thread(http, "smith_k", "p-goal")
    say(http, thread_id, "I'm a ranger from the southern woods.")
    say(http, thread_id, "I'm looking for the lost crown of Valdris.")
    say(http, thread_id, FILLER[0])
    assert "ranger" in say(http, thread_id, "What am I, do you remember?").lower()
    assert "crown of Valdris" in say(http, thread_id, "Remind me, what am I searching for?")


def test_a_quoted_price_and_promise_hold_for_the_thread(http: httpx.Client) -> None:
    thread_id = new_thread(http, "smith_k", "p-price")
    first = figures(say(http, thread_id, "How much for a steel longsword?"))
    assert first and first[0].endswith("gold"), "a price question gets a price"
    ready = figures(say(http, thread_id, "When will the longsword be ready?"))
    assert ready, "a promise names a time"
    for text in FILLER[:4]:
        say(http, thread_id, text)
    assert figures(say(http, thread_id, "What was the price of the steel longsword again?")) == first
    assert figures(say(http, thread_id, "Is the steel longsword still the same price?")) == first
    assert figures(say(http, thread_id, "So when did you say the longsword would be done?")) == ready


def test_the_same_thread_and_request_give_the_same_replies(http: httpx.Client) -> None:
    script = ["Hello, smith.", "My name is Elara.", "How much for an axe?", *FILLER[:2], "What's my name?"]
    a, b = (new_thread(http, "smith_k", f"p-twin-{n}") for n in "ab")
    assert [say(http, a, t) for t in script] == [say(http, b, t) for t in script]


def test_chat_completions_with_npc_id_remember_through_the_openai_sdk(sqlite_gateway: GatewayProcess) -> None:
    key = sqlite_gateway.create_key(tier="studio")["api_key"]
    client = OpenAI(base_url=sqlite_gateway.base_url, api_key=key, max_retries=0)
    extra = {"npc_id": "smith_sdk", "player_id": "p-sdk"}
    history: list[dict[str, str]] = [{"role": "system", "content": BROKK}]
    replies = []
    for text in ["Who are you?", "Call me Kestrel.", "How much is a war hammer?", *FILLER[:2],
                 "What is my name?", "And the war hammer, what did it cost?"]:  # fmt: skip
        history.append({"role": "user", "content": text})
        completion = client.chat.completions.create(
            model="deepseek-chat",
            messages=history,  # type: ignore[arg-type]
            extra_body=extra,
        )
        content = completion.choices[0].message.content or ""
        history.append({"role": "assistant", "content": content})
        replies.append(content)
    assert "Brokk" in replies[0] and "smith_sdk" not in replies[0]
    assert "Kestrel" in replies[5]
    assert figures(replies[6]) == figures(replies[2]) != ()


@pytest.fixture(scope="module")
def small_window(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """A gateway whose NPC prompts keep only 4 messages word for word."""
    with running_gateway(
        Path(tmp_path_factory.mktemp("gw-window")), extra_env={"MG_NPC_WINDOW_MESSAGES": "4"}
    ) as gw:
        yield gw


def test_facts_and_prices_are_recalled_past_the_context_window(small_window: GatewayProcess) -> None:
    with small_window.client(small_window.create_key(tier="studio")["api_key"]) as client:
        thread_id = new_thread(client, "smith_w", "p-window")
        say(client, thread_id, "My name is Elara, by the way.")
        price = figures(say(client, thread_id, "How much for a steel longsword?"))
        for text in FILLER:
            say(client, thread_id, text)
        body = {"messages": [{"role": "user", "content": "Do you remember my name?"}]}
        asked = client.post(f"/v1/threads/{thread_id}/speak", json=body)
        memory = re.search(r"window=(\d+)", asked.headers["X-Monster-Memory"])
        assert memory is not None and int(memory.group(1)) <= 4, (
            "the fact is not in the window: it comes from memory"
        )
        assert "Elara" in reply(asked)
        assert figures(say(client, thread_id, "What do you charge for the steel longsword again?")) == price


def test_the_scripted_suite_recalls_facts_and_never_contradicts_itself(http: httpx.Client) -> None:
    total = Score()
    for conversation in load_suite():
        made = http.post("/v1/threads", json=thread_body(conversation, "p-suite"))
        assert made.status_code == 200, made.text
        replies = play(conversation, made.json()["id"], speaker(http))
        total.add(score_conversation(conversation, replies))
    # Figures measured with bench/run npc_recall (docs/npcs.md); a drop is a regression.
    assert total.contradictions + total.identity_wrong == 0, total.misses
    assert total.recall_rate >= 0.8, total.misses
    assert total.topics_hit == total.topics, total.misses
