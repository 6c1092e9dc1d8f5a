"""Adapter for every upstream that speaks the OpenAI chat-completions wire format.

OpenAI, DeepSeek, Mistral, xAI, Groq, Together, OpenRouter and local servers (Ollama, llama.cpp,
vLLM, LM Studio) all take the same request; Anthropic and Google expose compatible endpoints too.
The caller's mg key is never sent upstream: only the provider's own key.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, Completion, StreamEvent, Usage
from mg.errors import ContextOverflowError, InvalidRequestError, ProviderUnavailableError


@dataclass(frozen=True)
class UpstreamConfig:
    provider: str
    base_url: str
    api_key: str | None
    key_variable: str
    timeout: float = 120.0


def build_body(request: ChatRequest, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model.upstream, "messages": request.messages}
    optional = {
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "stop": request.stop,
        "seed": request.seed,
        "tools": request.tools,
        "tool_choice": request.tool_choice,
        "parallel_tool_calls": request.parallel_tool_calls,
        "response_format": request.response_format,
        "user": request.user,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


class OpenAICompatProvider:
    def __init__(self, config: UpstreamConfig, session: aiohttp.ClientSession) -> None:
        self.config = config
        self.session = session
        self.name = config.provider

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        return headers

    def _url(self) -> str:
        return self.config.base_url.rstrip("/") + "/chat/completions"

    def _timeout(self) -> aiohttp.ClientTimeout:
        # Total time is unbounded for streams; what must not stall is connecting and each read.
        return aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.config.timeout)

    async def complete(self, request: ChatRequest) -> Completion:
        body = build_body(request, stream=False)
        try:
            async with self.session.post(
                self._url(), json=body, headers=self._headers(), timeout=self._timeout()
            ) as resp:
                if resp.status >= 400:
                    raise await self._error(resp)
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
            raise self._unavailable(exc) from exc
        try:
            choice = data["choices"][0]
            message = choice.get("message") or {}
            content = message.get("content")
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise self._unavailable(exc) from exc
        usage = _usage(data.get("usage"), request, content)
        return Completion(
            content, message.get("tool_calls") or None, choice.get("finish_reason") or "stop", usage
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        body = build_body(request, stream=True)
        produced: list[str] = []
        usage_seen = False
        try:
            async with self.session.post(
                self._url(), json=body, headers=self._headers(), timeout=self._timeout()
            ) as resp:
                if resp.status >= 400:
                    raise await self._error(resp)
                async for data in _sse_data(resp.content):
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except json.JSONDecodeError:
                        chunk = None
                    if not isinstance(chunk, dict):
                        # Skipping it would silently drop part of the answer.
                        raise self._unavailable(ValueError("malformed stream chunk"))
                    if chunk.get("usage"):
                        usage_seen = True
                        yield StreamEvent(usage=_usage(chunk["usage"], request, "".join(produced)))
                    for choice in chunk.get("choices") or ():
                        delta = choice.get("delta") or {}
                        if delta.get("content"):
                            produced.append(delta["content"])
                        if delta:
                            yield StreamEvent(delta=delta)
                        if choice.get("finish_reason"):
                            yield StreamEvent(finish_reason=choice["finish_reason"])
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._unavailable(exc) from exc
        if not usage_seen:
            yield StreamEvent(usage=_usage(None, request, "".join(produced)))

    def _unavailable(self, exc: BaseException) -> ProviderUnavailableError:
        if isinstance(exc, TimeoutError | asyncio.TimeoutError):
            reason = "timed out"
        elif isinstance(exc, ValueError | LookupError | TypeError | AttributeError):
            reason = "sent an answer that is not valid OpenAI JSON"
        else:
            reason = "failed"
        return ProviderUnavailableError(
            f"The {self.config.provider} provider {reason}.",
            remediation="Retry, or set allow_fallback: true to use another model.",
            retry_after=1,
        )

    async def _error(self, resp: aiohttp.ClientResponse) -> Exception:
        try:
            payload = await resp.json(content_type=None)
            detail = payload.get("error") or {}
            message = detail.get("message") if isinstance(detail, dict) else str(detail)
            code = detail.get("code") if isinstance(detail, dict) else None
        except (aiohttp.ClientError, ValueError, AttributeError):
            message, code = None, None
        if resp.status in (401, 403):
            return ProviderUnavailableError(
                f"The {self.config.provider} provider refused the gateway's credentials.",
                remediation=f"Check {self.config.key_variable} on the gateway.",
            )
        if resp.status == 400 and code == "context_length_exceeded":
            return ContextOverflowError(
                f"The prompt exceeds the context window of {self.config.provider}'s model."
            )
        if 400 <= resp.status < 500 and resp.status not in (408, 409, 429):
            text = (message or "no detail")[:300]
            return InvalidRequestError(f"The {self.config.provider} provider rejected the request: {text}")
        return ProviderUnavailableError(
            f"The {self.config.provider} provider answered HTTP {resp.status}.",
            remediation="Retry, or set allow_fallback: true to use another model.",
            retry_after=1,
        )


async def _sse_data(content: aiohttp.StreamReader) -> AsyncIterator[str]:
    """The ``data:`` payloads of an SSE stream, one per event, as they arrive."""
    buffer: list[str] = []
    async for raw in content:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if buffer:
                yield "\n".join(buffer)
                buffer = []
            continue
        if line.startswith("data:"):
            buffer.append(line[5:].lstrip(" "))
    if buffer:
        yield "\n".join(buffer)


def _usage(raw: Any, request: ChatRequest, content: str | None) -> Usage:
    if isinstance(raw, dict) and "prompt_tokens" in raw:
        return Usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0))
    return Usage(tokens.count_messages(request.messages, request.tools), tokens.count_text(content or ""))
