"""Chat completions: admission, model and provider choice, the call, accounting.

The HTTP layer hands over a parsed body and gets back either a completion object or an async
iterator of OpenAI chunk objects; SSE framing stays in the HTTP layer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, Completion, ModelInfo, Provider, StreamEvent, Usage
from local_gateway.providers.messages import text_of
from local_gateway.providers.registry import ProviderRegistry
from local_gateway.services import monster_gpt
from local_gateway.services.accounts.keys import KeyService, Principal
from local_gateway.services.billing.request_log import LogEntry, RequestLogWriter
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.inference import structured
from local_gateway.services.inference.breakers import InProcessHealth
from local_gateway.services.inference.catalog import Catalog
from local_gateway.services.inference.fallback import FallbackRunner, Served
from local_gateway.services.inference.params import ChatParams
from local_gateway.services.inference.stream import as_events, prepend, replay
from local_gateway.services.npc.conversation import ConversationService, PreparedConversation
from mg.errors import (
    ContextOverflowError,
    CreditsExhaustedError,
    InternalError,
    ModelNotFoundError,
    MonsterError,
)


@dataclass
class ChatOutcome:
    headers: dict[str, str]
    completion: dict[str, Any] | None = None
    chunks: AsyncIterator[dict[str, Any]] | None = None


@dataclass
class _Call:
    """Everything one completion needs, shared by the stream and non-stream paths."""

    principal: Principal
    params: ChatParams
    model: ModelInfo
    provider: Provider | None
    request: ChatRequest
    request_id: str
    endpoint: str
    completion_id: str
    created: int
    started: float = field(default_factory=time.perf_counter)
    # Set when a fallback model served the request: the model that was asked for.
    requested: ModelInfo | None = None
    attempts: int = 1
    # Set when the completion is a turn of an NPC thread (npc_id, thread_id or npc_template).
    conversation: PreparedConversation | None = None
    # Set for model "monster-gpt": the discipline and specialist that answered.
    route: monster_gpt.Route | None = None

    @property
    def provider_name(self) -> str:
        return self.provider.name if self.provider is not None else self.model.provider

    def stream_events(self) -> AsyncIterator[StreamEvent]:
        assert self.provider is not None
        if self.conversation is not None:
            return self.conversation.runner.stream(self.provider, self.request)
        return self.provider.stream(self.request)

    async def complete(self) -> Completion:
        assert self.provider is not None
        if self.conversation is not None:
            return await self.conversation.runner.complete(self.provider, self.request)
        return await self.provider.complete(self.request)


class ChatService:
    def __init__(
        self,
        catalog: Catalog,
        providers: ProviderRegistry,
        request_log: RequestLogWriter,
        keys: KeyService,
        clock: Clock,
        conversations: ConversationService | None = None,
        runner: FallbackRunner | None = None,
        sandbox_chunk_delay: float = 0.0,
    ) -> None:
        self.catalog = catalog
        self.providers = providers
        self.request_log = request_log
        self.keys = keys
        self.clock = clock
        self.runner = runner or FallbackRunner(catalog, providers, InProcessHealth(clock))
        self.sandbox_chunk_delay = sandbox_chunk_delay
        self.conversations = conversations

    async def create(
        self, principal: Principal, params: ChatParams, request_id: str, endpoint: str
    ) -> ChatOutcome:
        base = await self._prepare(principal, params, request_id, endpoint)
        plan = self.runner.plan(base.model, principal.tier, params.allow_fallback, principal.is_test)
        schema = base.request.json_schema
        if schema is not None:
            return await self._create_structured(base, plan, schema)
        if params.stream:
            try:
                opened = await self.runner.run(
                    plan, sandbox=principal.is_test, call=lambda m, p: self._open_stream(self._on(base, m, p))
                )
            except MonsterError as exc:
                await self._log_failure(base, exc)
                raise
            call, events = opened.result
            call.attempts = opened.attempts
            return ChatOutcome(self._headers(call), chunks=self._stream(call, events))
        try:
            served = await self.runner.run(
                plan, sandbox=principal.is_test, call=lambda m, p: self._complete_on(base, m, p)
            )
        except MonsterError as exc:
            await self._log_failure(base, exc)
            raise
        except asyncio.CancelledError:
            # The client went away while the provider worked: the attempt is still recorded.
            entry = self._entry(base, Usage(self._prompt_tokens(base.request), 0), 499, "CLIENT_CLOSED")
            self.request_log.record_nowait(entry)
            raise
        call, result = served.result
        call.attempts = served.attempts
        await self._log(call, result.usage, status=200)
        await self._commit(call)
        return ChatOutcome(self._headers(call), completion=self._completion_object(call, result))

    async def _commit(self, call: _Call) -> None:
        if call.conversation is not None and self.conversations is not None:
            await self.conversations.commit(call.conversation)

    def _headers(self, call: _Call) -> dict[str, str]:
        headers = {"X-Monster-Provider": call.provider_name, "X-Monster-Model": call.model.id}
        if call.requested is not None:
            headers["X-Monster-Fallback"] = call.model.id
            headers["X-Monster-Requested-Model"] = call.requested.id
        if call.route is not None:
            headers["X-Monster-Discipline"] = call.route.discipline
            headers["X-Monster-Specialist"] = call.route.specialist
            # Which classifier layers decided: lexical, or semantic (MiniLM took part).
            headers["X-Monster-Classifier"] = call.route.classification.method
        conversation = call.conversation
        if conversation is not None and conversation.thread_id:
            headers["X-Monster-Thread"] = conversation.thread_id
            headers["X-Monster-Memory"] = conversation.memory_header()
        return headers

    def _on(self, base: _Call, model: ModelInfo, provider: Provider) -> _Call:
        """The call ``base`` retargeted at ``model`` (itself, or a fallback) served by ``provider``."""
        if model.id == base.model.id:
            return replace(base, provider=provider)
        max_tokens = _max_tokens(model, base.params)
        _check_context(model, base.request.messages, base.request.tools, max_tokens)
        request = replace(base.request, model=model, max_tokens=max_tokens)
        return replace(base, model=model, provider=provider, request=request, requested=base.model)

    async def _complete_on(
        self, base: _Call, model: ModelInfo, provider: Provider
    ) -> tuple[_Call, Completion]:
        call = self._on(base, model, provider)
        return call, await call.complete()

    async def _open_stream(self, call: _Call) -> tuple[_Call, AsyncIterator[StreamEvent]]:
        """Start the upstream stream and wait for its first event: until then, failing over is safe."""
        events = aiter(call.stream_events())
        try:
            first = await anext(events)
        except StopAsyncIteration:
            return call, replay([])
        except BaseException:
            await events.aclose()  # type: ignore[attr-defined]
            raise
        return call, prepend(first, events)

    async def _create_structured(
        self, base: _Call, plan: list[ModelInfo], schema: dict[str, Any]
    ) -> ChatOutcome:
        structured.check_supported(schema, "response_format.json_schema.schema")
        served: list[Served[tuple[_Call, Completion]]] = []

        async def run(messages: list[dict[str, Any]]) -> Completion:
            attempt = replace(base, request=replace(base.request, messages=messages))
            result = await self.runner.run(
                plan,
                sandbox=base.principal.is_test,
                call=lambda m, p: self._complete_on(attempt, m, p),
            )
            served.append(result)
            return result.result[1]

        try:
            result, value = await structured.complete_valid(base.request.messages, schema, run)
        except MonsterError as exc:
            call = served[-1].result[0] if served else base
            await self._log_failure(call, exc, getattr(exc, "usage", None))
            raise
        call = replace(served[-1].result[0], request=base.request)
        call.attempts = sum(s.attempts for s in served)
        await self._log(call, result.usage, status=200)
        await self._commit(call)
        headers = dict(self._headers(call), **{"X-Monster-Validated": "json_schema"})
        if len(served) > 1:
            headers["X-Monster-Repaired"] = "1"
        if base.params.stream:
            return ChatOutcome(headers, chunks=self._stream(call, replay(as_events(result)), log=False))
        completion = self._completion_object(call, result)
        if base.params.extensions.get("structured") and value is not None:
            completion["choices"][0]["message"]["parsed"] = value
        return ChatOutcome(headers, completion=completion)

    async def _resolve(self, name: str, principal: Principal) -> ModelInfo:
        try:
            return self.catalog.resolve(name, principal.tier)
        except ModelNotFoundError:
            local = await self.providers.local.find(name) if self.providers.local.configured else None
            if local is None:
                raise
            return local

    async def _prepare(
        self, principal: Principal, params: ChatParams, request_id: str, endpoint: str
    ) -> _Call:
        model = await self._resolve(params.model, principal)
        route = None
        if model.api == "router":
            if monster_gpt.semantic_ready():
                # A close call may cost a MiniLM encode (milliseconds): keep it off the event loop.
                model, route = await asyncio.to_thread(self._monster_gpt, params.messages, principal)
            else:
                model, route = self._monster_gpt(params.messages, principal)
        if not principal.is_test:
            balance = await self.keys.admission_balance(principal.developer_id)
            if balance <= 0:
                raise CreditsExhaustedError(f"The credit balance of this account is ${balance:.2f}.")
        conversation = None
        if self.conversations is not None and self.conversations.applies(params):
            conversation = await self.conversations.prepare(principal, params, model)
        messages = conversation.messages if conversation else params.messages
        if route is not None:
            # The specialist's prompt comes first; the caller's own system messages follow it.
            messages = [{"role": "system", "content": route.system_prompt}, *messages]
        tools = conversation.tools if conversation else params.tools
        max_tokens = _max_tokens(model, params)
        _check_context(model, messages, tools, max_tokens)
        provider = self.providers.sandbox if principal.is_test else None
        context = conversation.context if conversation else _context(params)
        if principal.is_test and self.sandbox_chunk_delay:
            context["sandbox_chunk_delay"] = self.sandbox_chunk_delay
        request = ChatRequest(
            model=model,
            messages=messages,
            max_tokens=max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            stop=conversation.stop if conversation else params.stop,
            seed=params.seed,
            tools=tools,
            tool_choice=params.tool_choice,
            parallel_tool_calls=params.parallel_tool_calls,
            response_format=params.response_format,
            user=params.user,
            context=context,
        )
        return _Call(
            principal,
            params,
            model,
            provider,
            request,
            request_id,
            endpoint,
            completion_id=f"chatcmpl-{new_id('mg', 9)}",
            created=int(self.clock.time()),
            conversation=conversation,
            route=route,
        )

    def _monster_gpt(
        self, messages: list[dict[str, Any]], principal: Principal
    ) -> tuple[ModelInfo, monster_gpt.Route]:
        """Classify the last user message: the discipline's specialist and backend model."""
        last = next((m for m in reversed(messages) if m["role"] == "user"), None)
        route = monster_gpt.route(text_of(last.get("content")) if last else "", principal.tier)
        backend = self.catalog.get(route.model)
        if backend is None or backend.kind != "chat" or backend.api == "router":
            raise InternalError(f"Monster-GPT routes {route.discipline} to an unknown model.")
        return backend, route

    def _completion_object(self, call: _Call, result: Completion) -> dict[str, Any]:
        message = result.message()
        if call.conversation is not None and call.conversation.speaker:
            message["name"] = call.conversation.speaker
        return {
            "id": call.completion_id,
            "object": "chat.completion",
            "created": call.created,
            "model": call.model.id,
            "system_fingerprint": f"mg_{call.provider_name}",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": result.finish_reason,
                }
            ],
            "usage": result.usage.as_dict(),
            **_thread_fields(call),
        }

    def _chunk(
        self, call: _Call, choices: list[dict[str, Any]], usage: Usage | None = None
    ) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": call.completion_id,
            "object": "chat.completion.chunk",
            "created": call.created,
            "model": call.model.id,
            "system_fingerprint": f"mg_{call.provider_name}",
            "choices": choices,
            **_thread_fields(call),
        }
        if call.params.include_usage:
            chunk["usage"] = usage.as_dict() if usage else None
        return chunk

    async def _stream(
        self, call: _Call, events: AsyncIterator[StreamEvent], log: bool = True
    ) -> AsyncIterator[dict[str, Any]]:
        usage: Usage | None = None
        finish: str | None = None
        produced: list[str] = []
        status, error = 200, None
        conversation = call.conversation if log else None
        try:
            # aclosing: when the client goes away the upstream call is closed now, not at GC.
            async with aclosing(events):  # type: ignore[type-var]
                async for event in events:
                    if event.usage is not None:
                        usage = event.usage
                        continue
                    if event.delta is not None:
                        if event.delta.get("content"):
                            produced.append(event.delta["content"])
                        choice = {"index": 0, "delta": event.delta, "logprobs": None, "finish_reason": None}
                        yield self._chunk(call, [choice])
                    if event.finish_reason is not None:
                        finish = event.finish_reason
                        choice = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}
                        yield self._chunk(call, [choice])
            usage = usage or self._produced_usage(call, produced)
            if conversation is not None and self.conversations is not None:
                # Stored before [DONE], so a client that reads the thread next finds the turn.
                await self.conversations.commit(conversation)
            if call.params.include_usage:
                yield self._chunk(call, [], usage)
        except MonsterError as exc:
            status, error = exc.status, exc.code
            raise
        except (asyncio.CancelledError, GeneratorExit, ConnectionError):
            # The client went away: what was produced is still recorded (status 499, as nginx).
            status, error = 499, "CLIENT_CLOSED"
            raise
        except Exception:
            status, error = 500, "INTERNAL_ERROR"
            raise
        finally:
            if conversation is not None and self.conversations is not None and status == 499:
                self.conversations.commit_later(conversation)
            if log:
                entry = self._entry(call, usage or self._produced_usage(call, produced), status, error)
                entry.extra = dict(entry.extra or {}, finish_reason=finish)
                if status == 200:
                    # Committed before the caller writes `data: [DONE]`: a finished stream is on record.
                    await self.request_log.record(entry)
                else:
                    self.request_log.record_nowait(entry)

    def _prompt_tokens(self, request: ChatRequest) -> int:
        return tokens.count_messages(request.messages, request.tools)

    def _produced_usage(self, call: _Call, produced: list[str]) -> Usage:
        return Usage(self._prompt_tokens(call.request), tokens.count_text("".join(produced)))

    def _entry(self, call: _Call, usage: Usage, status: int, error_code: str | None) -> LogEntry:
        cost = (
            0.0
            if call.principal.is_test
            else call.model.cost_usd(usage.prompt_tokens, usage.completion_tokens)
        )
        params = call.params
        extra = {
            k: v
            for k, v in {
                "npc_id": params.npc_id,
                "npc_template": params.npc_template,
                "player_id": params.player_id,
                "thread_id": call.conversation.thread_id if call.conversation else params.thread_id,
                "response_style": params.response_style,
                "allow_fallback": params.allow_fallback or None,
                "fallback_from": call.requested.id if call.requested is not None else None,
                "attempts": call.attempts if call.attempts > 1 else None,
                "via": "monster-gpt" if call.route is not None else None,
                "discipline": call.route.discipline if call.route is not None else None,
            }.items()
            if v is not None
        }
        return LogEntry(
            request_id=call.request_id,
            developer_id=call.principal.developer_id,
            key_id=call.principal.key.id,
            endpoint=call.endpoint,
            status=status,
            created_at=self.clock.now(),
            model=call.model.id,
            provider=call.provider_name,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=cost,
            latency_ms=round((time.perf_counter() - call.started) * 1000, 3),
            error_code=error_code,
            stream=call.params.stream,
            extra=extra or None,
            charge_usd=cost,
        )

    async def _log(self, call: _Call, usage: Usage, status: int) -> None:
        await self.request_log.record(self._entry(call, usage, status, None))

    async def _log_failure(self, call: _Call, exc: MonsterError, usage: Usage | None = None) -> None:
        usage = usage or Usage(self._prompt_tokens(call.request), 0)
        entry = self._entry(call, usage, exc.status, exc.code)
        entry.charge_usd = entry.cost_usd = 0.0
        await self.request_log.record(entry)


