"""Chat completions: admission, model and provider choice, the call, accounting.

The HTTP layer hands over a parsed body and gets back either a completion object or an async
iterator of OpenAI chunk objects; SSE framing stays in the HTTP layer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, Completion, ModelInfo, Provider, StreamEvent, Usage
from local_gateway.providers.registry import ProviderRegistry
from local_gateway.services.catalog import Catalog
from local_gateway.services.chat_params import ChatParams
from local_gateway.services.ids import Clock, new_id
from local_gateway.services.keys import KeyService, Principal
from local_gateway.services.npc.conversation import ConversationService, PreparedConversation
from local_gateway.services.request_log import LogEntry, RequestLogWriter
from mg.errors import ContextOverflowError, CreditsExhaustedError, MonsterError


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
    provider: Provider
    request: ChatRequest
    request_id: str
    endpoint: str
    completion_id: str
    created: int
    # Set when the completion is a turn of an NPC thread (npc_id, thread_id or npc_template).
    conversation: PreparedConversation | None = None
    started: float = field(default_factory=time.perf_counter)

    def stream_events(self) -> AsyncIterator[StreamEvent]:
        if self.conversation is not None:
            return self.conversation.runner.stream(self.provider, self.request)
        return self.provider.stream(self.request)

    async def complete(self) -> Completion:
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
        sandbox_chunk_delay: float = 0.0,
    ) -> None:
        self.catalog = catalog
        self.providers = providers
        self.request_log = request_log
        self.keys = keys
        self.clock = clock
        self.conversations = conversations
        self.sandbox_chunk_delay = sandbox_chunk_delay

    async def create(
        self, principal: Principal, params: ChatParams, request_id: str, endpoint: str
    ) -> ChatOutcome:
        call = await self._prepare(principal, params, request_id, endpoint)
        headers = {
            "X-Monster-Provider": call.provider.name,
            "X-Monster-Model": call.model.id,
        }
        conversation = call.conversation
        if conversation is not None and conversation.thread_id:
            headers["X-Monster-Thread"] = conversation.thread_id
            headers["X-Monster-Memory"] = conversation.memory_header()
        if params.stream:
            return ChatOutcome(headers, chunks=self._stream(call))
        try:
            result = await call.complete()
        except MonsterError as exc:
            await self._log_failure(call, exc)
            raise
        except asyncio.CancelledError:
            # The client went away while the provider worked: the attempt is still recorded.
            entry = self._entry(call, Usage(self._prompt_tokens(call.request), 0), 499, "CLIENT_CLOSED")
            self.request_log.record_nowait(entry)
            raise
        if conversation is not None and self.conversations is not None:
            await self.conversations.commit(conversation)
        await self._log(call, result.usage, status=200)
        return ChatOutcome(headers, completion=self._completion_object(call, result))

    async def _prepare(
        self, principal: Principal, params: ChatParams, request_id: str, endpoint: str
    ) -> _Call:
        model = self.catalog.resolve(params.model, principal.tier)
        if not principal.is_test:
            balance = await self.keys.balance(principal.developer_id)
            if balance <= 0:
                raise CreditsExhaustedError(f"The credit balance of this account is ${balance:.2f}.")
        provider = self.providers.for_model(model, sandbox=principal.is_test)
        conversation = None
        if self.conversations is not None and self.conversations.applies(params):
            conversation = await self.conversations.prepare(principal, params, model)
        messages = conversation.messages if conversation else params.messages
        tools = conversation.tools if conversation else params.tools
        prompt_tokens = tokens.count_messages(messages, tools)
        max_tokens = params.max_tokens
        if model.max_output and max_tokens is not None:
            max_tokens = min(max_tokens, model.max_output)
        # As OpenAI does, the completion a caller asks for must fit beside the prompt.
        if prompt_tokens + (max_tokens or 0) > model.context_window:
            asked = f" plus max_tokens {max_tokens}" if max_tokens else ""
            raise ContextOverflowError(
                f"The prompt is {prompt_tokens} tokens{asked}; {model.id} takes at most "
                f"{model.context_window} in all."
            )
        context = conversation.context if conversation else _context(params)
        if provider is self.providers.sandbox and self.sandbox_chunk_delay:
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
        )

    def _completion_object(self, call: _Call, result: Completion) -> dict[str, Any]:
        message = result.message()
        if call.conversation is not None and call.conversation.speaker:
            message["name"] = call.conversation.speaker
        return {
            "id": call.completion_id,
            "object": "chat.completion",
            "created": call.created,
            "model": call.model.id,
            "system_fingerprint": f"mg_{call.provider.name}",
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
            "system_fingerprint": f"mg_{call.provider.name}",
            "choices": choices,
            **_thread_fields(call),
        }
        if call.params.include_usage:
            chunk["usage"] = usage.as_dict() if usage else None
        return chunk

    async def _stream(self, call: _Call) -> AsyncIterator[dict[str, Any]]:
        usage: Usage | None = None
        finish: str | None = None
        produced: list[str] = []
        status, error = 200, None
        conversation = call.conversation
        try:
            # aclosing: when the client goes away the upstream call is closed now, not at GC.
            async with aclosing(call.stream_events()) as events:
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
            provider=call.provider.name,
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

    async def _log_failure(self, call: _Call, exc: MonsterError) -> None:
        usage = Usage(self._prompt_tokens(call.request), 0)
        entry = self._entry(call, usage, exc.status, exc.code)
        entry.charge_usd = entry.cost_usd = 0.0
        await self.request_log.record(entry)


def _thread_fields(call: _Call) -> dict[str, Any]:
    conversation = call.conversation
    if conversation is None or conversation.thread_id is None:
        return {}
    fields: dict[str, Any] = {"thread_id": conversation.thread_id}
    if conversation.speaker:
        fields["npc_id"] = conversation.speaker
    return fields


def _context(params: ChatParams) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if params.response_style:
        context["response_style"] = params.response_style
    if params.npc_template:
        context["template"] = params.npc_template
    if params.npc_id:
        context["npc_name"] = params.npc_id
    return context
