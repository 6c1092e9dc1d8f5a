"""Model "monster-gpt": classify the last user message, inject the specialist, route to its model."""

from __future__ import annotations

import time
from pathlib import Path

from openai import OpenAI

from tests.support.fake_upstreams import Upstreams
from tests.support.gateway_process import GatewayProcess, running_gateway

NETCODE = "How do I implement rollback netcode for a fighting game in Unreal Engine 5?"


def ask(gw: GatewayProcess, key: str, text: str, **kwargs):  # type: ignore[no-untyped-def]
    client = OpenAI(base_url=gw.base_url, api_key=key, max_retries=0)
    return client.chat.completions.with_raw_response.create(
        model="monster-gpt", messages=[{"role": "user", "content": text}], **kwargs
    )


def test_starter_gets_the_specialist(wired: tuple[GatewayProcess, Upstreams]) -> None:
    gw = wired[0]
    response = ask(gw, gw.create_key(tier="starter")["api_key"], NETCODE)
    assert response.headers["x-monster-discipline"] == "multiplayer"
    assert response.headers["x-monster-specialist"] == "Network Engineer"
    # Test gateways run with MG_CLASSIFIER_SEMANTIC=off: the lexical layers decided.
    assert response.headers["x-monster-classifier"] == "lexical"
    assert response.parse().choices[0].message.content


def test_free_and_payg_get_general_only(wired: tuple[GatewayProcess, Upstreams]) -> None:
    gw = wired[0]
    for tier in ("free", "payg"):
        response = ask(gw, gw.create_key(tier=tier)["api_key"], NETCODE)
        assert response.headers["x-monster-discipline"] == "general"


def test_live_key_reaches_the_backend_with_the_specialist_prompt(
    wired: tuple[GatewayProcess, Upstreams], upstreams: Upstreams
) -> None:
    gw = wired[0]
    key = gw.create_key(tier="free", live=True)["api_key"]
    response = ask(gw, key, NETCODE, stream=True)
    chunks = list(response.parse())
    assert response.headers["x-monster-discipline"] == "general"
    model = response.headers["x-monster-model"]
    assert {c.model for c in chunks} == {model}
    calls = [
        c
        for fake in upstreams.fakes.values()
        for c in fake.requests
        if c.route.endswith(("chat", "messages"))
    ]
    assert len(calls) == 1
    sent = calls[0].body
    system = sent.get("system") or sent["messages"][0]["content"]
    assert "Engineer" in str(system) or "game" in str(system).lower()
    assert NETCODE in str(sent["messages"])


# Unambiguous questions, one craft each: with the semantic layer on, every one must still land.
UNAMBIGUOUS = {
    NETCODE: "multiplayer",
    "my explosion sound effects clip and distort when many play at once": "audio",
    "How do I make my NPC guards patrol and chase the player using a behaviour tree?": "ai_programming",
    "What should I write on my Steam page to get more wishlists?": "marketing",
    "the game stutters every few seconds while the average fps is fine": "optimization",
    "How do I translate my game into Japanese with string tables?": "localization",
    "My ragdoll explodes when it touches a moving platform": "physics",
}
# Close enough for the lexical layers that the MiniLM layer is asked.
CLOSE_CALL = ("it looks off somehow when the sun goes down", "lighting")


def test_the_default_install_classifies_close_calls_by_meaning(tmp_path: Path) -> None:
    with running_gateway(tmp_path, extra_env={"MG_CLASSIFIER_SEMANTIC": "auto"}) as gw:
        key = gw.create_key(tier="starter")["api_key"]
        # Until the warm-up has embedded the disciplines (seconds), close calls stay lexical.
        deadline = time.monotonic() + 120
        while True:
            response = ask(gw, key, CLOSE_CALL[0])
            if response.headers["x-monster-classifier"] == "semantic" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert response.headers["x-monster-classifier"] == "semantic"
        assert response.headers["x-monster-discipline"] == CLOSE_CALL[1]
        for text, discipline in UNAMBIGUOUS.items():
            assert ask(gw, key, text).headers["x-monster-discipline"] == discipline, text