def _check_context(
    model: ModelInfo,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    max_tokens: int | None,
) -> None:
    prompt_tokens = tokens.count_messages(messages, tools)
    # As OpenAI does, the completion a caller asks for must fit beside the prompt.
    if prompt_tokens + (max_tokens or 0) > model.context_window:
        asked = f" plus max_tokens {max_tokens}" if max_tokens else ""
        raise ContextOverflowError(
            f"The prompt is {prompt_tokens} tokens{asked}; {model.id} takes at most "
            f"{model.context_window} in all."
        )


def _max_tokens(model: ModelInfo, params: ChatParams) -> int | None:
    if model.max_output and params.max_tokens is not None:
        return min(params.max_tokens, model.max_output)
    return params.max_tokens


def _context(params: ChatParams) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if params.response_style:
        context["response_style"] = params.response_style
    if params.npc_template:
        context["template"] = params.npc_template
    if params.npc_id:
        context["npc_name"] = params.npc_id
    return context


def _thread_fields(call: _Call) -> dict[str, Any]:
    conversation = call.conversation
    if conversation is None or conversation.thread_id is None:
        return {}
    fields: dict[str, Any] = {"thread_id": conversation.thread_id}
    if conversation.speaker:
        fields["npc_id"] = conversation.speaker
    return fields
