"""Build a JSON value that satisfies a JSON Schema, with game-flavoured values.

The sandbox model answers ``response_format: json_schema`` and tool calls with documents made
here, so a game's parser meets realistic data offline: ``item_name`` reads like an item named after
the player's words, ``rarity`` comes from its enum, ``damage`` is a plausible integer inside the
schema's bounds. Choices are derived from :attr:`Hints.seed` and the value's path with ``hashlib``,
so the same schema and hints always give the same document.

Covered: ``type`` (also lists, with ``"null"``), ``enum``, ``const``, ``required``, numeric and
length bounds, ``multipleOf``, arrays (``items``, ``prefixItems``, ``minItems``/``maxItems``,
``uniqueItems``, ``contains``), nested objects, ``additionalProperties``, ``$ref`` into
``$defs``/``definitions``, ``allOf`` (merged), ``anyOf``/``oneOf`` (first branch that validates)
and the ``date-time``, ``date``, ``time``, ``email``, ``uri``, ``uuid``, ``hostname`` and ``ipv4``
formats. ``pattern`` is honoured only when a themed value happens to match it.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from local_gateway.lazy import LazyModule
from local_gateway.providers.sandbox.schema_themes import Hints, Theme, slug

if TYPE_CHECKING:
    from jsonschema import validators as jsonschema_validators
else:  # imported at first use: only structured output and schemas need it (see local_gateway.lazy)
    jsonschema_validators = LazyModule("jsonschema.validators")

__all__ = ["Hints", "generate", "merge_schemas"]

# Past this depth recursive schemas ($ref to themselves) only get what they require.
_MINIMAL_DEPTH = 6
_MAX_DEPTH = 24


def generate(schema: Mapping[str, Any] | bool, hints: Hints | None = None) -> Any:
    """Return a value valid against ``schema`` (as far as the covered keywords go)."""
    return _Generator(schema, hints or Hints()).value(schema, "$", "", 0)


def merge_schemas(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Combine two schemas that must both hold (``allOf``): bounds tighten, requirements add up."""
    out = dict(base)
    for key, new in extra.items():
        if key not in out:
            out[key] = new
            continue
        cur = out[key]
        if key == "properties" and isinstance(cur, Mapping) and isinstance(new, Mapping):
            props = dict(cur)
            for name, sub in new.items():
                both = isinstance(props.get(name), Mapping) and isinstance(sub, Mapping)
                props[name] = merge_schemas(props[name], sub) if both else sub
            out[key] = props
        elif key == "required":
            out[key] = list(dict.fromkeys([*cur, *new]))
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"):
            out[key] = max(cur, new)
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"):
            out[key] = min(cur, new)
        elif key == "type":
            out[key] = _intersect_types(cur, new)
        elif key == "enum":
            common = [v for v in cur if v in new]
            out[key] = common or new
        elif (
            key in ("items", "additionalProperties") and isinstance(cur, Mapping) and isinstance(new, Mapping)
        ):
            out[key] = merge_schemas(cur, new)
        elif key == "allOf":
            out[key] = [*cur, *new]
        elif key in ("anyOf", "oneOf"):
            # Two alternatives lists must both hold; keep the second as a conjunct.
            out["allOf"] = [*out.get("allOf", []), {key: new}]
        else:
            out[key] = new
    return out


def _intersect_types(a: Any, b: Any) -> Any:
    left = [a] if isinstance(a, str) else list(a)
    right = [b] if isinstance(b, str) else list(b)
    common = [t for t in left if t in right]
    # An integer is a number, so integer ∩ number is integer.
    if not common and {"integer", "number"} <= {*left, *right}:
        common = ["integer"]
    if not common:
        return b
    return common[0] if len(common) == 1 else common


