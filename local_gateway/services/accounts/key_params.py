"""Validation of the key-management request bodies (one clear 400 per mistake)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mg.errors import InvalidRequestError

MAX_GRACE_HOURS = 168.0
MAX_NAME = 200


@dataclass(frozen=True)
class NewKeyParams:
    environment: str
    name: str | None


@dataclass(frozen=True)
class RotateParams:
    key_id: str | None
    grace: timedelta | None


def _object(body: Any, allowed: set[str]) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidRequestError(
            f"Unknown field {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}.",
        )
    return body


def _name(body: dict[str, Any]) -> str | None:
    name = body.get("name")
    if name is None:
        return None
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise InvalidRequestError(f"'name' must be a string of at most {MAX_NAME} characters.")
    return name.strip() or None


def parse_new_key(body: Any) -> NewKeyParams:
    fields = _object(body, {"environment", "name"})
    environment = fields.get("environment", "test")
    if environment not in ("test", "live"):
        raise InvalidRequestError(f"'environment' must be 'test' or 'live', got {str(environment)[:20]!r}.")
    return NewKeyParams(environment, _name(fields))


def parse_new_token(body: Any) -> str | None:
    return _name(_object(body, {"name"}))


def parse_rotate(body: Any) -> RotateParams:
    fields = _object(body, {"key_id", "grace_hours"})
    key_id = fields.get("key_id")
    if key_id is not None and (not isinstance(key_id, str) or not key_id or len(key_id) > 40):
        raise InvalidRequestError("'key_id' must be the id of one of your keys (key_…).")
    hours = fields.get("grace_hours")
    grace = None
    if hours is not None:
        if (
            isinstance(hours, bool)
            or not isinstance(hours, int | float)
            or not math.isfinite(hours)
            or not 0 <= hours <= MAX_GRACE_HOURS
        ):
            raise InvalidRequestError(f"'grace_hours' must be a number from 0 to {MAX_GRACE_HOURS:g}.")
        grace = timedelta(hours=float(hours))
    return RotateParams(key_id, grace)
