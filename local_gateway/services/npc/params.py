"""Validation of thread request bodies: every error names the field (and the batch index)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_gateway.services.inference.params import RESPONSE_STYLES
from local_gateway.services.npc.actions import normalize_actions
from mg.errors import InvalidRequestError

ID_MAX = 200
PROMPT_MAX = 32_000
METADATA_MAX = 16 * 1024
STATE_MAX = 64 * 1024
GROUP_MIN, GROUP_MAX = 2, 20
BATCH_MAX = 50
UNSET: Any = object()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {int: "an integer", float: "a number", str: "a string", list: "an array", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _where(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def require_object(body: Any, where: str = "The request body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequestError(f"{where} must be a JSON object, got {_kind(body)}.")
    return body


def check_fields(body: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
    for name in body:
        if name not in allowed:
            raise InvalidRequestError(
                f"'{_where(prefix, name)}' is not a field here; allowed: {', '.join(sorted(allowed))}."
            )


def opt_id(body: dict[str, Any], name: str, prefix: str = "", nullable: bool = True) -> Any:
    if name not in body:
        return UNSET
    value = body[name]
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > ID_MAX:
        raise InvalidRequestError(
            f"'{_where(prefix, name)}' must be a non-empty string of at most {ID_MAX} characters, "
            f"got {_kind(value)}."
        )
    return value


def opt_text(body: dict[str, Any], name: str, prefix: str = "", limit: int = PROMPT_MAX) -> Any:
    if name not in body:
        return UNSET
    value = body[name]
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidRequestError(f"'{_where(prefix, name)}' must be a string of at most {limit} characters.")
    return value


def opt_object(body: dict[str, Any], name: str, prefix: str = "", limit: int = METADATA_MAX) -> Any:
    if name not in body:
        return UNSET
    value = body[name]
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequestError(f"'{_where(prefix, name)}' must be an object, got {_kind(value)}.")
    if len(json.dumps(value)) > limit:
        raise InvalidRequestError(f"'{_where(prefix, name)}' is larger than {limit // 1024} KB.")
    return value


def opt_style(body: dict[str, Any], name: str = "response_style", prefix: str = "") -> Any:
    if name not in body:
        return UNSET
    value = body[name]
    if value is None:
        return None
    if value not in RESPONSE_STYLES:
        raise InvalidRequestError(
            f"'{_where(prefix, name)}' must be one of {', '.join(RESPONSE_STYLES)}, got {value!r}."
        )
    return value


@dataclass
class ThreadSpec:
    """A thread to create (from POST /v1/threads or one entry of a batch)."""

    npc_id: str | None = None
    player_id: str | None = None
    npc_template: str | None = None
    system_prompt: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    response_style: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    actions: list[dict[str, Any]] | None = None
    # Fields the request named, so that an upsert changes only those.
    given: set[str] = field(default_factory=set)


_THREAD_FIELDS = {
    "npc_id", "player_id", "npc_template", "system_prompt", "metadata", "response_style", "state", "actions",
}  # fmt: skip


def _value(v: Any, default: Any = None) -> Any:
    return default if v is UNSET or v is None else v


def parse_thread(body: Any, prefix: str = "") -> ThreadSpec:
    body = require_object(body, f"'{prefix}'" if prefix else "The request body")
    check_fields(body, _THREAD_FIELDS, prefix)
    actions = body.get("actions")
    return ThreadSpec(
        npc_id=_value(opt_id(body, "npc_id", prefix)),
        player_id=_value(opt_id(body, "player_id", prefix)),
        npc_template=_value(opt_id(body, "npc_template", prefix)),
        system_prompt=_value(opt_text(body, "system_prompt", prefix)),
        metadata=_value(opt_object(body, "metadata", prefix), {}),
        response_style=_value(opt_style(body, prefix=prefix)),
        state=_value(opt_object(body, "state", prefix, STATE_MAX), {}),
        actions=None if actions is None else normalize_actions(actions, _where(prefix, "actions")),
        given=set(body),
    )


def parse_batch(body: Any) -> list[ThreadSpec]:
    body = require_object(body)
    check_fields(body, {"npcs"})
    npcs = body.get("npcs")
    if not isinstance(npcs, list) or not npcs:
        raise InvalidRequestError("'npcs' must be a non-empty array of NPC threads.")
    if len(npcs) > BATCH_MAX:
        raise InvalidRequestError(f"'npcs' has {len(npcs)} entries; a batch takes at most {BATCH_MAX}.")
    specs = []
    seen: dict[tuple[str, str | None], int] = {}
    for i, raw in enumerate(npcs):
        spec = parse_thread(raw, f"npcs[{i}]")
        if spec.npc_id is None:
            raise InvalidRequestError(f"Missing required field 'npcs[{i}].npc_id'.")
        key = (spec.npc_id, spec.player_id)
        if key in seen:
            raise InvalidRequestError(
                f"'npcs[{i}].npc_id' repeats {spec.npc_id!r} of npcs[{seen[key]}] for the same player."
            )
        seen[key] = i
        specs.append(spec)
    return specs


@dataclass
class Patch:
    values: dict[str, Any]
    add_npcs: list[dict[str, Any]] = field(default_factory=list)
    remove_npcs: list[str] = field(default_factory=list)


def parse_patch(body: Any) -> Patch:
    body = require_object(body)
    check_fields(body, _THREAD_FIELDS - {"state", "actions"} | {"add_npcs", "remove_npcs"})
    values = {
        "npc_id": opt_id(body, "npc_id"),
        "player_id": opt_id(body, "player_id"),
        "npc_template": opt_id(body, "npc_template"),
        "system_prompt": opt_text(body, "system_prompt"),
        "metadata": opt_object(body, "metadata"),
        "response_style": opt_style(body),
    }
    values = {k: v for k, v in values.items() if v is not UNSET}
    if "metadata" in values and values["metadata"] is None:
        values["metadata"] = {}
    add = body.get("add_npcs") or []
    if not isinstance(add, list):
        raise InvalidRequestError("'add_npcs' must be an array of NPCs.")
    remove = body.get("remove_npcs") or []
    if not isinstance(remove, list) or not all(isinstance(r, str) for r in remove):
        raise InvalidRequestError("'remove_npcs' must be an array of npc_id strings.")
    return Patch(values, [parse_participant(p, f"add_npcs[{i}]") for i, p in enumerate(add)], remove)


_PARTICIPANT_FIELDS = {"npc_id", "name", "npc_template", "system_prompt", "response_style", "knows_history"}


def parse_participant(raw: Any, prefix: str) -> dict[str, Any]:
    raw = require_object(raw, f"'{prefix}'")
    check_fields(raw, _PARTICIPANT_FIELDS, prefix)
    npc_id = opt_id(raw, "npc_id", prefix, nullable=False)
    if npc_id is UNSET:
        raise InvalidRequestError(f"Missing required field '{prefix}.npc_id'.")
    knows = raw.get("knows_history", False)
    if not isinstance(knows, bool):
        raise InvalidRequestError(f"'{prefix}.knows_history' must be a boolean.")
    return {
        "npc_id": npc_id,
        "name": _value(opt_text(raw, "name", prefix, ID_MAX)) or npc_id,
        "npc_template": _value(opt_id(raw, "npc_template", prefix)),
        "system_prompt": _value(opt_text(raw, "system_prompt", prefix)),
        "response_style": _value(opt_style(raw, prefix=prefix)),
        "knows_history": knows,
    }


@dataclass
class GroupSpec:
    npcs: list[dict[str, Any]]
    player_id: str | None
    system_prompt: str | None
    metadata: dict[str, Any]
    state: dict[str, Any]
    actions: list[dict[str, Any]] | None


def parse_group(body: Any) -> GroupSpec:
    body = require_object(body)
    check_fields(body, {"npcs", "player_id", "system_prompt", "metadata", "state", "actions"})
    npcs = body.get("npcs")
    if not isinstance(npcs, list):
        raise InvalidRequestError("'npcs' must be an array of NPCs (2 to 20).")
    if not GROUP_MIN <= len(npcs) <= GROUP_MAX:
        raise InvalidRequestError(f"'npcs' has {len(npcs)} NPCs; a group takes {GROUP_MIN} to {GROUP_MAX}.")
    parsed = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(npcs):
        if isinstance(raw, str):
            raw = {"npc_id": raw}
        p = parse_participant(raw, f"npcs[{i}]")
        if p["npc_id"] in seen:
            raise InvalidRequestError(
                f"'npcs[{i}].npc_id' repeats {p['npc_id']!r} of npcs[{seen[p['npc_id']]}]."
            )
        seen[p["npc_id"]] = i
        parsed.append(p)
    actions = body.get("actions")
    return GroupSpec(
        npcs=parsed,
        player_id=_value(opt_id(body, "player_id")),
        system_prompt=_value(opt_text(body, "system_prompt")),
        metadata=_value(opt_object(body, "metadata"), {}),
        state=_value(opt_object(body, "state", limit=STATE_MAX), {}),
        actions=None if actions is None else normalize_actions(actions),
    )


def parse_actions(body: Any) -> list[dict[str, Any]]:
    body = require_object(body)
    check_fields(body, {"actions"})
    if "actions" not in body:
        raise InvalidRequestError("Missing required field 'actions'.")
    return normalize_actions(body["actions"])


def parse_state(body: Any) -> dict[str, Any]:
    state = require_object(body, "The state")
    if len(json.dumps(state)) > STATE_MAX:
        raise InvalidRequestError(f"The state is larger than {STATE_MAX // 1024} KB.")
    return state


def parse_limit(raw: str | None, default: int = 20, maximum: int = 100) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequestError(f"'limit' must be an integer from 1 to {maximum}, got {raw!r}.") from None
    if not 1 <= value <= maximum:
        raise InvalidRequestError(f"'limit' must be an integer from 1 to {maximum}, got {value}.")
    return value


def parse_time(raw: Any, name: str) -> datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidRequestError(f"'{name}' must be an ISO-8601 time such as 2026-05-22T12:00:00Z.")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequestError(
            f"'{name}' must be an ISO-8601 time such as 2026-05-22T12:00:00Z, got {raw!r}."
        ) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class ExportSpec:
    format: str = "jsonl"
    npc_id: str | None = None
    player_id: str | None = None
    thread_ids: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_system: bool = True
    max_messages: int | None = None


def parse_export(body: Any) -> ExportSpec:
    body = require_object(body) if body is not None else {}
    check_fields(
        body,
        {"format", "npc_id", "player_id", "thread_ids", "since", "until", "include_system", "max_messages"},
    )
    fmt = body.get("format", "jsonl")
    if fmt not in ("jsonl", "json"):
        raise InvalidRequestError(f"'format' must be 'jsonl' or 'json', got {fmt!r}.")
    ids = body.get("thread_ids")
    if ids is not None and (
        not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > 1000
    ):
        raise InvalidRequestError("'thread_ids' must be an array of at most 1000 thread ids.")
    include_system = body.get("include_system", True)
    if not isinstance(include_system, bool):
        raise InvalidRequestError("'include_system' must be a boolean.")
    max_messages = body.get("max_messages")
    if max_messages is not None and (
        isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 2
    ):
        raise InvalidRequestError("'max_messages' must be an integer of at least 2.")
    since, until = parse_time(body.get("since"), "since"), parse_time(body.get("until"), "until")
    if since and until and since >= until:
        raise InvalidRequestError("'since' must be earlier than 'until'.")
    return ExportSpec(
        format=fmt,
        npc_id=_value(opt_id(body, "npc_id")),
        player_id=_value(opt_id(body, "player_id")),
        thread_ids=ids,
        since=since,
        until=until,
        include_system=include_system,
        max_messages=max_messages,
    )


APPEND_MAX = 1000
_APPEND_ROLES = ("user", "assistant", "system", "tool")


def parse_append(body: Any) -> list[dict[str, Any]]:
    body = require_object(body)
    check_fields(body, {"messages"})
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequestError("'messages' must be a non-empty array of messages.")
    if len(messages) > APPEND_MAX:
        raise InvalidRequestError(f"'messages' has {len(messages)} entries; at most {APPEND_MAX} a call.")
    out = []
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        m = require_object(m, f"'{where}'")
        check_fields(m, {"role", "content", "name", "tool_calls", "tool_call_id"}, where)
        if m.get("role") not in _APPEND_ROLES:
            raise InvalidRequestError(f"'{where}.role' must be one of {', '.join(_APPEND_ROLES)}.")
        content = m.get("content")
        if content is not None and not isinstance(content, str):
            raise InvalidRequestError(f"'{where}.content' must be a string.")
        if content is None and not m.get("tool_calls"):
            raise InvalidRequestError(f"Missing required field '{where}.content'.")
        name = opt_id(m, "name", where)
        calls = m.get("tool_calls")
        if calls is not None and (
            not isinstance(calls, list)
            or not all(isinstance((c or {}).get("function"), dict) for c in calls if isinstance(c, dict))
            or not all(isinstance(c, dict) for c in calls)
        ):
            raise InvalidRequestError(f"'{where}.tool_calls' must be an array of function calls.")
        out.append(
            {
                "role": m["role"],
                "content": content,
                "name": _value(name),
                "tool_calls": m.get("tool_calls"),
                "tool_call_id": m.get("tool_call_id"),
            }
        )
    return out
