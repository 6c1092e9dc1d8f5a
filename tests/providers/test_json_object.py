"""Reading the wanted JSON object out of a prompt (``response_format: json_object``)."""

from __future__ import annotations

from local_gateway.providers.sandbox.json_object import wanted_schema


def test_named_keys_and_their_type_hints() -> None:
    schema = wanted_schema("Answer in JSON with keys name, rarity and damage (integer).")
    assert schema is not None and schema["required"] == ["name", "rarity", "damage"]
    assert schema["properties"]["damage"] == {"type": "integer"} and schema["properties"]["name"] == {}


def test_a_json_example_types_each_key_after_its_value() -> None:
    schema = wanted_schema('Reply like {"item": "Iron sword", "price": 40, "tags": ["steel"], "sold": false}')
    assert schema is not None
    assert schema["required"] == ["item", "price", "tags", "sold"]
    kinds = {k: v["type"] for k, v in schema["properties"].items()}
    assert kinds == {"item": "string", "price": "integer", "tags": "array", "sold": "boolean"}
    named = wanted_schema('Use {"gold": "integer", "mood": "string"}.')
    assert named is not None and named["properties"]["gold"] == {"type": "integer"}


def test_an_example_that_is_not_json_still_names_its_keys() -> None:
    schema = wanted_schema('Reply in JSON like {"item": ..., "price": ...}.')
    assert schema is not None and schema["required"] == ["item", "price"]


def test_the_last_json_schema_wins_over_examples_before_it() -> None:
    prompt = (
        'For the schema {"properties": {"foo": {"type": "array"}}, "required": ["foo"]} the object '
        '{"foo": ["bar"]} is well formatted.\nHere is the output schema:\n```\n'
        '{"properties": {"title": {"type": "string"}, "level": {"type": "integer", "minimum": 3}},'
        ' "required": ["title", "level"]}\n```'
    )
    schema = wanted_schema(prompt)
    assert schema is not None and list(schema["properties"]) == ["title", "level"]
    assert schema["properties"]["level"]["minimum"] == 3


def test_a_prompt_that_names_nothing_gives_none() -> None:
    assert wanted_schema("Tell me about the weather in the valley.") is None
    assert wanted_schema("Braces {like this} are not JSON.") is None