class _Generator:
    def __init__(self, root: Mapping[str, Any] | bool, hints: Hints) -> None:
        self.root = root
        self.hints = hints
        self.theme = Theme(hints)
        try:
            cls = (
                jsonschema_validators.validator_for(root, default=jsonschema_validators.Draft202012Validator)
                if isinstance(root, Mapping)
                else None
            )
            self.validator = cls(root) if cls else None
        except Exception:
            # An odd schema must still get an answer; we just lose the self-check.
            self.validator = None

    # -- plumbing --------------------------------------------------------------------------
    def valid(self, value: Any, schema: Any) -> bool:
        if self.validator is None:
            return True
        try:
            return bool(self.validator.evolve(schema=schema).is_valid(value))
        except Exception:
            return True

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return {}
        node: Any = self.root
        for raw in ref[1:].split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~").replace("%25", "%")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node

    # -- dispatch --------------------------------------------------------------------------
    def value(self, schema: Any, path: str, name: str, depth: int, index: int = 0) -> Any:
        if schema is True or schema is None:
            schema = {}
        if schema is False:
            raise ValueError(f"schema at {path} admits no value")
        if depth > _MAX_DEPTH:
            return None
        if "$ref" in schema:
            target = self.resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            target = {} if target is True else target
            if target is False:
                raise ValueError(f"schema at {path} admits no value")
            return self.value(merge_schemas(target, rest), path, name, depth + 1, index)
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                if isinstance(part, Mapping) and "$ref" in part:
                    part = merge_schemas(
                        self.resolve(part["$ref"]) or {}, {k: v for k, v in part.items() if k != "$ref"}
                    )
                merged = merge_schemas(merged, part if isinstance(part, Mapping) else {})
            return self.value(merged, path, name, depth + 1, index)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.alternatives(schema, key, path, name, depth, index)
        if "enum" in schema:
            return self.enum(schema, path)
        kind = self.kind(schema, name)
        if kind == "null":
            return None
        if kind == "object":
            return self.obj(schema, path, depth, index)
        if kind == "array":
            return self.array(schema, path, name, depth)
        if kind == "boolean":
            return self.boolean(name, path)
        if kind == "integer":
            return self.integer(schema, path, name, index)
        if kind == "number":
            return self.number(schema, path, name, index)
        return self.string(schema, path, name, index)

    def kind(self, schema: Mapping[str, Any], name: str) -> str:
        declared = schema.get("type")
        if isinstance(declared, str):
            return declared
        if isinstance(declared, list) and declared:
            # Prefer a real value over null: nullable fields are where games break.
            concrete = [t for t in declared if t != "null"]
            if not concrete:
                return "null"
            guessed = self.theme.guess_kind(name)
            return guessed if guessed in concrete else concrete[0]
        if any(k in schema for k in ("properties", "required", "additionalProperties", "minProperties")):
            return "object"
        if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems", "contains")):
            return "array"
        if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
            return "integer"
        if any(k in schema for k in ("minLength", "maxLength", "format", "pattern")):
            return "string"
        return self.theme.guess_kind(name)

    # -- composite -------------------------------------------------------------------------
    def alternatives(
        self, schema: Mapping[str, Any], key: str, path: str, name: str, depth: int, index: int
    ) -> Any:
        base = {k: v for k, v in schema.items() if k != key}
        branches = [b for b in schema[key] if b is not False]
        if depth >= _MINIMAL_DEPTH:
            # Deep inside a recursive schema, prefer a branch that stops the recursion.
            branches.sort(key=lambda b: isinstance(b, Mapping) and "$ref" in b)
        first: Any = None
        for i, branch in enumerate(branches):
            sub = merge_schemas(base, {} if branch is True else branch)
            try:
                candidate = self.value(sub, f"{path}|{key}{i}", name, depth + 1, index)
            except ValueError:
                continue
            if i == 0:
                first = candidate
            if self.valid(candidate, schema):
                return candidate
        return first

    def obj(self, schema: Mapping[str, Any], path: str, depth: int, index: int = 0) -> dict[str, Any]:
        props: Mapping[str, Any] = schema.get("properties") or {}
        required = [k for k in schema.get("required", []) if isinstance(k, str)]
        minimal = depth >= _MINIMAL_DEPTH
        keys = list(dict.fromkeys([*required, *([] if minimal else props)]))
        cap = schema.get("maxProperties")
        if isinstance(cap, int) and len(keys) > cap:
            keys = keys[: max(cap, len(required))]
        extra = schema.get("additionalProperties", True)
        out: dict[str, Any] = {}
        for key in keys:
            sub = props.get(key, extra if isinstance(extra, Mapping) else {})
            out[key] = self.value(sub, f"{path}.{key}", key, depth + 1, index)
        wanted = schema.get("minProperties", 0)
        n = 1
        while len(out) < wanted and extra is not False:
            key = f"extra_{n}"
            out[key] = self.value(
                extra if isinstance(extra, Mapping) else {}, f"{path}.{key}", key, depth + 1
            )
            n += 1
        return out

    def array(self, schema: Mapping[str, Any], path: str, name: str, depth: int) -> list[Any]:
        prefix = schema.get("prefixItems")
        items = schema.get("items", {})
        if isinstance(items, list):  # draft 4-7 tuple form
            prefix, items = items, schema.get("additionalItems", {})
        prefix = list(prefix or [])
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        default = (
            len(prefix)
            if prefix and items is False
            else max(len(prefix), 0 if depth >= _MINIMAL_DEPTH else 2)
        )
        count = max(low, default)
        if isinstance(high, int):
            count = min(count, high)
        if items is False:
            count = min(count, len(prefix))
        singular = name[:-1] if name.endswith("s") and len(name) > 3 else name
        out: list[Any] = []
        contains = schema.get("contains")
        if contains is not None and count > 0 and not prefix:
            out.append(self.value(contains, f"{path}[c]", singular, depth + 1))
        attempt = 0
        while len(out) < count and attempt < count + 12:
            i = len(out)
            sub = prefix[i] if i < len(prefix) else items
            # Items share one path and differ by index, so pools are walked instead of re-drawn.
            candidate = self.value(sub, f"{path}[]", singular, depth + 1, index=i + attempt)
            attempt += 1
            if schema.get("uniqueItems") and candidate in out:
                continue
            out.append(candidate)
        return out

    # -- scalars ---------------------------------------------------------------------------
    def enum(self, schema: Mapping[str, Any], path: str) -> Any:
        options = list(schema["enum"])
        rest = {k: v for k, v in schema.items() if k != "enum"}
        fitting = [option for option in options if self.valid(option, rest)] or options
        for option in fitting:
            if isinstance(option, str) and self.theme.mentioned(option):
                return option
        return copy.deepcopy(fitting[self.theme.pick(path, len(fitting))])

    def boolean(self, name: str, path: str) -> bool:
        known = self.hints.values.get(name)
        return known if isinstance(known, bool) else self.theme.pick(path, 2) == 0

    def bounds(self, schema: Mapping[str, Any], name: str, integral: bool) -> tuple[float, float, int, int]:
        lo, hi = self.theme.int_range(name)
        step = 1 if integral else 0
        min_v = schema.get("minimum", -math.inf)
        if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
            min_v = max(min_v, schema["exclusiveMinimum"] + (step or 1e-9))
        max_v = schema.get("maximum", math.inf)
        if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
            max_v = min(max_v, schema["exclusiveMaximum"] - (step or 1e-9))
        return min_v, max_v, lo, hi

    def integer(self, schema: Mapping[str, Any], path: str, name: str, index: int) -> int:
        min_v, max_v, lo, hi = self.bounds(schema, name, integral=True)
        low, high = (
            math.ceil(min_v) if min_v > -math.inf else None,
            math.floor(max_v) if max_v < math.inf else None,
        )
        wanted = self.theme.known_number(name)
        if wanted is None:
            a = max(lo, low) if low is not None else lo
            b = min(hi, high) if high is not None else hi
            if a > b:  # thematic range lies outside the schema's bounds
                if low is not None:
                    a, b = low, low + 10
                else:
                    assert high is not None  # with neither bound, a and b are the theme's own range
                    a, b = high - 10, high
                if high is not None:
                    b = min(b, high)
            wanted = a + (self.theme.pick(path, b - a + 1) + index) % (b - a + 1)
        value = int(wanted)
        if low is not None:
            value = max(value, low)
        if high is not None:
            value = min(value, high)
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = _multiple_in(value, step, low, high)
        return int(value)

    def number(self, schema: Mapping[str, Any], path: str, name: str, index: int) -> float | int:
        step = schema.get("multipleOf")
        min_v, max_v, _, _ = self.bounds(schema, name, integral=False)
        if isinstance(step, (int, float)) and step > 0:
            for k in (*range(1, 64), *(2**n for n in range(6, 30))):
                for value in (k * step, -k * step, 0):
                    if min_v <= value <= max_v and (value / step) == int(value / step):
                        return value
            return 0
        unbounded = math.isinf(min_v) or math.isinf(max_v)
        if not unbounded and math.ceil(min_v) > math.floor(max_v):
            return (min_v + max_v) / 2  # no whole number fits: take the middle of the interval
        rest = {k: v for k, v in schema.items() if k not in ("type", "multipleOf")}
        base = self.integer(rest, path, name, index)
        # A fraction tells a number apart from an integer (matters for oneOf).
        for candidate in (base + 0.5, base - 0.5, float(base)):
            if min_v <= candidate <= max_v:
                return candidate
        return float(base)

    def string(self, schema: Mapping[str, Any], path: str, name: str, index: int) -> str:
        text = self.theme.string(schema.get("format"), path, name, index)
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            text = _fit_pattern(text, pattern)
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        if isinstance(high, int) and len(text) > high:
            text = text[:high].rstrip() if len(text[:high].rstrip()) >= low else text[:high]
        filler = " of legend"
        while len(text) < low:
            text += filler
        if isinstance(high, int):
            text = text[:high]
        return text


def _multiple_in(value: int, step: int, low: int | None, high: int | None) -> int:
    down = value - value % step
    up = down + step
    for candidate in (down, up, down - step):
        if (low is None or candidate >= low) and (high is None or candidate <= high):
            return candidate
    return down


def _fit_pattern(text: str, pattern: str) -> str:
    try:
        regex = re.compile(pattern)
    except re.error:
        return text
    for candidate in (text, slug(text), slug(text).replace("_", "-"), text.upper(), "a1", "A"):
        if regex.search(candidate):
            return candidate
    return text
