"""Chat completions: admission, model and provider choice, the call, accounting.

The HTTP layer hands over the request's context and a parsed body, and gets back either a
completion object or an async iterator of OpenAI chunk objects; SSE framing stays in the HTTP
layer. One completion walks: ``_prepare`` (model, Monster-GPT, NPC prompt, the provider
route, decided once) → admission (the worst case over the fallback plan, reserved) → the fallback
runner (the call) → metering (one record, which settles the reservation).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, replace
from typing import Any

from local_gateway.providers.base import ChatRequest, Completion, ModelInfo, Provider, StreamEvent, Usage
from local_gateway.providers.messages import text_of
from local_gateway.providers.registry import ProviderRegistry
from local_gateway.services import monster_gpt
from local_gateway.services.accounts.keys import Principal
from local_gateway.services.billing.admission import Admission
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.metering import Meter
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import SequentialIds
from local_gateway.services.inference import structured
from local_gateway.services.inference.call import (
    Call,
    check_context,
    max_tokens_for,
    sandbox_context,
    worst_case_micros,
)
from local_gateway.services.inference.catalog import Catalog
from local_gateway.services.inference.fallback import FallbackRunner, Served
from local_gateway.services.inference.params import ChatParams
from local_gateway.services.inference.stream import StreamRelay, as_events, open_stream, replay
from local_gateway.services.npc.conversation import ConversationService
from local_gateway.store.thread_records import ThreadRecord
from mg.errors import InternalError, ModelNotFoundError, MonsterError

# OpenAI's completion ids are opaque and unique; ours say which gateway process answered.
_COMPLETION_IDS = SequentialIds("chatcmpl-mg")


@dataclass
class ChatOutcome:
    headers: dict[str, str]
    completion: dict[str, Any] | None = None
    chunks: AsyncGenerator[dict[str, Any], None] | None = None


class ChatService:
    def __init__(
        self,
        catalog: Catalog,
        providers: ProviderRegistry,
        admission: Admission,
        meter: Meter,
        clock: Clock,
        runner: FallbackRunner,
        conversations: ConversationService | None = None,
        semantic: monster_gpt.SemanticLayer | None = None,
    ) -> None:
        self.catalog = catalog
        self.providers = providers
        self.admission = admission
        self.meter = meter
        self.clock = clock
        self.runner = runner
        self.conversations = conversations
        # Monster-GPT's semantic layer over the app's embedder; None when it is off or lexical-only.
        self.semantic = semantic
        self.streams = StreamRelay(meter, conversations)

    async def create(self, ctx: RequestContext, params: ChatParams) -> ChatOutcome:
        """Serve one ``POST /v1/chat/completions`` (or ``/v1/stream``, ``/v1/structured``)."""
        try:
            return await self._create(await self._prepare(ctx, params))
        except BaseException:
            # Failed before anything was recorded: the reservation goes back (after a record
            # the slot is empty and this does nothing).
            await self.admission.release(ctx)
            raise

    async def speak(self, ctx: RequestContext, thread_id: str, params: ChatParams) -> ChatOutcome:
        """Have an NPC of ``thread_id`` answer; the conversation service fills in what speak omits."""
        if self.conversations is None:
            raise InternalError("NPC threads are not available on this gateway.")
        thread = await self.conversations.speak_defaults(ctx.principal, thread_id, params)
        try:
            return await self._create(await self._prepare(ctx, params, thread))
        except BaseException:
            await self.admission.release(ctx)
            raise

    async def _create(self, base: Call) -> ChatOutcome:
        params = base.params
        plan = self.runner.plan(base.model, base.ctx.principal.tier, params.allow_fallback, base.upstreams)
        schema = base.request.json_schema
        # Every attempt the request may make: a structured re-ask, an NPC regeneration.
        attempts = 1 + (schema is not None) + (base.conversation is not None)
        await self.admission.reserve(base.ctx, worst_case_micros(base, plan, attempts))
        if schema is not None:
            return await self._create_structured(base, plan, schema)
        if params.stream:
            try:
                opened = await self.runner.run(plan, base.upstreams, lambda m, p: self._open_on(base, m, p))
            except MonsterError as exc:
                await self._record_failure(base, exc)
                raise
            call, events = opened.result
            call.attempts = opened.attempts
            return ChatOutcome(call.headers(), chunks=self.streams.relay(call, events))
        try:
            served = await self.runner.run(plan, base.upstreams, lambda m, p: self._complete_on(base, m, p))
        except MonsterError as exc:
            await self._record_failure(base, exc)
            raise
        except asyncio.CancelledError:
            # The client went away while the provider worked: the attempt is still recorded.
            self.meter.record_later(
                base.ctx, base.model, base.provider_name, base.prompt_usage(),
                status=499, error_code="CLIENT_CLOSED", extra=base.log_extra(),
            )  # fmt: skip
            raise
        call, result = served.result
        call.attempts = served.attempts
        cost = await self._finish(call, result)
        return ChatOutcome(call.headers(), completion=call.completion_object(result, cost))

    async def _finish(self, call: Call, result: Completion) -> int:
        """Meter a finished completion and store its NPC turn; returns its cost."""
        cost = await self.meter.record(
            call.ctx, call.model, call.provider_name, result.usage,
            stream=call.params.stream, extra=call.log_extra(),
        )  # fmt: skip
        if call.conversation is not None and self.conversations is not None:
            await self.conversations.commit(call.conversation)
        return cost

    async def _complete_on(self, base: Call, model: ModelInfo, provider: Provider) -> tuple[Call, Completion]:
        call = base.on(model, provider)
        return call, await call.complete()

    async def _open_on(
        self, base: Call, model: ModelInfo, provider: Provider
    ) -> tuple[Call, AsyncGenerator[StreamEvent, None]]:
        call = base.on(model, provider)
        return call, await open_stream(call.stream_events())

    async def _create_structured(
        self, base: Call, plan: list[ModelInfo], schema: dict[str, Any]
    ) -> ChatOutcome:
        structured.check_supported(schema, "response_format.json_schema.schema")
        served: list[Served[tuple[Call, Completion]]] = []

        async def run(messages: list[dict[str, Any]]) -> Completion:
            attempt = replace(base, request=replace(base.request, messages=messages))
            result = await self.runner.run(
                plan, base.upstreams, lambda m, p: self._complete_on(attempt, m, p)
            )
            served.append(result)
            return result.result[1]

        try:
            result, value = await structured.complete_valid(base.request.messages, schema, run)
        except MonsterError as exc:
            call = served[-1].result[0] if served else base
            # An answer that never validated is logged with what both attempts used (not charged).
            await self._record_failure(call, exc, getattr(exc, "usage", None))
            raise
        call = replace(served[-1].result[0], request=base.request)
        call.attempts = sum(s.attempts for s in served)
        cost = await self._finish(call, result)
        headers = dict(call.headers(), **{"X-Monster-Validated": "json_schema"})
        if len(served) > 1:
            headers["X-Monster-Repaired"] = "1"
        if base.params.stream:
            chunks = self.streams.relay(call, replay(as_events(result)), record=False, cost=cost)
            return ChatOutcome(headers, chunks=chunks)
        completion = call.completion_object(result, cost)
        if base.params.extensions.get("structured") and value is not None:
            completion["choices"][0]["message"]["parsed"] = value
        return ChatOutcome(headers, completion=completion)

    async def _record_failure(self, call: Call, exc: MonsterError, usage: Usage | None = None) -> None:
        # A failed request is logged with what it asked for and is not charged, unless the
        # provider did produce tokens (answers that never validated): those are debited.
        await self.meter.record(
            call.ctx, call.model, call.provider_name, usage or call.prompt_usage(),
            status=exc.status, error_code=exc.code, charged=usage is not None,
            stream=call.params.stream, extra=call.log_extra(),
        )  # fmt: skip

    async def _resolve(self, name: str, principal: Principal) -> ModelInfo:
        try:
            return self.catalog.resolve(name, principal.tier)
        except ModelNotFoundError:
            local = await self.providers.local.find(name) if self.providers.local.configured else None
            if local is None:
                raise
            return local

    async def _prepare(
        self, ctx: RequestContext, params: ChatParams, thread: ThreadRecord | None = None
    ) -> Call:
        principal = ctx.principal
        assert params.model is not None, "speak_defaults fills in the model"
        model = await self._resolve(params.model, principal)
        route = None
        if model.api == "router":
            if self.semantic is not None and self.semantic.ready:
                # A close call may cost a MiniLM encode (milliseconds): keep it off the event loop.
                model, route = await asyncio.to_thread(self._monster_gpt, params.messages, principal)
            else:
                model, route = self._monster_gpt(params.messages, principal)
        upstreams = self.providers.for_caller(principal)
        conversation = None
        if self.conversations is not None and self.conversations.applies(params):
            conversation = await self.conversations.prepare(ctx, params, model, upstreams, thread)
        messages = conversation.messages if conversation else params.messages
        if route is not None:
            # The specialist's prompt comes first; the caller's own system messages follow it.
            messages = [{"role": "system", "content": route.system_prompt}, *messages]
        tools = conversation.tools if conversation else params.tools
        max_tokens = max_tokens_for(model, params)
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
            n=params.n,
            logprobs=params.logprobs,
            top_logprobs=params.top_logprobs,
            context=conversation.context if conversation else sandbox_context(params),
        )
        check_context(model, request.prompt_tokens, max_tokens)
        return Call(
            ctx,
            params,
            model,
            upstreams,
            request,
            completion_id=_COMPLETION_IDS.next(),
            created=int(self.clock.time()),
            conversation=conversation,
            route=route,
        )

    def _monster_gpt(
        self, messages: list[dict[str, Any]], principal: Principal
    ) -> tuple[ModelInfo, monster_gpt.Route]:
        """Classify the last user message: the discipline's specialist and backend model."""
        last = next((m for m in reversed(messages) if m["role"] == "user"), None)
        text = text_of(last.get("content")) if last else ""
        route = monster_gpt.route(text, principal.tier, self.semantic)
        backend = self.catalog.get(route.model)
        if backend is None or backend.kind != "chat" or backend.api == "router":
            raise InternalError(f"Monster-GPT routes {route.discipline} to an unknown model.")
        return backend, route
