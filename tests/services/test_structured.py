"""Structured output: schema checks first, every answer validated, one repair, then an error."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from local_gateway.providers.base import Completion, Usage
from local_gateway.services.inference.structured import check_supported, complete_valid, parse_answer
from mg.errors import InvalidModelOutputError, InvalidRequestError

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "damage": {"type": "integer", "minimum": 0}},
    "required": ["name", "damage"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "object", "properties": {"a": {"type": "strin"}}}, "not a valid JSON Schema"),
        ({"type": "array", "items": {"type": "string"}}, "must describe a JSON object"),
        ({"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}, "points outside"),
        ({"type": "object", "properties": {"a": {"$dynamicRef": "#x"}}}, "$dynamicRef"),
    ],
)
def test_bad_schemas_are_named(schema: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        check_supported(schema, "response_format.json_schema.schema")
    assert problem in err.value.message and "response_format.json_schema.schema" in err.value.message


def test_fenced_answers_are_accepted() -> None:
    assert parse_answer('```json\n{"a": 1}\n```') == ({"a": 1}, '{"a": 1}')
    with pytest.raises(ValueError):
        parse_answer("Sure! Here you go")


def runner(*answers: str | None):  # type: ignore[no-untyped-def]
    seen: list[list[dict[str, Any]]] = []
    queue = list(answers)

    async def run(messages: list[dict[str, Any]]) -> Completion:
        seen.append(messages)
        return Completion(queue.pop(0), None, "stop", Usage(10, 5))

    return run, seen


async def test_valid_answer_passes_once() -> None:
    run, seen = runner('{"name": "Axe", "damage": 7}')
    _result, value = await complete_valid([{"role": "user", "content": "x"}], SCHEMA, run)
    assert value == {"name": "Axe", "damage": 7} and len(seen) == 1


async def test_invalid_answer_is_repaired_with_the_error() -> None:
    run, seen = runner('{"name": "Axe", "damage": -3}', '{"name": "Axe", "damage": 3}')
    result, value = await complete_valid([{"role": "user", "content": "x"}], SCHEMA, run)
    assert value["damage"] == 3
    reask = seen[1][-1]["content"]
    assert ("damage" in reask and "minimum" in reask.lower()) or "less than" in reask
    assert seen[1][-2] == {"role": "assistant", "content": '{"name": "Axe", "damage": -3}'}
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (20, 10)
    assert json.loads(result.content or "") == value


async def test_twice_invalid_is_an_error_never_a_200() -> None:
    run, seen = runner("not json", '{"name": "Axe"}')
    with pytest.raises(InvalidModelOutputError) as err:
        await complete_valid([{"role": "user", "content": "x"}], SCHEMA, run)
    assert err.value.status == 502 and err.value.code == "INVALID_MODEL_OUTPUT"
    assert "'damage' is a required property" in err.value.message
    assert "not valid JSON" in seen[1][-1]["content"]


def test_jsonschema_is_imported_by_the_first_schema_not_by_the_gateway_start() -> None:
    # About 2 MiB of every gateway's RSS (docs/performance.md, issue #14); a fresh interpreter,
    # since this test process has long imported it.
    code = (
        "import sys\n"
        "import local_gateway.app\n"
        "from local_gateway.services.npc.templates import load_templates\n"
        "from local_gateway.services.inference.structured import validation_error\n"
        "assert load_templates().get('merchant').actions\n"
        "assert 'jsonschema' not in sys.modules, 'imported at start'\n"
        "print(validation_error(1, {'type': 'string'}))\n"
        "assert 'jsonschema' in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "1 is not of type 'string'" in out.stdout
