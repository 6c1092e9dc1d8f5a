"""Structured output: a 200 answer always validates against the caller's JSON Schema.

Schemas are checked before any model is called (invalid or unsupported → 400 that names the
problem). Every answer is parsed and validated; on failure the model is asked once more, shown its
answer and the validation error; if that answer fails too the caller gets
:class:`InvalidModelOutputError` (502), never invalid JSON with a 200.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from local_gateway.lazy import LazyModule
from local_gateway.providers.base import Completion, Usage
from local_gateway.services.inference.params import check_schema
from mg.errors import InvalidModelOutputError, InvalidRequestError

if TYPE_CHECKING:
    import jsonschema
    from jsonschema import exceptions as jsonschema_exceptions
    from jsonschema import validators as jsonschema_validators
else:  # imported at first use: only structured output and schemas need it (see local_gateway.lazy)
    jsonschema = LazyModule("jsonschema")
    jsonschema_exceptions = LazyModule("jsonschema.exceptions")
    jsonschema_validators = LazyModule("jsonschema.validators")

MAX_DEPTH = 32
_UNSUPPORTED = {"$dynamicRef": "$dynamicRef", "$recursiveRef": "$recursiveRef"}
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


def check_supported(schema: Any, where: str) -> None:
    """Reject what is valid JSON Schema but that no provider can be asked for."""
    check_schema(schema, where)
    is_object = schema.get("type") == "object" or (
        "type" not in schema and isinstance(schema.get("properties"), dict)
    )
    if not is_object:
        raise InvalidRequestError(
            f'\'{where}\' must describe a JSON object ("type": "object") at its root; '
            "wrap other values in a property."
        )
    _walk(schema, where, 0)


def _walk(node: Any, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidRequestError(f"'{where}' nests deeper than {MAX_DEPTH} levels, which is not supported.")
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{where}.{key}"
            if key in _UNSUPPORTED:
                raise InvalidRequestError(f"'{path}' is not supported; use $defs with local $ref instead.")
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                raise InvalidRequestError(
                    f"'{path}' points outside the schema ({value!r}); only local references "
                    "(#/$defs/...) are supported."
                )
            _walk(value, path, depth + 1)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk(value, f"{where}[{i}]", depth + 1)


def parse_answer(content: str | None) -> tuple[Any, str]:
    """The JSON value of an answer and its canonical text; ValueError when it is not JSON."""
    text = (content or "").strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    if not text:
        raise ValueError("the answer is empty")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"the answer is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    return value, text


def validation_error(value: Any, schema: dict[str, Any]) -> str | None:
    validator = jsonschema_validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())
    error = jsonschema_exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    path = "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f"at $ {path or '(root)'}: {error.message}"


def _reask(content: str | None, problem: str) -> list[dict[str, Any]]:
    return [
        {"role": "assistant", "content": content or ""},
        {
            "role": "user",
            "content": (
                f"That answer is invalid: {problem}. Reply again with only the corrected JSON, "
                "valid against the schema, and no other text."
            ),
        },
    ]


def check(completion: Completion, schema: dict[str, Any]) -> tuple[Any, str | None]:
    """``(value, None)`` for a valid answer (content made canonical), ``(None, problem)`` otherwise."""
    try:
        value, text = parse_answer(completion.content)
    except ValueError as exc:
        return None, str(exc)
    problem = validation_error(value, schema)
    if problem is None:
        completion.content = text
    return value, problem


async def complete_valid(
    messages: list[dict[str, Any]],
    schema: dict[str, Any],
    run: Callable[[list[dict[str, Any]]], Awaitable[Completion]],
) -> tuple[Completion, Any]:
    """Run, validate, re-ask once with the error; the completion's usage covers both calls."""
    first = await run(messages)
    if first.tool_calls and not first.content:
        return first, None  # the model called one of the caller's tools instead of answering
    value, problem = check(first, schema)
    if problem is None:
        return first, value
    second = await run([*messages, *_reask(first.content, problem)])
    second.usage = Usage(
        first.usage.prompt_tokens + second.usage.prompt_tokens,
        first.usage.completion_tokens + second.usage.completion_tokens,
    )
    if second.tool_calls and not second.content:
        return second, None
    value, problem = check(second, schema)
    if problem is None:
        return second, value
    err = InvalidModelOutputError(
        f"The model could not produce output that validates against the schema: {problem}."
    )
    err.usage = second.usage  # billed all the same
    raise err
