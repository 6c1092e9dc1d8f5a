"""Adapter for every upstream that speaks the OpenAI chat-completions wire format.

OpenAI, DeepSeek, Mistral, xAI, Groq, Together, OpenRouter and local servers (Ollama, llama.cpp,
vLLM, LM Studio) all take the same request; Anthropic and Google expose compatible endpoints too.
The caller's mg key is never sent upstream: only the provider's own key.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from local_gateway import fastjson
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
    finish_body,
    read_error_payload,
    sse_events,
    status_error,
    unavailable,
)

__all__ = ["OpenAICompatProvider", "UpstreamConfig", "build_body"]
_DELTA_KEYS = frozenset(("role", "content", "tool_calls", "refusal"))


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
        # Several choices and log probabilities travel on as asked; the defaults are left out.
        "n": request.n if request.n > 1 else None,
        "logprobs": True if request.logprobs else None,
        "top_logprobs": request.top_logprobs,
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
        # Built once: every request of this provider sends the same headers to the same URL.
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._header_map = CIMultiDictProxy(CIMultiDict(headers))
        self._chat_url = URL(config.base_url.rstrip("/") + "/chat/completions")
        self._client_timeout = client_timeout(config)

    def _headers(self) -> CIMultiDictProxy[str]:
        return self._header_map

    def _url(self) -> URL:
        return self._chat_url

    def _timeout(self) -> aiohttp.ClientTimeout:
        return self._client_timeout

    async def complete(self, request: ChatRequest) -> Completion:
        body = build_body(request, stream=False)
        try:
            async with self.session.post(
                self._url(), data=fastjson.dumps(body), headers=self._headers(), timeout=self._timeout()
            ) as resp:
                if resp.status >= 400:
                    raise await self._error(resp)
                data = fastjson.loads(await resp.read())
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise self._unavailable(exc) from exc
        try:
            choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
            found = [_choice(choice) for choice in choices]
            first = found[0]
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise self._unavailable(exc) from exc
        first.usage = _usage(data.get("usage"), request, "".join(c.content or "" for c in found))
        first.alternatives = found[1:]
        return first

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        body = build_body(request, stream=True)
        produced: list[str] = []
        usage_seen = finished = False
        try:
            async with self.session.post(
                self._url(), data=fastjson.dumps(body), headers=self._headers(), timeout=self._timeout()
            ) as resp:
                if resp.status >= 400:
                    raise await self._error(resp)
                async for _event, data in sse_events(resp.content):
                    if data == "[DONE]":
                        finished = True
                        break
                    try:
                        chunk = fastjson.loads(data)
                    except ValueError:
                        chunk = None
                    if not isinstance(chunk, dict):
                        # Skipping it would silently drop part of the answer.
                        raise self._unavailable(ValueError("malformed stream chunk"))
                    if chunk.get("error"):
                        raise self._unavailable(None)
                    if chunk.get("usage"):
                        usage_seen = True
                        yield StreamEvent(usage=_usage(chunk["usage"], request, "".join(produced)))
                    for choice in chunk.get("choices") or ():
                        # Only what the client asked for travels on: reasoning traces and
                        # provider-specific fields stay here.
                        delta = choice.get("delta") or {}
                        if not delta.keys() <= _DELTA_KEYS:
                            delta = {k: v for k, v in delta.items() if k in _DELTA_KEYS}
                        content = delta.get("content")
                        if content:
                            produced.append(content)
                        index = choice.get("index") or 0
                        if content or (delta and any(v not in (None, "") for v in delta.values())):
                            yield StreamEvent(delta=delta, index=index, logprobs=choice.get("logprobs"))
                        if choice.get("finish_reason"):
                            finished = True
                            yield StreamEvent(finish_reason=choice["finish_reason"], index=index)
                if finished:
                    await finish_body(resp)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._unavailable(exc) from exc
        if not finished:
            # Cut off: neither a finish reason nor [DONE] arrived.
            raise unavailable(self.config.provider, None, "ended its stream early")
        if not usage_seen:
            yield StreamEvent(usage=_usage(None, request, "".join(produced)))

    def _unavailable(self, exc: BaseException | None) -> Exception:
        return unavailable(self.config.provider, exc)

    async def _error(self, resp: aiohttp.ClientResponse) -> Exception:
        payload = await read_error_payload(resp)
        detail = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(detail, dict):
            message, code = detail.get("message"), detail.get("code")
        else:
            message, code = (str(detail) if detail else None), None
        overflow = resp.status == 400 and code == "context_length_exceeded"
        return status_error(self.config, resp.status, message, overflow=overflow)

    async def embed(
        self, model: ModelInfo, inputs: list[str] | list[list[int]], dimensions: int | None
    ) -> EmbeddingResult:
        # Token-id arrays go as they are: OpenAI's API takes them in the same field.
        body: dict[str, Any] = {"model": model.upstream, "input": inputs, "encoding_format": "float"}
        if dimensions is not None:
            body["dimensions"] = dimensions
        url = self.config.base_url.rstrip("/") + "/embeddings"
        try:
            async with self.session.post(
                url, json=body, headers=self._headers(), timeout=self._timeout()
            ) as resp:
                if resp.status >= 400:
                    raise await self._error(resp)
                data = await resp.json(content_type=None)
            rows = sorted(data["data"], key=lambda row: row.get("index", 0))
            vectors = [[float(x) for x in row["embedding"]] for row in rows]
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            raise self._unavailable(exc) from exc
        if len(vectors) != len(inputs):
            raise self._unavailable(ValueError("embedding count mismatch"))
        usage = data.get("usage") or {}
        counted = usage.get("prompt_tokens")
        prompt_tokens = int(counted) if isinstance(counted, int) else sum(map(_count_input, inputs))
        return EmbeddingResult(vectors, prompt_tokens)

    async def list_models(self) -> list[str]:
        """The ids the server's ``GET /models`` lists (how local servers are discovered)."""
        url = self.config.base_url.rstrip("/") + "/models"
        try:
            async with self.session.get(url, headers=self._headers(), timeout=self._timeout()) as resp:
                if resp.status >= 400:
                    raise await self._error(resp)
                data = await resp.json(content_type=None)
            return [str(row["id"]) for row in data.get("data") or () if row.get("id")]
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise self._unavailable(exc) from exc


def _choice(choice: dict[str, Any]) -> Completion:
    """One upstream choice (its usage is the request's, filled in by the caller)."""
    message = choice.get("message") or {}
    return Completion(
        message.get("content"),
        message.get("tool_calls") or None,
        choice.get("finish_reason") or "stop",
        Usage(0, 0),
        logprobs=choice.get("logprobs"),
    )


def _count_input(item: str | list[int]) -> int:
    return len(item) if isinstance(item, list) else tokens.count_text(item)


def _usage(raw: Any, request: ChatRequest, content: str | None) -> Usage:
    if isinstance(raw, dict) and "prompt_tokens" in raw:
        return Usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0))
    return Usage(request.prompt_tokens, tokens.count_text(content or ""))
