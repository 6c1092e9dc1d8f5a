"""``response_format: json_object`` answers the object the prompt describes, judged by LangChain's
``with_structured_output(method="json_mode")`` (a Pydantic model validates it) and by the openai SDK."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from langchain_core.output_parsers import PydanticOutputParser
from langchain_openai import ChatOpenAI
from openai import OpenAI
from pydantic import BaseModel, Field, SecretStr

from tests.support.gateway_process import GatewayProcess

MODEL = "deepseek-chat"


class Weapon(BaseModel):
    name: str
    rarity: str
    damage: int


class Offer(BaseModel):
    item: str
    price: int
    in_stock: bool


class Quest(BaseModel):
    title: str = Field(description="the quest's name")
    difficulty: Literal["easy", "hard", "deadly"]
    reward_gold: int = Field(ge=10, le=500)
    steps: list[str] = Field(min_length=2)


@pytest.fixture
def llm(gateway: GatewayProcess, api_key: str) -> ChatOpenAI:
    return ChatOpenAI(base_url=gateway.base_url, api_key=SecretStr(api_key), model=MODEL, max_retries=0)


def test_langchain_json_mode_gets_the_keys_the_prompt_names(llm: ChatOpenAI) -> None:
    structured = llm.with_structured_output(Weapon, method="json_mode", include_raw=True)
    answer = structured.invoke(
        [
            ("system", "You are a blacksmith. Answer in JSON with keys name, rarity and damage (integer)."),
            ("user", "Forge me a legendary axe."),
        ]
    )
    weapon = answer["parsed"]
    assert isinstance(weapon, Weapon) and "Axe" in weapon.name and weapon.damage > 0
    assert set(json.loads(answer["raw"].content)) == {"name", "rarity", "damage"}, "a type hint is no key"


def test_langchain_json_mode_follows_a_json_example(llm: ChatOpenAI) -> None:
    structured = llm.with_structured_output(Offer, method="json_mode", include_raw=True)
    system = (
        'You are a merchant. Reply only with JSON like {"item": "Iron sword", "price": 40, "in_stock": true}.'
    )
    answer = structured.invoke([("system", system), ("user", "What would a scroll of fireball cost?")])
    assert isinstance(answer["parsed"], Offer) and answer["parsed"].item
    raw = json.loads(answer["raw"].content)
    # Typed as the example's values are, not only something Pydantic can coerce.
    assert (
        isinstance(raw["price"], int) and isinstance(raw["in_stock"], bool) and isinstance(raw["item"], str)
    )


def test_langchain_json_mode_follows_the_parser_format_instructions(llm: ChatOpenAI) -> None:
    instructions = PydanticOutputParser(pydantic_object=Quest).get_format_instructions()
    structured = llm.with_structured_output(Quest, method="json_mode")
    quest = structured.invoke(
        [("system", f"You are a quest giver.\n{instructions}"), ("user", "Give me a quest in the swamp.")]
    )
    assert isinstance(quest, Quest)  # the enum, bounds and minimum length read from the schema


def test_openai_sdk_json_object_has_exactly_the_named_keys(gateway: GatewayProcess, api_key: str) -> None:
    client = OpenAI(base_url=gateway.base_url, api_key=api_key, max_retries=0)
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are an innkeeper."},
            {
                "role": "user",
                "content": "Describe a room. Respond in JSON with fields room, price_gold and view.",
            },
        ],
        response_format={"type": "json_object"},
    )
    room = json.loads(completion.choices[0].message.content or "")
    assert set(room) == {"room", "price_gold", "view"}
    plain = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Hello there, innkeeper."}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(plain.choices[0].message.content or ""), dict)  # some object, always
