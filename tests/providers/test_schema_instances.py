"""The JSON instance generator behind ``response_format: json_schema`` and tool arguments."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from local_gateway.providers.sandbox.schema_instances import Hints, generate, merge_schemas

LOOT_DROP = {
    "type": "object",
    "properties": {
        "item_name": {"type": "string"},
        "rarity": {"type": "string", "enum": ["common", "uncommon", "rare", "epic", "legendary"]},
        "damage": {"type": "integer"},
        "effects": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["item_name", "rarity", "damage"],
}

STRICT_NPC = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "mood", "gold", "title", "companion"],
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 24},
        "mood": {"type": "string", "enum": ["calm", "angry", "afraid"]},
        "gold": {"type": ["integer", "null"], "minimum": 0, "maximum": 50},
        "title": {"type": ["string", "null"]},
        "companion": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["species"],
                    "properties": {"species": {"type": "string"}},
                },
            ]
        },
    },
}

SCHEMAS: dict[str, Any] = {
    "loot_drop": LOOT_DROP,
    "strict_nullable": STRICT_NPC,
    "bounded_numbers": {
        "type": "object",
        "required": ["level", "crit", "weight", "step", "speed"],
        "properties": {
            "level": {"type": "integer", "minimum": 70, "maximum": 80},
            "crit": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "weight": {"type": "number", "minimum": 2.5, "maximum": 2.5},
            "step": {"type": "integer", "multipleOf": 7, "minimum": 10, "maximum": 20},
            "speed": {"type": "number", "multipleOf": 0.25, "minimum": 1},
        },
    },
    "strings_with_lengths": {
        "type": "object",
        "required": ["code", "lore"],
        "properties": {
            "code": {"type": "string", "minLength": 40},
            "lore": {"type": "string", "maxLength": 5},
        },
    },
    "arrays": {
        "type": "object",
        "required": ["tags", "pair", "ids"],
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 4, "maxItems": 4},
            "pair": {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "items": False,
            },
            "ids": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 3},
                "uniqueItems": True,
                "minItems": 3,
            },
        },
    },
    "refs_to_defs": {
        "$defs": {
            "item": {
                "type": "object",
                "required": ["name", "price"],
                "properties": {"name": {"type": "string"}, "price": {"type": "integer", "minimum": 1}},
            }
        },
        "type": "object",
        "required": ["shop"],
        "properties": {"shop": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/item"}}},
    },
    "draft7_definitions": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"stat": {"type": "integer", "minimum": 1, "maximum": 20}},
        "type": "object",
        "required": ["str", "dex"],
        "properties": {"str": {"$ref": "#/definitions/stat"}, "dex": {"$ref": "#/definitions/stat"}},
    },
    "one_of_number_kinds": {
        "type": "object",
        "required": ["amount"],
        "properties": {"amount": {"oneOf": [{"type": "integer"}, {"type": "number"}]}},
    },
    "all_of_merge": {
        "allOf": [
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
            {"required": ["hp"], "properties": {"hp": {"type": "integer", "minimum": 5, "maximum": 9}}},
        ]
    },
    "const_and_enum": {
        "type": "object",
        "required": ["kind", "version", "slot"],
        "properties": {
            "kind": {"const": "quest"},
            "version": {"const": 3},
            "slot": {"enum": ["head", "chest", 7]},
        },
    },
    "formats": {
        "type": "object",
        "required": ["at", "contact", "link", "uid", "host", "ip", "day"],
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "contact": {"type": "string", "format": "email"},
            "link": {"type": "string", "format": "uri"},
            "uid": {"type": "string", "format": "uuid"},
            "host": {"type": "string", "format": "hostname"},
            "ip": {"type": "string", "format": "ipv4"},
            "day": {"type": "string", "format": "date"},
        },
    },
    "recursive_tree": {
        "$defs": {
            "node": {
                "type": "object",
                "required": ["label", "children"],
                "properties": {
                    "label": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
            }
        },
        "$ref": "#/$defs/node",
    },
    "min_properties_open_object": {
        "type": "object",
        "minProperties": 2,
        "additionalProperties": {"type": "boolean"},
    },
    "nested_objects": {
        "type": "object",
        "required": ["quest"],
        "properties": {
            "quest": {
                "type": "object",
                "required": ["title", "reward", "steps"],
                "properties": {
                    "title": {"type": "string"},
                    "reward": {
                        "type": "object",
                        "required": ["gold", "items"],
                        "properties": {
                            "gold": {"type": "integer", "minimum": 0},
                            "items": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "steps": {
                        "type": "array",
                        "minItems": 3,
                        "items": {
                            "type": "object",
                            "required": ["text"],
                            "properties": {"text": {"type": "string"}, "done": {"type": "boolean"}},
                        },
                    },
                },
            }
        },
    },
    "top_level_array": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 1},
    "type_inferred": {
        "properties": {"name": {}, "damage": {}, "effects": {}},
        "required": ["name", "damage", "effects"],
    },
}


def _validate(instance: Any, schema: Any) -> None:
    cls = validator_for(schema, default=Draft202012Validator)
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(instance)


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_generated_document_validates(name: str) -> None:
    schema = SCHEMAS[name]
    for seed in ("a", "b", "c"):
        _validate(
            generate(schema, Hints(topic="dragon boss", text="loot for a dragon boss", seed=seed)), schema
        )


def test_same_hints_same_document_and_seed_changes_it() -> None:
    hints = Hints(topic="dragon boss", seed="x")
    assert generate(LOOT_DROP, hints) == generate(LOOT_DROP, hints)
    damages = {generate(LOOT_DROP, Hints(topic="dragon boss", seed=str(n)))["damage"] for n in range(8)}
    assert len(damages) > 1


def test_values_are_themed_by_property_name_and_topic() -> None:
    loot = generate(
        LOOT_DROP, Hints(topic="dragon boss", text="Generate a loot drop for a dragon boss", seed="s")
    )
    assert loot["item_name"].startswith("Dragon")
    assert 12 <= loot["damage"] <= 120
    assert all(isinstance(e, str) and e for e in loot["effects"])
    assert len(set(loot["effects"])) == len(loot["effects"])


def test_enum_value_named_in_the_prompt_wins() -> None:
    loot = generate(LOOT_DROP, Hints(topic="sword", text="I want a legendary sword", seed="s"))
    assert loot["rarity"] == "legendary"
    assert loot["item_name"] == "Sword"


def test_known_values_fill_properties_of_the_same_name() -> None:
    schema = {
        "type": "object",
        "required": ["location", "gold"],
        "properties": {"location": {"type": "string"}, "gold": {"type": "integer"}},
    }
    out = generate(schema, Hints(values={"location": "Iron Forge", "gold": 42}))
    assert out == {"location": "Iron Forge", "gold": 42}


def test_price_named_in_the_prompt_is_used() -> None:
    schema = {"type": "object", "required": ["price"], "properties": {"price": {"type": "integer"}}}
    assert generate(schema, Hints(text="I'll sell it for 75 gold")) == {"price": 75}


def test_ids_are_slugs_of_the_topic() -> None:
    schema = {"type": "object", "required": ["quest_id"], "properties": {"quest_id": {"type": "string"}}}
    assert generate(schema, Hints(topic="Goblin Caves")) == {"quest_id": "goblin_caves"}
    assert generate(schema, Hints(things={"quest": "shop errand"})) == {"quest_id": "shop_errand"}


def test_nullable_fields_get_real_values() -> None:
    out = generate(STRICT_NPC, Hints(seed="n"))
    assert out["gold"] is not None and out["title"] is not None


def test_merge_schemas_tightens_bounds_and_unions_required() -> None:
    merged = merge_schemas(
        {"type": "number", "minimum": 1, "maximum": 10, "required": ["a"]},
        {"type": "integer", "minimum": 3, "maximum": 20, "required": ["b"]},
    )
    assert merged == {"type": "integer", "minimum": 3, "maximum": 10, "required": ["a", "b"]}


def test_false_schema_is_refused() -> None:
    with pytest.raises(ValueError):
        generate(False)
