"""Running the model for one NPC turn, whole or streamed.

On top of the provider call it guarantees what a game relies on:

- every tool call handed to the game is valid against its action's schema: an invalid one is
  re-asked once (the model sees the validation error), and dropped and logged if still invalid;
- a reply that breaks the fourth wall is regenerated once; what still breaks it is cut out;
- the NPC never speaks for someone else, and stage directions that name an action become that
  action instead of being read out (see :mod:`guard`).

Streams forward dialogue as it arrives; tool calls are held until they are complete and valid,
then sent whole (one delta per call, as the OpenAI stream format allows).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace
from typing import Any

from local_gateway.providers import tokens
from local_gateway.providers.base import ChatRequest, Completion, Provider, StreamEvent, Usage
from local_gateway.services.core.ids import new_id
from local_gateway.services.npc.actions import CallChecker
from local_gateway.services.npc.guard import DialogueFilter, breaks_character, drop_breaking_sentences

log = logging.getLogger("mg.gateway.npc")


@dataclass
class TurnResult:
    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str = "stop"
    usage: Usage = field(default_factory=lambda: Usage(0, 0))
    dropped: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True

    def completion(self) -> Completion:
        return Completion(self.content, self.tool_calls or None, self.finish_reason, self.usage)


@dataclass
class Voice:
    """Who speaks and what the filter must know: own labels, others' labels, action names."""

    name: str
    own: set[str]
    foreign: set[str]
    actions: set[str]


def _add(a: Usage, b: Usage | None) -> Usage:
    if b is None:
        return a
    return Usage(a.prompt_tokens + b.prompt_tokens, a.completion_tokens + b.completion_tokens)


