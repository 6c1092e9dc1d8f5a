"""Validation of a chat completion body: every wrong field gets an error that names it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from local_gateway.lazy import LazyModule
from mg.errors import InvalidMaxTokensError, InvalidRequestError, InvalidRoleError

if TYPE_CHECKING:
    from jsonschema import exceptions as jsonschema_exceptions
    from jsonschema import validators as jsonschema_validators
else:  # imported at first use: only structured output and schemas need it (see local_gateway.lazy)
    jsonschema_exceptions = LazyModule("jsonschema.exceptions")
    jsonschema_validators = LazyModule("jsonschema.validators")

ROLES = ("system", "user", "assistant", "tool", "developer")
RESPONSE_STYLES = ("terse", "normal", "verbose", "dramatic")
MAX_TOKENS_LIMIT = 128_000
MAX_CHOICES = 128  # OpenAI's limit on ``n``
MAX_TOP_LOGPROBS = 20
_ID_MAX = 200


@dataclass
class ChatParams:
    # None only for an NPC told to speak: the conversation service then picks the thread's model.
    model: str | None
    messages: list[dict[str, Any]]
    stream: bool = False
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    include_usage: bool = False
    user: str | None = None
    n: int = 1
    logprobs: bool = False
    top_logprobs: int | None = None
    npc_id: str | None = None
    npc_template: str | None = None
    player_id: str | None = None
    thread_id: str | None = None
    response_style: str | None = None
    allow_fallback: bool = False
    extensions: dict[str, Any] = field(default_factory=dict)


def _type_error(name: str, expected: str, value: Any) -> InvalidRequestError:
    return InvalidRequestError(f"'{name}' must be {expected}, got {_kind(value)}.")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {int: "an integer", float: "a number", str: "a string", list: "an array", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _opt_str(body: dict[str, Any], name: str, limit: int = _ID_MAX) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _type_error(name, "a string", value)
    if not value.strip() or len(value) > limit:
        raise InvalidRequestError(f"'{name}' must be a non-empty string of at most {limit} characters.")
    return value


def _opt_number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(name, "a number", value)
    if not low <= value <= high:
        raise InvalidRequestError(f"'{name}' must be between {low:g} and {high:g}, got {value}.")
    return float(value)


def _opt_bool(body: dict[str, Any], name: str, where: str | None = None) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _type_error(where or name, "a boolean", value)
    return value


def parse_messages(raw: Any, required: bool = True) -> list[dict[str, Any]]:
    if raw is None and not required:
        return []
    if raw is None:
        raise InvalidRequestError("Missing required field 'messages'.")
    if not isinstance(raw, list):
        raise _type_error("messages", "an array of message objects", raw)
    if not raw and required:
        raise InvalidRequestError("'messages' must contain at least one message.")
    out = []
    for i, message in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _type_error(where, "an object", message)
        role = message.get("role")
        if role is None:
            raise InvalidRequestError(f"Missing required field '{where}.role'.")
        if role not in ROLES:
            raise InvalidRoleError(
                f"'{where}.role' is {role!r}; allowed roles are system, user, assistant, tool."
            )
        content = message.get("content")
        if content is None and not (role == "assistant" and message.get("tool_calls")):
            raise InvalidRequestError(f"Missing required field '{where}.content'.")
        if content is not None and not isinstance(content, str | list):
            raise _type_error(f"{where}.content", "a string or an array of content parts", content)
        if isinstance(content, list):
            for j, part in enumerate(content):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    raise InvalidRequestError(f"'{where}.content[{j}]' must be an object with a 'type'.")
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise InvalidRequestError(f"Missing required field '{where}.tool_call_id' for a tool message.")
        calls = message.get("tool_calls")
        if calls is not None:
            _check_tool_calls(calls, f"{where}.tool_calls")
        out.append(dict(message, role="system" if role == "developer" else role))
    return out


def _check_tool_calls(calls: Any, where: str) -> None:
    if not isinstance(calls, list):
        raise _type_error(where, "an array", calls)
    for j, call in enumerate(calls):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise InvalidRequestError(f"'{where}[{j}].function.name' is required.")


def parse_tools(raw: Any) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise _type_error("tools", "an array", raw)
    names = set()
    for i, tool in enumerate(raw):
        where = f"tools[{i}]"
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            raise InvalidRequestError(f"'{where}' must be an object with type 'function'.")
        fn = tool.get("function")
        if not isinstance(fn, dict):
            raise InvalidRequestError(f"Missing required field '{where}.function'.")
        name = fn.get("name")
        if not isinstance(name, str) or not name or len(name) > 64:
            raise InvalidRequestError(f"'{where}.function.name' must be a string of 1-64 characters.")
        if name in names:
            raise InvalidRequestError(f"'{where}.function.name' repeats the tool name {name!r}.")
        names.add(name)
        params = fn.get("parameters")
        if params is not None:
            check_schema(params, f"{where}.function.parameters")
    return raw


def check_schema(schema: Any, where: str) -> None:
    if not isinstance(schema, dict):
        raise _type_error(where, "a JSON Schema object", schema)
    try:
        jsonschema_validators.validator_for(schema).check_schema(schema)
    except jsonschema_exceptions.SchemaError as exc:
        raise InvalidRequestError(f"'{where}' is not a valid JSON Schema: {exc.message}") from exc


def _npc_turn(body: dict[str, Any]) -> bool:
    return any(body.get(k) is not None for k in ("npc_id", "thread_id", "npc_template"))


def parse_tool_choice(raw: Any, tools: list[dict[str, Any]] | None, known_tools: bool = True) -> Any:
    """Check ``tool_choice``; against ``tools`` only when they are all the tools (``known_tools``)."""
    if raw is None:
        return None
    if raw in ("none", "auto", "required"):
        if raw == "required" and not tools and known_tools:
            raise InvalidRequestError("'tool_choice' is 'required' but no 'tools' were given.")
        return raw
    if isinstance(raw, dict) and isinstance((raw.get("function") or {}).get("name"), str):
        name = raw["function"]["name"]
        if known_tools and name not in {t["function"]["name"] for t in tools or ()}:
            raise InvalidRequestError(f"'tool_choice' names the function {name!r}, which is not in 'tools'.")
        return raw
    raise InvalidRequestError("'tool_choice' must be 'none', 'auto', 'required' or a function object.")


def parse_response_format(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _type_error("response_format", "an object", raw)
    kind = raw.get("type")
    if kind in ("text", "json_object"):
        return raw
    if kind != "json_schema":
        raise InvalidRequestError("'response_format.type' must be 'text', 'json_object' or 'json_schema'.")
    spec = raw.get("json_schema")
    if not isinstance(spec, dict):
        raise InvalidRequestError("Missing required field 'response_format.json_schema'.")
    if not isinstance(spec.get("name", "response"), str):
        raise _type_error("response_format.json_schema.name", "a string", spec.get("name"))
    schema = spec.get("schema")
    if schema is None:
        raise InvalidRequestError("Missing required field 'response_format.json_schema.schema'.")
    check_schema(schema, "response_format.json_schema.schema")
    return raw


def _opt_int(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(name, "an integer", value)
    if not low <= value <= high:
        raise InvalidRequestError(f"'{name}' must be between {low} and {high}, got {value}.")
    return value


def parse_choices(body: dict[str, Any], speak: bool = False) -> tuple[int, bool, int | None]:
    """``n``, ``logprobs`` and ``top_logprobs``, checked as OpenAI checks them (``speak``: an
    NPC told to speak, a turn of its thread)."""
    n = _opt_int(body, "n", 1, MAX_CHOICES) or 1
    logprobs = bool(_opt_bool(body, "logprobs"))
    top = _opt_int(body, "top_logprobs", 0, MAX_TOP_LOGPROBS)
    if top is not None and not logprobs:
        raise InvalidRequestError("'top_logprobs' needs 'logprobs': true.")
    if n > 1 and (speak or _npc_turn(body)):
        raise InvalidRequestError(
            f"'n' is {n}, but an NPC turn has one reply (the thread keeps it); send n=1 or leave it out."
        )
    if logprobs and (speak or _npc_turn(body)):
        raise InvalidRequestError(
            "'logprobs' is not supported on an NPC turn: the reply is checked and may be rewritten "
            "(the NPC's voice, its actions), so the model's token log probabilities would not be "
            "the reply's; leave it out."
        )
    if n > 1 and (body.get("response_format") or {}).get("type") == "json_schema":
        raise InvalidRequestError(
            f"'n' is {n}, but a validated json_schema answer is one choice; send n=1 or leave it out."
        )
    return n, logprobs, top


def parse_chat(body: Any, *, speak: bool = False) -> ChatParams:
    """A chat body as :class:`ChatParams`; ``speak`` (an NPC told to speak) needs neither
    ``messages`` nor ``model``."""
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    model = body.get("model")
    if speak and not model:
        model = None  # the thread's own model
    if model is None and not speak:
        raise InvalidRequestError("Missing required field 'model'.")
    if model is not None and (not isinstance(model, str) or not model.strip() or len(model) > _ID_MAX):
        raise _type_error("model", "a non-empty string", model)
    messages = parse_messages(body.get("messages"), required=not speak)
    tokens_field = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    max_tokens = body.get(tokens_field)
    if max_tokens is not None and (
        isinstance(max_tokens, bool)
        or not isinstance(max_tokens, int)
        or not 1 <= max_tokens <= MAX_TOKENS_LIMIT
    ):
        raise InvalidMaxTokensError(
            f"'{tokens_field}' must be an integer from 1 to 128000, got {max_tokens!r}."
        )
    stop = body.get("stop")
    if isinstance(stop, str):
        stop = [stop]
    if stop is not None and (
        not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) for s in stop)
    ):
        raise InvalidRequestError("'stop' must be a string or an array of at most 4 strings.")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _type_error("seed", "an integer", seed)
    tools = parse_tools(body.get("tools"))
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _type_error("stream_options", "an object", options)
    include_usage = _opt_bool(options or {}, "include_usage", "stream_options.include_usage")
    n, logprobs, top_logprobs = parse_choices(body, speak)
    style = _opt_str(body, "response_style")
    if style is not None and style not in RESPONSE_STYLES:
        raise InvalidRequestError(
            f"'response_style' must be one of {', '.join(RESPONSE_STYLES)}, got {style!r}."
        )
    return ChatParams(
        model=model.strip() if model is not None else None,
        messages=messages,
        stream=bool(_opt_bool(body, "stream")),
        max_tokens=max_tokens,
        temperature=_opt_number(body, "temperature", 0, 2),
        top_p=_opt_number(body, "top_p", 0, 1),
        stop=stop,
        seed=seed,
        tools=tools,
        # An NPC turn also offers the thread's registered actions: its choice is checked then.
        tool_choice=parse_tool_choice(body.get("tool_choice"), tools, known_tools=not _npc_turn(body)),
        parallel_tool_calls=_opt_bool(body, "parallel_tool_calls"),
        response_format=parse_response_format(body.get("response_format")),
        include_usage=bool(include_usage),
        user=_opt_str(body, "user", 256),
        n=n,
        logprobs=logprobs,
        top_logprobs=top_logprobs,
        npc_id=_opt_str(body, "npc_id"),
        npc_template=_opt_str(body, "npc_template"),
        player_id=_opt_str(body, "player_id"),
        thread_id=_opt_str(body, "thread_id"),
        response_style=style,
        allow_fallback=bool(_opt_bool(body, "allow_fallback")),
    )
