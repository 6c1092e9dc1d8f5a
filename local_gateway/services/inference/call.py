"""One chat completion in flight: what was asked, where it goes, and the objects it answers with."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace
from typing import Any

from local_gateway.providers.base import ChatRequest, Completion, ModelInfo, Provider, StreamEvent, Usage
from local_gateway.providers.registry import ProviderRoute
from local_gateway.services import monster_gpt
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.metering import price
from local_gateway.services.billing.money import micros_to_usd
from local_gateway.services.inference.params import ChatParams
from local_gateway.services.npc.conversation import PreparedConversation
from mg.errors import ContextOverflowError

# Tokens a re-ask adds besides the answer it quotes (the validation error, the instruction).
REASK_ALLOWANCE = 512


@dataclass
class Call:
    """Everything one completion needs, shared by the stream and non-stream paths."""

    ctx: RequestContext
    params: ChatParams
    model: ModelInfo
    # Where this caller's calls go (the sandbox, or the models' providers): chosen once.
    upstreams: ProviderRoute
    request: ChatRequest
    completion_id: str
    created: int
    # The adapter that served the call, once one has.
    provider: Provider | None = None
    # Set when a fallback model served the request: the model that was asked for.
    requested: ModelInfo | None = None
    attempts: int = 1
    # Set when the completion is a turn of an NPC thread (npc_id, thread_id or npc_template).
    conversation: PreparedConversation | None = None
    # Set for model "monster-gpt": the discipline and specialist that answered.
    route: monster_gpt.Route | None = None
    _chunk_template: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def provider_name(self) -> str:
        return self.provider.name if self.provider is not None else self.upstreams.name_of(self.model)

    def on(self, model: ModelInfo, provider: Provider) -> Call:
        """This call retargeted at ``model`` (itself, or a fallback) served by ``provider``."""
        if model.id == self.model.id:
            return replace(self, provider=provider)
        max_tokens = max_tokens_for(model, self.params)
        check_context(model, self.request.prompt_tokens, max_tokens)
        request = replace(self.request, model=model, max_tokens=max_tokens)
        return replace(self, model=model, provider=provider, request=request, requested=self.model)

    def stream_events(self) -> AsyncGenerator[StreamEvent, None]:
        assert self.provider is not None
        if self.conversation is not None:
            return self.conversation.runner.stream(self.provider, self.request)
        return self.provider.stream(self.request)

    async def complete(self) -> Completion:
        assert self.provider is not None
        if self.conversation is not None:
            return await self.conversation.runner.complete(self.provider, self.request)
        return await self.provider.complete(self.request)

    def prompt_usage(self, completion_tokens: int = 0) -> Usage:
        """Usage counted here, for a call the provider did not report on (failed, cut off)."""
        return Usage(self.request.prompt_tokens, completion_tokens)

    # -- what the request log keeps ------------------------------------------------------------

    def log_extra(self, finish_reason: str | None = None, streamed: bool = False) -> dict[str, Any]:
        params = self.params
        conversation = self.conversation
        fields = {
            "npc_id": params.npc_id,
            "npc_template": params.npc_template,
            "player_id": params.player_id,
            "thread_id": conversation.thread_id if conversation else params.thread_id,
            "response_style": params.response_style,
            "allow_fallback": params.allow_fallback or None,
            "fallback_from": self.requested.id if self.requested is not None else None,
            "attempts": self.attempts if self.attempts > 1 else None,
            "via": "monster-gpt" if self.route is not None else None,
            "discipline": self.route.discipline if self.route is not None else None,
        }
        extra: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
        if streamed:
            extra["finish_reason"] = finish_reason
        return extra

    # -- what the caller receives --------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        headers = {"X-Monster-Provider": self.provider_name, "X-Monster-Model": self.model.id}
        if self.requested is not None:
            headers["X-Monster-Fallback"] = self.model.id
            headers["X-Monster-Requested-Model"] = self.requested.id
        if self.route is not None:
            headers["X-Monster-Discipline"] = self.route.discipline
            headers["X-Monster-Specialist"] = self.route.specialist
            # Which classifier layers decided: lexical, or semantic (MiniLM took part).
            headers["X-Monster-Classifier"] = self.route.classification.method
        conversation = self.conversation
        if conversation is not None and conversation.thread_id:
            headers["X-Monster-Thread"] = conversation.thread_id
            headers["X-Monster-Memory"] = conversation.memory_header()
        return headers

    def completion_object(self, result: Completion, cost_micros: int | None = None) -> dict[str, Any]:
        choices = []
        for index, choice in enumerate(result.choices):
            message = choice.message()
            if self.conversation is not None and self.conversation.speaker:
                message["name"] = self.conversation.speaker
            choices.append(
                {
                    "index": index,
                    "message": message,
                    "logprobs": choice.logprobs,
                    "finish_reason": choice.finish_reason,
                }
            )
        return {
            "id": self.completion_id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model.id,
            "system_fingerprint": f"mg_{self.provider_name}",
            "choices": choices,
            "usage": usage_object(result.usage, cost_micros),
            **self._thread_fields(),
        }

    def chunk(
        self, choices: list[dict[str, Any]], usage: Usage | None = None, cost_micros: int | None = None
    ) -> dict[str, Any]:
        chunk = dict(self._chunk_fields(), choices=choices)
        if self.params.include_usage:
            chunk["usage"] = usage_object(usage, cost_micros) if usage else None
        return chunk

    def _chunk_fields(self) -> dict[str, Any]:
        # The same for every chunk of the stream: built at its first chunk (the call no longer
        # changes model or provider once it streams; a replace()d call builds its own).
        fields = self._chunk_template
        if fields is None:
            fields = {
                "id": self.completion_id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model.id,
                "system_fingerprint": f"mg_{self.provider_name}",
                "choices": None,
                **self._thread_fields(),
            }
            self._chunk_template = fields
        return fields

    def _thread_fields(self) -> dict[str, Any]:
        conversation = self.conversation
        if conversation is None or conversation.thread_id is None:
            return {}
        fields: dict[str, Any] = {"thread_id": conversation.thread_id}
        if conversation.speaker:
            fields["npc_id"] = conversation.speaker
        return fields


def usage_object(usage: Usage, cost_micros: int | None) -> dict[str, Any]:
    """OpenAI's usage object, with what the request cost in USD (as OpenRouter reports it)."""
    body: dict[str, Any] = dict(usage.as_dict())
    if cost_micros is not None:
        body["cost"] = micros_to_usd(cost_micros)
    return body


