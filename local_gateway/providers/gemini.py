"""Adapter for Google's Gemini API (``models/{m}:generateContent`` and ``:streamGenerateContent``).

Translation, OpenAI shape → Gemini: system messages become ``systemInstruction``; turns become
``contents`` with roles ``user`` / ``model`` and ``parts``; assistant tool calls become
``functionCall`` parts and tool results ``functionResponse`` parts (Gemini matches them by
function name, so the name is looked up from the call id); tools become ``functionDeclarations``;
``response_format`` becomes ``responseMimeType`` + ``responseSchema``. JSON Schema is reduced to
the OpenAPI subset Gemini accepts (local ``$ref`` inlined, ``["T", "null"]`` → ``nullable``);
whatever that loses, the services validate the answer against the original schema anyway.
Streams (``alt=sse``) carry whole response objects; each becomes OpenAI deltas.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import quote

import aiohttp

from local_gateway.providers import tokens
from local_gateway.providers.base import (
    ChatRequest,
    Completion,
    EmbeddingResult,
    ModelInfo,
    StreamEvent,
    Usage,
)
from local_gateway.providers.http import (
    UpstreamConfig,
    client_timeout,
    loads_or_none,
    read_error_payload,
    refuse_choices,
    sse_events,
    status_error,
    unavailable,
)
from local_gateway.providers.messages import (
    append_turn,
    arguments,
    data_url,
    image_url,
    text_of,
    tool_call,
)
from mg.errors import InvalidRequestError

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
_SCHEMA_KEYS = {
    "description",
    "format",
    "title",
    "enum",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minProperties",
    "maxProperties",
    "propertyOrdering",
}
_TRANSIENT_STATUS = {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED"}


def to_gemini_schema(schema: Any, defs: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """JSON Schema → the OpenAPI 3.0 subset of Gemini's ``Schema`` object."""
    if not isinstance(schema, dict) or depth > 32:
        return {}
    defs = defs if defs is not None else dict(schema.get("$defs") or schema.get("definitions") or {})
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
        return to_gemini_schema(defs.get(ref.rsplit("/", 1)[1], {}), defs, depth + 1)
    out: dict[str, Any] = {k: v for k, v in schema.items() if k in _SCHEMA_KEYS}
    kind = schema.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        if len(rest) < len(kind):
            out["nullable"] = True
        kind = rest[0] if rest else None
    if "const" in schema:
        out["enum"] = [schema["const"]]
    if "enum" in out:
        out["enum"] = [str(v) for v in out["enum"] if v is not None]
        kind = kind or "string"
    if kind:
        out["type"] = str(kind).upper()
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {
            name: to_gemini_schema(sub, defs, depth + 1) for name, sub in schema["properties"].items()
        }
        if isinstance(schema.get("required"), list):
            out["required"] = [r for r in schema["required"] if r in out["properties"]]
    if isinstance(schema.get("items"), dict):
        out["items"] = to_gemini_schema(schema["items"], defs, depth + 1)
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            options = [s for s in schema[key] if not (isinstance(s, dict) and s.get("type") == "null")]
            if len(options) < len(schema[key]):
                out["nullable"] = True
            if len(options) == 1:
                out.update(to_gemini_schema(options[0], defs, depth + 1))
            else:
                out["anyOf"] = [to_gemini_schema(s, defs, depth + 1) for s in options]
    return out


def _parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[dict[str, Any]] = []
    for part in content:
        if part.get("type") == "text" and part.get("text"):
            parts.append({"text": part["text"]})
        elif part.get("type") == "image_url":
            url = image_url(part)
            inline = data_url(url)
            if inline:
                parts.append({"inlineData": {"mimeType": inline[0], "data": inline[1]}})
            else:
                parts.append({"fileData": {"fileUri": url, "mimeType": "image/*"}})
    return parts


def _response_object(text: str) -> dict[str, Any]:
    value = loads_or_none(text)
    return value if isinstance(value, dict) else {"result": value if value is not None else text}


