"""Component schemas of the OpenAPI document: the error envelope, the request bodies a client
builds, and the response objects with the fields every answer carries.

Written by hand because the gateway validates bodies with its own checks (they name the wrong
field in the error) rather than with a schema library; tests/gateway/test_openapi.py keeps the
two honest by running schemathesis against a real gateway with this document.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]


def ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: tuple[str, ...] = (), **properties: JSON) -> JSON:
    """An object with these properties; others are allowed (answers grow, OpenAI-style)."""
    schema: JSON = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def listing(item: str, *extra: str) -> JSON:
    """``{"object": "list", "data": [...]}`` and the pagination fields some lists add."""
    return obj(("data", *extra), object={"type": "string"}, data={"type": "array", "items": ref(item)})


STRING: JSON = {"type": "string"}
INTEGER: JSON = {"type": "integer"}
NUMBER: JSON = {"type": "number"}
BOOLEAN: JSON = {"type": "boolean"}
NULLABLE_STRING: JSON = {"type": ["string", "null"]}
ANY_OBJECT: JSON = {"type": "object"}

MESSAGE = obj(
    ("role",),
    role={"type": "string", "enum": ["system", "user", "assistant", "tool", "developer"]},
    content={"type": ["string", "array", "null"]},
    name=STRING,
    tool_call_id=STRING,
    tool_calls={"type": "array", "items": ANY_OBJECT},
)

CHAT_REQUEST = obj(
    ("model", "messages"),
    model=STRING,
    messages={"type": "array", "items": ref("Message"), "minItems": 1},
    stream=BOOLEAN,
    stream_options=obj(include_usage=BOOLEAN),
    max_tokens={"type": "integer", "minimum": 1},
    temperature={"type": "number", "minimum": 0, "maximum": 2},
    top_p={"type": "number", "minimum": 0, "maximum": 1},
    stop={"type": ["string", "array"]},
    seed=INTEGER,
    tools={"type": "array", "items": ANY_OBJECT},
    tool_choice={"type": ["string", "object"]},
    parallel_tool_calls=BOOLEAN,
    response_format=ANY_OBJECT,
    user=STRING,
    n={"type": "integer", "minimum": 1, "maximum": 128},
    logprobs=BOOLEAN,
    top_logprobs={"type": "integer", "minimum": 0, "maximum": 20},
    npc_id=STRING,
    npc_template=STRING,
    player_id=STRING,
    thread_id=STRING,
    response_style={"type": "string", "enum": ["terse", "normal", "verbose", "dramatic"]},
    allow_fallback=BOOLEAN,
)

CHAT_COMPLETION = obj(
    ("id", "object", "created", "model", "choices"),
    id=STRING,
    object={"const": "chat.completion"},
    created=INTEGER,
    model=STRING,
    choices={"type": "array", "items": obj(("index", "message"), index=INTEGER, message=ANY_OBJECT)},
    usage=obj(("prompt_tokens", "completion_tokens", "total_tokens")),
)

EMBEDDINGS_REQUEST = obj(
    ("model", "input"),
    model=STRING,
    # a string, strings, one array of token ids, or arrays of token ids
    input={"type": ["string", "array"]},
    encoding_format={"type": "string", "enum": ["float", "base64"]},
    dimensions={"type": "integer", "minimum": 1},
    user=STRING,
)

EMBEDDINGS = obj(
    ("object", "data", "model", "usage"),
    object={"const": "list"},
    data={"type": "array", "items": obj(("object", "index", "embedding"), index=INTEGER)},
    model=STRING,
    usage=ANY_OBJECT,
)

MODEL = obj(("id", "object"), id=STRING, object={"const": "model"}, owned_by=STRING)

ERROR = obj(
    ("error",),
    error=obj(
        ("type", "code", "message", "is_retryable", "retry_after", "reset_at", "remediation"),
        type=STRING,
        code=STRING,
        message=STRING,
        is_retryable=BOOLEAN,
        retry_after={"type": ["number", "null"]},
        reset_at={"type": ["string", "null"]},
        remediation={"type": ["string", "null"]},
    ),
)

NPC = obj(("npc_id",), npc_id=STRING, name=STRING, npc_template=STRING, system_prompt=STRING)

THREAD_REQUEST = obj(
    npc_id=STRING,
    npc_template=STRING,
    player_id=STRING,
    system_prompt=STRING,
    metadata=ANY_OBJECT,
    state=ANY_OBJECT,
    model=STRING,
)

THREAD = obj(("id", "object"), id=STRING, object={"const": "thread"})

SPEAK_REQUEST = obj(
    messages={"type": "array", "items": ref("Message")},
    npc_id=STRING,
    model=STRING,
    stream=BOOLEAN,
    max_tokens={"type": "integer", "minimum": 1},
)

TEMPLATE_REQUEST = obj(
    ("name", "system_prompt"),
    id={"type": "string", "pattern": "^[a-z][a-z0-9_-]{1,63}$"},
    name=STRING,
    system_prompt=STRING,
    tags={"type": "array", "items": STRING},
    description=STRING,
    response_style={"type": "string", "enum": ["terse", "normal", "verbose", "dramatic"]},
    default_model={"type": ["string", "null"]},
    actions={"type": "array"},
    examples={"type": "array"},
    state_schema={"type": ["object", "null"]},
)

TEMPLATE = obj(("id", "name"), id=STRING, name=STRING, version={"type": ["integer", "null"]})

WEBHOOK_REQUEST = obj(
    ("url", "events"),
    url={"type": "string", "format": "uri"},
    events={"type": "array", "items": STRING, "minItems": 1},
    description=STRING,
    enabled=BOOLEAN,
)

WEBHOOK = obj(("id", "object", "url", "events"), id=STRING, url=STRING, events={"type": "array"})

CRASH_REQUEST = obj(
    ("game_id", "version", "stack_trace"),
    game_id=STRING,
    version=STRING,
    platform=STRING,
    engine=STRING,
    build=STRING,
    stack_trace={"type": "array", "items": {"type": ["string", "object"]}, "minItems": 1},
    tags=ANY_OBJECT,
)

CRASH = obj(("id",), id=STRING, status=STRING)

SCHEMAS: dict[str, JSON] = {
    "Error": ERROR,
    "Message": MESSAGE,
    "ChatCompletionRequest": CHAT_REQUEST,
    "ChatCompletion": CHAT_COMPLETION,
    "EmbeddingsRequest": EMBEDDINGS_REQUEST,
    "Embeddings": EMBEDDINGS,
    "Model": MODEL,
    "ModelList": listing("Model"),
    "Npc": NPC,
    "ThreadRequest": THREAD_REQUEST,
    "Thread": THREAD,
    "ThreadList": listing("Thread"),
    "SpeakRequest": SPEAK_REQUEST,
    "TemplateRequest": TEMPLATE_REQUEST,
    "Template": TEMPLATE,
    "TemplateList": listing("Template"),
    "WebhookRequest": WEBHOOK_REQUEST,
    "Webhook": WEBHOOK,
    "WebhookList": listing("Webhook"),
    "CrashRequest": CRASH_REQUEST,
    "Crash": CRASH,
    "CrashList": listing("Crash"),
    "Object": ANY_OBJECT,
}
