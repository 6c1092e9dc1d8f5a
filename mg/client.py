"""The Python SDK: :class:`MonsterClient` and :class:`AsyncMonsterClient`.

>>> from mg import MonsterClient
>>> with MonsterClient(api_key="mg_test_…", base_url="http://127.0.0.1:8787") as mg:
...     reply = mg.chat.completions.create(
...         model="deepseek-chat",
...         messages=[{"role": "user", "content": "Got any swords?"}],
...         npc_id="blacksmith_01", npc_template="merchant",
...     )
...     print(reply.text)

Errors are the :mod:`mg.errors` classes, built from the gateway's envelope. Retryable errors
(``is_retryable``: rate limits, provider outages, lost connections) are retried with exponential
backoff and jitter, honouring ``Retry-After``, at most ``max_retries`` times. Streams
(``stream=True``) are iterators of typed :class:`~mg.types.ChatCompletionChunk` objects.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

import httpx

from mg import (
    _resources,
    _resources_async,
    _resources_debug,
    _resources_keys,
    _resources_ops,
    _resources_webhooks,
)
from mg._client_base import (
    BaseClient,
    ClientOptions,
    RetryEvent,
    RetryPolicy,
    error_from_response,
    transport_error,
)
from mg._resource_base import JSON, _any, _json
from mg._streaming import AsyncByteStream, AsyncStream, ByteStream, Stream

if TYPE_CHECKING:
    from mg.config import Resolved

__all__ = [
    "AsyncByteStream",
    "AsyncMonsterClient",
    "AsyncStream",
    "ByteStream",
    "MonsterClient",
    "RetryEvent",
    "RetryPolicy",
    "Stream",
]

T = TypeVar("T")


class MonsterClient(BaseClient):
    """Synchronous client. See :class:`~mg._client_base.BaseClient` for the options.

    ``transport`` (e.g. ``httpx.MockTransport``) or a whole ``http_client`` may be injected.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(api_key, base_url, **options)
        self._http = http_client or httpx.Client(transport=transport, timeout=self._timeout())
        self._sleep: Callable[[float], None] = time.sleep
        self.chat = _resources.Chat(self)
        self.embeddings = _resources.Embeddings(self)
        self.models = _resources.Models(self)
        self.keys = _resources_keys.Keys(self)
        self.tokens = _resources_keys.Tokens(self)
        self.threads = _resources.Threads(self)
        self.npc = _resources.Npc(self)
        self.symbols = _resources_debug.Symbols(self)
        self.debug = _resources_debug.Debug(self)
        self.usage = _resources_ops.Usage(self)
        self.logs = _resources_ops.Logs(self)
        self.credits = _resources_ops.Credits(self)
        self.billing = _resources_ops.Billing(self)
        self.pricing = _resources_ops.Pricing(self)
        self.telemetry = _resources_ops.Telemetry(self)
        self.webhooks = _resources_webhooks.Webhooks(self)

    @classmethod
    def from_profile(cls, profile: str | None = None, **options: Unpack[ClientOptions]) -> MonsterClient:
        """A client for a profile of the ``mg`` CLI's config (its URL and its stored key)."""
        from mg.config import resolve

        resolved: Resolved = resolve(profile)
        return cls(resolved.api_key, resolved.base_url, **options)

    def _send(self, method: str, path: str, *, stream: bool, **kwargs: Any) -> httpx.Response:
        url, headers = self._target(path)
        request = self._http.build_request(method, url, headers=headers, **kwargs)
        retries = 0
        cause: Exception | None
        while True:
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                error, cause = transport_error(exc, self.base_url), exc
            else:
                if response.status_code < 400:
                    return response
                content = response.read()
                response.close()
                error, cause = error_from_response(response.status_code, content, response.headers), None
            delay = self._next_delay(retries, error)
            if delay is None:
                raise error from cause
            self._sleep(delay)
            retries += 1

    def _request(
        self,
        method: str,
        path: str,
        *,
        cast: Callable[[httpx.Response], T],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        **body: Any,
    ) -> T:
        # ``body``: httpx's files / data / content, for uploads.
        response = self._send(method, path, stream=False, json=json, params=params, **body)
        return cast(response)

    def _stream(self, method: str, path: str, *, json: Any = None) -> Stream:
        response = self._send(method, path, stream=True, json=json)
        return Stream(response)

    def _stream_bytes(self, method: str, path: str, *, json: Any = None) -> ByteStream:
        response = self._send(method, path, stream=True, json=json)
        return ByteStream(response)

    def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """Any endpoint, decoded JSON back: for routes newer than this SDK."""
        return self._request(method, path, json=json, params=params, cast=_any)

    def whoami(self) -> JSON:
        """``GET /v1/whoami``: who this key belongs to; spends no rate-limit budget."""
        return self._request("GET", "/v1/whoami", cast=_json)

    def health(self) -> JSON:
        """``GET /v1/health`` (public)."""
        return self._request("GET", "/v1/health", cast=_json)

    def version(self) -> JSON:
        """``GET /v1/version`` (public)."""
        return self._request("GET", "/v1/version", cast=_json)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MonsterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncMonsterClient(BaseClient):
    """Asynchronous twin of :class:`MonsterClient`: every API method returns an awaitable."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(api_key, base_url, **options)
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=self._timeout())
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.chat = _resources_async.AsyncChat(self)
        self.embeddings = _resources_async.AsyncEmbeddings(self)
        self.models = _resources_async.AsyncModels(self)
        self.keys = _resources_keys.AsyncKeys(self)
        self.tokens = _resources_keys.AsyncTokens(self)
        self.threads = _resources_async.AsyncThreads(self)
        self.npc = _resources_async.AsyncNpc(self)
        self.symbols = _resources_debug.AsyncSymbols(self)
        self.debug = _resources_debug.AsyncDebug(self)
        self.usage = _resources_ops.AsyncUsage(self)
        self.logs = _resources_ops.AsyncLogs(self)
        self.credits = _resources_ops.AsyncCredits(self)
        self.billing = _resources_ops.AsyncBilling(self)
        self.pricing = _resources_ops.AsyncPricing(self)
        self.telemetry = _resources_ops.AsyncTelemetry(self)
        self.webhooks = _resources_webhooks.AsyncWebhooks(self)

    async def _send(self, method: str, path: str, *, stream: bool, **kwargs: Any) -> httpx.Response:
        url, headers = self._target(path)
        request = self._http.build_request(method, url, headers=headers, **kwargs)
        retries = 0
        cause: Exception | None
        while True:
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                error, cause = transport_error(exc, self.base_url), exc
            else:
                if response.status_code < 400:
                    return response
                content = await response.aread()
                await response.aclose()
                error, cause = error_from_response(response.status_code, content, response.headers), None
            delay = self._next_delay(retries, error)
            if delay is None:
                raise error from cause
            await self._sleep(delay)
            retries += 1

    async def _request(
        self,
        method: str,
        path: str,
        *,
        cast: Callable[[httpx.Response], T],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        **body: Any,
    ) -> T:
        response = await self._send(method, path, stream=False, json=json, params=params, **body)
        return cast(response)

    async def _stream(self, method: str, path: str, *, json: Any = None) -> AsyncStream:
        response = await self._send(method, path, stream=True, json=json)
        return AsyncStream(response)

    async def _stream_bytes(self, method: str, path: str, *, json: Any = None) -> AsyncByteStream:
        response = await self._send(method, path, stream=True, json=json)
        return AsyncByteStream(response)

    async def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """Any endpoint, decoded JSON back: for routes newer than this SDK."""
        return await self._request(method, path, json=json, params=params, cast=_any)

    async def whoami(self) -> JSON:
        """``GET /v1/whoami``: who this key belongs to; spends no rate-limit budget."""
        return await self._request("GET", "/v1/whoami", cast=_json)

    async def health(self) -> JSON:
        """``GET /v1/health`` (public)."""
        return await self._request("GET", "/v1/health", cast=_json)

    async def version(self) -> JSON:
        """``GET /v1/version`` (public)."""
        return await self._request("GET", "/v1/version", cast=_json)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncMonsterClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