class TurnRunner:
    def __init__(self, voice: Voice, checker: CallChecker) -> None:
        self.voice = voice
        self.checker = checker
        self.result: TurnResult | None = None

    def _nudge(self, request: ChatRequest) -> ChatRequest:
        reminder = {
            "role": "system",
            "content": (
                f"Stay in character as {self.voice.name}. Never say you are an AI, a model or a program, "
                "and never step outside the world of the game. Answer again, in character."
            ),
        }
        return replace(request, messages=[*request.messages, reminder])

    def _filter(self, first_attempt: bool) -> DialogueFilter:
        v = self.voice
        return DialogueFilter(own=v.own, foreign=v.foreign, actions=v.actions, check_opening=first_attempt)

    # -- whole replies -------------------------------------------------------------------------

    async def complete(self, provider: Provider, request: ChatRequest) -> Completion:
        result = await provider.complete(request)
        usage = result.usage
        if breaks_character(result.content or ""):
            log.info("reply of %s broke character; regenerating", self.voice.name)
            result = await provider.complete(self._nudge(request))
            usage = _add(usage, result.usage)
        content = result.content or ""
        if breaks_character(content):
            content = drop_breaking_sentences(content)
        filt = self._filter(first_attempt=False)
        content = filt.feed(content) + filt.finish()
        calls, usage = await self._settle_calls(provider, request, result.tool_calls or [], filt, usage)
        self.result = TurnResult(
            content or (None if calls else ""),
            calls,
            self._finish(result.finish_reason, calls),
            usage,
        )
        return self.result.completion()

    # -- streams -------------------------------------------------------------------------------

    async def stream(self, provider: Provider, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        usage = Usage(0, 0)
        attempt_request = request
        role_sent = False
        attempt = 0
        while True:  # a second attempt only when the first broke character
            filt = self._filter(first_attempt=attempt == 0)
            raw: dict[int, dict[str, Any]] = {}
            finish: str | None = None
            upstream_usage: Usage | None = None
            produced: list[str] = []
            source = provider.stream(attempt_request)
            try:
                async for event in source:
                    if event.usage is not None:
                        upstream_usage = event.usage
                        continue
                    if event.finish_reason is not None:
                        finish = event.finish_reason
                    delta = event.delta
                    if delta is None:
                        continue
                    if not role_sent:
                        role_sent = True
                        yield StreamEvent(delta={"role": "assistant", "content": ""})
                    text = delta.get("content")
                    if text:
                        produced.append(text)
                        out = filt.feed(text)
                        if filt.broken:
                            break
                        if out:
                            yield StreamEvent(delta={"content": out})
                        if filt.cut:
                            break
                    for part in delta.get("tool_calls") or ():
                        _merge_call(raw, part)
            finally:
                await source.aclose()
            if upstream_usage is None:
                upstream_usage = Usage(
                    tokens.count_messages(attempt_request.messages, attempt_request.tools),
                    tokens.count_text("".join(produced)),
                )
            usage = _add(usage, upstream_usage)
            # The opening of a short reply is only complete at its end.
            tail = filt.finish()
            if filt.broken and attempt == 0:
                log.info("streamed reply of %s broke character; regenerating", self.voice.name)
                attempt_request = self._nudge(request)
                attempt = 1
                continue
            break
        if not role_sent:
            yield StreamEvent(delta={"role": "assistant", "content": ""})
        if tail:
            yield StreamEvent(delta={"content": tail})
        calls_in = [raw[i] for i in sorted(raw)]
        calls, usage = await self._settle_calls(provider, request, calls_in, filt, usage)
        for index, call in enumerate(calls):
            yield StreamEvent(delta={"tool_calls": [dict(call, index=index)]})
        final = self._finish(finish or "stop", calls)
        self.result = TurnResult(filt.text or (None if calls else ""), calls, final, usage)
        yield StreamEvent(finish_reason=final)
        yield StreamEvent(usage=usage)

    # -- tool calls ----------------------------------------------------------------------------

    async def _settle_calls(
        self,
        provider: Provider,
        request: ChatRequest,
        calls: list[dict[str, Any]],
        filt: DialogueFilter,
        usage: Usage,
    ) -> tuple[list[dict[str, Any]], Usage]:
        valid: list[dict[str, Any]] = []
        for call in calls:
            check = self.checker.check(call)
            if check.ok:
                valid.append(_canonical(call, check.arguments))
                continue
            name = (call.get("function") or {}).get("name")
            repaired = None
            if name in self.checker.names:
                repaired, extra = await self._repair(provider, request, call, check.error)
                usage = _add(usage, extra)
            if repaired is not None:
                valid.append(repaired)
            else:
                log.warning("dropped invalid call of %s by %s: %s", name, self.voice.name, check.error)
        called = {c["function"]["name"] for c in valid}
        for name in filt.named_actions:
            # A stage direction named an action the model did not call: call it when it needs
            # no arguments, so that "*opens the gate*" opens the gate.
            if name in called:
                continue
            synthetic = {"id": "", "type": "function", "function": {"name": name, "arguments": "{}"}}
            check = self.checker.check(synthetic)
            if check.ok:
                valid.append(_canonical(synthetic, check.arguments))
                called.add(name)
        return valid, usage

    async def _repair(
        self, provider: Provider, request: ChatRequest, call: dict[str, Any], error: str
    ) -> tuple[dict[str, Any] | None, Usage | None]:
        name = call["function"]["name"]
        call_id = call.get("id") or _call_id()
        messages = [
            *request.messages,
            {"role": "assistant", "content": None, "tool_calls": [dict(call, id=call_id)]},
            {
                "role": "tool",
                "tool_call_id": call_id,
                "content": (
                    f"Error: the arguments of {name} are invalid ({error}). "
                    f"Call {name} again with arguments that match its parameters."
                ),
            },
        ]
        retry = replace(
            request, messages=messages, tool_choice={"type": "function", "function": {"name": name}}
        )
        try:
            result = await provider.complete(retry)
        except Exception:
            log.warning("re-asking for a valid call of %s failed", name, exc_info=True)
            return None, None
        for candidate in result.tool_calls or ():
            if (candidate.get("function") or {}).get("name") != name:
                continue
            check = self.checker.check(candidate)
            if check.ok:
                return _canonical(dict(candidate, id=call_id), check.arguments), result.usage
        return None, result.usage

    @staticmethod
    def _finish(upstream: str, calls: list[dict[str, Any]]) -> str:
        if calls:
            return "tool_calls"
        return "stop" if upstream == "tool_calls" else upstream


def _call_id() -> str:
    return new_id("call", 12)


def _canonical(call: dict[str, Any], arguments: Any) -> dict[str, Any]:
    return {
        "id": call.get("id") or _call_id(),
        "type": "function",
        "function": {
            "name": call["function"]["name"],
            "arguments": json.dumps(arguments, ensure_ascii=False, separators=(",", ":")),
        },
    }


def _merge_call(raw: dict[int, dict[str, Any]], part: dict[str, Any]) -> None:
    index = int(part.get("index", 0))
    call = raw.setdefault(index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
    if part.get("id"):
        call["id"] = part["id"]
    fn = part.get("function") or {}
    if fn.get("name"):
        call["function"]["name"] = fn["name"]
    if fn.get("arguments"):
        call["function"]["arguments"] += fn["arguments"]
