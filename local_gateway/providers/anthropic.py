"""Adapter for Anthropic's Messages API (``POST /v1/messages``).

Translation, OpenAI shape → Anthropic: system messages become the top-level ``system``; tool
results (role ``tool``) become ``tool_result`` blocks of a user turn; assistant ``tool_calls``
become ``tool_use`` blocks; consecutive turns of one role merge (the API wants them alternating).
A ``json_schema`` response format becomes one forced tool whose input is the answer, so the reply
arrives as structured input rather than free text. Streams: ``message_start`` /
``content_block_*`` / ``message_delta`` / ``message_stop`` become OpenAI deltas; ``ping``,
thinking and signature deltas never reach the client; an ``error`` event raises.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, Completion, StreamEvent, Usage
from local_gateway.providers.http import (
    UpstreamConfig,
    client_timeout,
    finish_body,
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
    schema_instruction,
    text_of,
    tool_call,
    tool_name,
)

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# Error types that say "try again later" whatever the HTTP status.
_TRANSIENT_TYPES = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}


def _image_block(part: dict[str, Any]) -> dict[str, Any]:
    url = image_url(part)
    inline = data_url(url)
    if inline:
        return {"type": "image", "source": {"type": "base64", "media_type": inline[0], "data": inline[1]}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _blocks(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = []
    for part in content:
        kind = part.get("type")
        if kind == "text" and part.get("text"):
            blocks.append({"type": "text", "text": part["text"]})
        elif kind == "image_url":
            blocks.append(_image_block(part))
    return blocks


def translate_messages(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role == "system":
            text = text_of(message.get("content"))
            if text:
                system.append(text)
        elif role == "user":
            append_turn(turns, "user", _blocks(message.get("content")), "content")
        elif role == "assistant":
            blocks = _blocks(message.get("content"))
            for call in message.get("tool_calls") or ():
                fn = call.get("function") or {}
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.get("id"),
                        "name": fn.get("name"),
                        "input": arguments(call),
                    }
                )
            append_turn(turns, "assistant", blocks, "content")
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": text_of(message.get("content")),
            }
            append_turn(turns, "user", [result], "content")
    return ("\n\n".join(system) or None), turns


def _tool_choice(request: ChatRequest) -> dict[str, Any] | None:
    choice = request.tool_choice
    out: dict[str, Any] | None = None
    if choice == "auto":
        out = {"type": "auto"}
    elif choice == "required":
        out = {"type": "any"}
    elif choice == "none":
        out = {"type": "none"}
    elif isinstance(choice, dict):
        out = {"type": "tool", "name": choice["function"]["name"]}
    if request.parallel_tool_calls is False and request.tools:
        out = dict(out or {"type": "auto"}, disable_parallel_tool_use=True)
    return out


def schema_tool(request: ChatRequest) -> dict[str, Any] | None:
    """The forced tool that carries a ``json_schema`` answer (only when the caller has no tools)."""
    schema = request.json_schema
    if schema is None or request.tools:
        return None
    spec = (request.response_format or {}).get("json_schema") or {}
    return {
        "name": tool_name(str(spec.get("name") or "response")),
        "description": spec.get("description") or "Give the answer as this tool's input.",
        "input_schema": schema,
    }


def build_body(request: ChatRequest, stream: bool) -> dict[str, Any]:
    system, turns = translate_messages(request.messages)
    forced = schema_tool(request)
    if forced is None:
        instruction = schema_instruction(request)
        if instruction:
            system = f"{system}\n\n{instruction}" if system else instruction
    body: dict[str, Any] = {
        "model": request.model.upstream,
        "max_tokens": request.max_tokens or request.model.max_output or DEFAULT_MAX_TOKENS,
        "messages": turns,
    }
    if system:
        body["system"] = system
    if request.temperature is not None:
        body["temperature"] = min(request.temperature, 1.0)  # Anthropic's range is 0-1
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = request.stop
    if request.user:
        body["metadata"] = {"user_id": request.user}
    if request.tools:
        body["tools"] = [
            {
                "name": t["function"]["name"],
                "description": t["function"].get("description", ""),
                "input_schema": t["function"].get("parameters") or {"type": "object", "properties": {}},
            }
            for t in request.tools
        ]
        choice = _tool_choice(request)
        if choice:
            body["tool_choice"] = choice
    elif forced is not None:
        body["tools"] = [forced]
        body["tool_choice"] = {"type": "tool", "name": forced["name"]}
    if stream:
        body["stream"] = True
    return body


def _usage(raw: Any, request: ChatRequest, produced: str) -> Usage:
    if isinstance(raw, dict) and "input_tokens" in raw:
        prompt = sum(
            int(raw.get(k) or 0)
            for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        return Usage(prompt, int(raw.get("output_tokens") or 0))
    return Usage(request.prompt_tokens, tokens.count_text(produced))


class AnthropicProvider:
    def __init__(self, config: UpstreamConfig, session: aiohttp.ClientSession) -> None:
        self.config = config
        self.session = session
        self.name = config.provider

    def _url(self) -> str:
        base = self.config.base_url.rstrip("/")
        return base + ("/messages" if base.endswith("/v1") else "/v1/messages")

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json", "anthropic-version": API_VERSION}
        if self.config.api_key:
            headers["x-api-key"] = self.config.api_key
        return headers

    async def _post(self, body: dict[str, Any]) -> aiohttp.ClientResponse:
        resp = await self.session.post(
            self._url(), json=body, headers=self._headers(), timeout=client_timeout(self.config)
        )
        if resp.status >= 400:
            try:
                raise await self._error(resp)
            finally:
                resp.release()
        return resp

    async def complete(self, request: ChatRequest) -> Completion:
        refuse_choices(request, "Anthropic")
        forced = schema_tool(request)
        try:
            resp = await self._post(build_body(request, stream=False))
            async with resp:
                data = await resp.json(content_type=None)
            blocks = data["content"]
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            raise unavailable(self.name, exc) from exc
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        for block in blocks:
            if block.get("type") == "text":
                texts.append(block.get("text", ""))
            elif block.get("type") == "tool_use":
                if forced is not None and block.get("name") == forced["name"]:
                    texts.append(json.dumps(block.get("input"), ensure_ascii=False))
                else:
                    calls.append(tool_call(block.get("id", ""), block.get("name", ""), block.get("input")))
        finish = STOP_REASONS.get(data.get("stop_reason") or "end_turn", "stop")
        if forced is not None and finish == "tool_calls" and not calls:
            finish = "stop"
        content = "".join(texts) if texts or not calls else None
        return Completion(content, calls or None, finish, _usage(data.get("usage"), request, content or ""))

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        refuse_choices(request, "Anthropic")
        forced = schema_tool(request)
        produced: list[str] = []
        prompt_usage: dict[str, Any] = {}
        output_tokens: int | None = None
        finish: str | None = None
        # Anthropic numbers every content block; OpenAI numbers only the tool calls.
        tool_index: dict[int, int] = {}
        json_blocks: set[int] = set()
        try:
            resp = await self._post(build_body(request, stream=True))
            async with resp:
                async for event, data in sse_events(resp.content):
                    payload = loads_or_none(data)
                    if not isinstance(payload, dict):
                        continue
                    kind = payload.get("type") or event
                    if kind == "message_start":
                        message = payload.get("message") or {}
                        prompt_usage = dict(message.get("usage") or {})
                        yield StreamEvent(delta={"role": "assistant", "content": ""})
                    elif kind == "content_block_start":
                        block = payload.get("content_block") or {}
                        index = int(payload.get("index", 0))
                        if block.get("type") == "tool_use":
                            if forced is not None and block.get("name") == forced["name"]:
                                json_blocks.add(index)
                                continue
                            tool_index[index] = len(tool_index)
                            call = tool_call(block.get("id", ""), block.get("name", ""), "")
                            yield StreamEvent(delta={"tool_calls": [dict(call, index=tool_index[index])]})
                        elif block.get("type") == "text" and block.get("text"):
                            produced.append(block["text"])
                            yield StreamEvent(delta={"content": block["text"]})
                    elif kind == "content_block_delta":
                        delta = payload.get("delta") or {}
                        index = int(payload.get("index", 0))
                        if delta.get("type") == "text_delta" and delta.get("text"):
                            produced.append(delta["text"])
                            yield StreamEvent(delta={"content": delta["text"]})
                        elif delta.get("type") == "input_json_delta" and delta.get("partial_json"):
                            fragment = delta["partial_json"]
                            if index in json_blocks:
                                produced.append(fragment)
                                yield StreamEvent(delta={"content": fragment})
                            elif index in tool_index:
                                part = {"index": tool_index[index], "function": {"arguments": fragment}}
                                yield StreamEvent(delta={"tool_calls": [part]})
                        # thinking_delta, signature_delta and anything newer stay here
                    elif kind == "message_delta":
                        reason = (payload.get("delta") or {}).get("stop_reason")
                        if reason:
                            finish = STOP_REASONS.get(reason, "stop")
                        usage = payload.get("usage") or {}
                        if usage.get("output_tokens") is not None:
                            output_tokens = int(usage["output_tokens"])
                    elif kind == "message_stop":
                        await finish_body(resp)  # so the connection is reused
                        break
                    elif kind == "error":
                        raise self._event_error(payload.get("error") or {})
                else:
                    raise unavailable(self.name, None, "ended its stream early")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unavailable(self.name, exc) from exc
        if forced is not None and finish == "tool_calls" and not tool_index:
            finish = "stop"
        yield StreamEvent(finish_reason=finish or "stop")
        text = "".join(produced)
        usage = _usage(prompt_usage or None, request, text)
        if output_tokens is not None:
            usage.completion_tokens = output_tokens
        yield StreamEvent(usage=usage)

    def _event_error(self, error: dict[str, Any]) -> Exception:
        kind = str(error.get("type") or "")
        if kind in _TRANSIENT_TYPES or not kind:
            return unavailable(self.name, None, f"reported {kind or 'an error'} mid-stream")
        return status_error(self.config, 400, error.get("message"))

    async def _error(self, resp: aiohttp.ClientResponse) -> Exception:
        payload = await read_error_payload(resp)
        error = payload.get("error") if isinstance(payload, dict) else None
        error = error if isinstance(error, dict) else {}
        message = str(error.get("message") or "")
        kind = str(error.get("type") or "")
        overflow = resp.status == 400 and "prompt is too long" in message.lower()
        status = resp.status
        if kind in _TRANSIENT_TYPES and status < 500 and status != 429:
            status = 503
        return status_error(self.config, status, message, overflow=overflow)