def translate_messages(messages: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool call id → function name
    for message in messages:
        role = message["role"]
        if role == "system":
            text = text_of(message.get("content"))
            if text:
                system.append({"text": text})
        elif role == "user":
            append_turn(contents, "user", _parts(message.get("content")), "parts")
        elif role == "assistant":
            parts = _parts(message.get("content"))
            for call in message.get("tool_calls") or ():
                name = (call.get("function") or {}).get("name", "")
                names[str(call.get("id"))] = name
                parts.append({"functionCall": {"name": name, "args": arguments(call)}})
            append_turn(contents, "model", parts, "parts")
        elif role == "tool":
            name = names.get(str(message.get("tool_call_id")), str(message.get("name") or "tool"))
            response = _response_object(text_of(message.get("content")))
            append_turn(
                contents, "user", [{"functionResponse": {"name": name, "response": response}}], "parts"
            )
    return ({"parts": system} if system else None), contents


def _tool_config(request: ChatRequest) -> dict[str, Any] | None:
    choice = request.tool_choice
    if choice == "auto":
        return {"functionCallingConfig": {"mode": "AUTO"}}
    if choice == "required":
        return {"functionCallingConfig": {"mode": "ANY"}}
    if choice == "none":
        return {"functionCallingConfig": {"mode": "NONE"}}
    if isinstance(choice, dict):
        name = choice["function"]["name"]
        return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
    return None


def build_body(request: ChatRequest) -> dict[str, Any]:
    system, contents = translate_messages(request.messages)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = system
    if request.tools:
        declarations = []
        for tool in request.tools:
            fn = tool["function"]
            declaration: dict[str, Any] = {"name": fn["name"], "description": fn.get("description", "")}
            params = fn.get("parameters")
            if params and (params.get("properties") or params.get("type") != "object"):
                declaration["parameters"] = to_gemini_schema(params)
            declarations.append(declaration)
        body["tools"] = [{"functionDeclarations": declarations}]
        config = _tool_config(request)
        if config:
            body["toolConfig"] = config
    generation: dict[str, Any] = {}
    for key, value in (
        ("temperature", request.temperature),
        ("topP", request.top_p),
        ("maxOutputTokens", request.max_tokens),
        ("stopSequences", request.stop),
        ("seed", request.seed),
    ):
        if value is not None:
            generation[key] = value
    fmt = (request.response_format or {}).get("type")
    if fmt in ("json_object", "json_schema"):
        generation["responseMimeType"] = "application/json"
    if request.json_schema is not None:
        generation["responseSchema"] = to_gemini_schema(request.json_schema)
    if generation:
        body["generationConfig"] = generation
    return body


def _call_id(name: str, args: Any, position: int, given: Any) -> str:
    if isinstance(given, str) and given:
        return given
    digest = hashlib.sha256(json.dumps([name, args, position], sort_keys=True).encode()).hexdigest()
    return f"call_{digest[:24]}"


def _usage(raw: Any, request: ChatRequest, produced: str) -> Usage:
    if isinstance(raw, dict) and "promptTokenCount" in raw:
        completion = int(raw.get("candidatesTokenCount") or 0) + int(raw.get("thoughtsTokenCount") or 0)
        return Usage(int(raw.get("promptTokenCount") or 0), completion)
    return Usage(request.prompt_tokens, tokens.count_text(produced))


def _candidate_parts(data: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    candidates = data.get("candidates") or []
    if not candidates:
        blocked = (data.get("promptFeedback") or {}).get("blockReason")
        return [], ("content_filter" if blocked else None)
    candidate = candidates[0]
    parts = (candidate.get("content") or {}).get("parts") or []
    reason = candidate.get("finishReason")
    return parts, (FINISH_REASONS.get(reason, "stop") if reason else None)


class GeminiProvider:
    def __init__(self, config: UpstreamConfig, session: aiohttp.ClientSession) -> None:
        self.config = config
        self.session = session
        self.name = config.provider

    def _url(self, model: str, method: str) -> str:
        base = self.config.base_url.rstrip("/")
        if not base.endswith(("/v1beta", "/v1")):
            base += "/v1beta"
        return f"{base}/models/{quote(model, safe='')}:{method}"

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["x-goog-api-key"] = self.config.api_key
        return headers

    async def _post(self, url: str, body: dict[str, Any]) -> aiohttp.ClientResponse:
        resp = await self.session.post(
            url, json=body, headers=self._headers(), timeout=client_timeout(self.config)
        )
        if resp.status >= 400:
            try:
                raise await self._error(resp)
            finally:
                resp.release()
        return resp

    async def complete(self, request: ChatRequest) -> Completion:
        refuse_choices(request, "Gemini")
        url = self._url(request.model.upstream, "generateContent")
        try:
            resp = await self._post(url, build_body(request))
            async with resp:
                data = await resp.json(content_type=None)
            parts, finish = _candidate_parts(data)
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise unavailable(self.name, exc) from exc
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        for part in parts:
            if part.get("thought"):
                continue
            if isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part.get("functionCall"), dict):
                fc = part["functionCall"]
                call_id = _call_id(fc.get("name", ""), fc.get("args"), len(calls), fc.get("id"))
                calls.append(tool_call(call_id, fc.get("name", ""), fc.get("args") or {}))
        if calls and finish in (None, "stop"):
            finish = "tool_calls"
        content = "".join(texts) if texts or not calls else None
        usage = _usage(data.get("usageMetadata"), request, content or "")
        return Completion(content, calls or None, finish or "stop", usage)

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        refuse_choices(request, "Gemini")
        url = self._url(request.model.upstream, "streamGenerateContent") + "?alt=sse"
        produced: list[str] = []
        usage_raw: Any = None
        finish: str | None = None
        calls = 0
        started = False
        try:
            resp = await self._post(url, build_body(request))
            async with resp:
                async for _event, data in sse_events(resp.content):
                    chunk = loads_or_none(data)
                    if not isinstance(chunk, dict):
                        continue
                    if chunk.get("error"):
                        raise unavailable(self.name, None, "reported an error mid-stream")
                    if not started:
                        started = True
                        yield StreamEvent(delta={"role": "assistant", "content": ""})
                    usage_raw = chunk.get("usageMetadata") or usage_raw
                    parts, reason = _candidate_parts(chunk)
                    for part in parts:
                        if part.get("thought"):
                            continue
                        if isinstance(part.get("text"), str) and part["text"]:
                            produced.append(part["text"])
                            yield StreamEvent(delta={"content": part["text"]})
                        elif isinstance(part.get("functionCall"), dict):
                            fc = part["functionCall"]
                            call_id = _call_id(fc.get("name", ""), fc.get("args"), calls, fc.get("id"))
                            call = tool_call(call_id, fc.get("name", ""), fc.get("args") or {})
                            yield StreamEvent(delta={"tool_calls": [dict(call, index=calls)]})
                            calls += 1
                    finish = reason or finish
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unavailable(self.name, exc) from exc
        if not started:
            raise unavailable(self.name, None, "sent an empty stream")
        if calls and finish in (None, "stop"):
            finish = "tool_calls"
        yield StreamEvent(finish_reason=finish or "stop")
        yield StreamEvent(usage=_usage(usage_raw, request, "".join(produced)))

    async def embed(
        self, model: ModelInfo, inputs: list[str] | list[list[int]], dimensions: int | None
    ) -> EmbeddingResult:
        texts = [item for item in inputs if isinstance(item, str)]
        if len(texts) != len(inputs):
            raise InvalidRequestError(
                f"'input' as token ids is not supported by {model.id}: Gemini embeds text only; "
                "send the strings instead."
            )
        name = f"models/{model.upstream}"
        requests = []
        for text in texts:
            item: dict[str, Any] = {"model": name, "content": {"parts": [{"text": text}]}}
            if dimensions is not None:
                item["outputDimensionality"] = dimensions
            requests.append(item)
        try:
            resp = await self._post(self._url(model.upstream, "batchEmbedContents"), {"requests": requests})
            async with resp:
                data = await resp.json(content_type=None)
            vectors = [[float(x) for x in row["values"]] for row in data["embeddings"]]
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            raise unavailable(self.name, exc) from exc
        if len(vectors) != len(texts):
            raise unavailable(self.name, None, "answered the wrong number of embeddings")
        return EmbeddingResult(vectors, sum(map(tokens.count_text, texts)))

    async def _error(self, resp: aiohttp.ClientResponse) -> Exception:
        payload = await read_error_payload(resp)
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(payload, list) and payload and isinstance(payload[0], dict):
            error = payload[0].get("error")  # some proxies answer the error inside a list
        error = error if isinstance(error, dict) else {}
        message = str(error.get("message") or "")
        state = str(error.get("status") or "")
        status = resp.status
        lowered = message.lower()
        if "api key not valid" in lowered or "api_key_invalid" in json.dumps(error).lower():
            status = 401
        elif state in _TRANSIENT_STATUS and status < 500 and status != 429:
            status = 503
        overflow = status == 400 and (
            "exceeds the maximum number of tokens" in lowered or "too long" in lowered
        )
        return status_error(self.config, status, message, overflow=overflow)