def worst_case_micros(call: Call, plan: list[ModelInfo], attempts: int) -> int:
    """The most ``call`` can cost on any model of its fallback ``plan``: every attempt (a
    structured re-ask, an NPC regeneration) producing ``max_tokens`` (or the model's most) for
    each of its ``n`` choices, on a prompt grown by the answers before it."""
    prompt = call.request.prompt_tokens
    worst = 0
    for model in plan:
        out = max_tokens_for(model, call.params) or model.max_output or max(model.context_window - prompt, 1)
        total, grown = 0, prompt
        for _ in range(attempts):
            total += price(call.ctx, model, Usage(grown, out * call.params.n))
            grown += out + REASK_ALLOWANCE
        worst = max(worst, total)
    return worst


def check_context(model: ModelInfo, prompt_tokens: int, max_tokens: int | None) -> None:
    # As OpenAI does, the completion a caller asks for must fit beside the prompt.
    if prompt_tokens + (max_tokens or 0) > model.context_window:
        asked = f" plus max_tokens {max_tokens}" if max_tokens else ""
        raise ContextOverflowError(
            f"The prompt is {prompt_tokens} tokens{asked}; {model.id} takes at most "
            f"{model.context_window} in all."
        )


def max_tokens_for(model: ModelInfo, params: ChatParams) -> int | None:
    if model.max_output and params.max_tokens is not None:
        return min(params.max_tokens, model.max_output)
    return params.max_tokens


def sandbox_context(params: ChatParams) -> dict[str, Any]:
    """The sandbox's hints for a completion that is not an NPC turn."""
    context: dict[str, Any] = {}
    if params.response_style:
        context["response_style"] = params.response_style
    if params.npc_template:
        context["template"] = params.npc_template
    if params.npc_id:
        context["npc_name"] = params.npc_id
    return context
