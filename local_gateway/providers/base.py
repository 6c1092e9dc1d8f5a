"""What every provider adapter takes and gives back.

A provider receives a :class:`ChatRequest` (OpenAI-shaped messages, already assembled by the
services: NPC prompt, memory, state) and answers either one :class:`Completion` or a stream of
:class:`StreamEvent` in OpenAI delta form. The services add ids, timestamps, the model name and
the SSE framing, so that every adapter only translates.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

from local_gateway.providers import tokens


@dataclass(frozen=True)
class ModelInfo:
    id: str
    provider: str
    upstream: str
    context_window: int
    max_output: int
    input_per_1m: float
    output_per_1m: float
    tier_minimum: str = "free"
    api: str = "openai"
    kind: str = "chat"
    capabilities: dict[str, bool] = field(default_factory=dict)
    price_class: str = "budget"
    display_name: str = ""
    dimensions: int | None = None


@dataclass
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass
class ChatRequest:
    model: ModelInfo
    messages: list[dict[str, Any]]
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    user: str | None = None
    # How many choices, and whether each carries its tokens' log probabilities (OpenAI's fields).
    n: int = 1
    logprobs: bool = False
    top_logprobs: int | None = None
    # Hints for the sandbox engine (NPC name, state, response style); upstreams ignore them.
    context: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def prompt_tokens(self) -> int:
        """The prompt's tokens as :mod:`.tokens` counts them: the context check, the worst-case
        price and a failed call's usage all need it, so it is counted once per request (a request
        with other messages, ``dataclasses.replace``'d, counts its own)."""
        return tokens.count_messages(self.messages, self.tools)

    @property
    def json_schema(self) -> dict[str, Any] | None:
        fmt = self.response_format or {}
        if fmt.get("type") == "json_schema":
            return (fmt.get("json_schema") or {}).get("schema") or {}
        return None


@dataclass
class Completion:
    """One answer: its first choice, and for ``n > 1`` the others in ``alternatives`` (choice 1, 2,
    ...). ``usage`` is the whole request's: the prompt once, every choice's completion tokens."""

    content: str | None
    tool_calls: list[dict[str, Any]] | None
    finish_reason: str
    usage: Usage
    # OpenAI's choice ``logprobs`` object ({"content": [...], "refusal": None}) when asked for.
    logprobs: dict[str, Any] | None = None
    alternatives: list[Completion] = field(default_factory=list)

    @property
    def choices(self) -> list[Completion]:
        return [self, *self.alternatives]

    def message(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = self.tool_calls
        return msg


@dataclass
class StreamEvent:
    """One step of a stream: a delta (OpenAI ``choices[i].delta``), a finish reason, or usage;
    ``index`` is the choice it belongs to (``n > 1``), ``logprobs`` the delta's tokens' ones."""

    delta: dict[str, Any] | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    index: int = 0
    logprobs: dict[str, Any] | None = None


@dataclass
class EmbeddingResult:
    """Vectors in input order, and the tokens the provider counted (or we did)."""

    vectors: list[list[float]]
    prompt_tokens: int


class Provider(Protocol):
    name: str

    async def complete(self, request: ChatRequest) -> Completion: ...

    def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]: ...


@runtime_checkable  # the registry asks an adapter whether it embeds
class EmbeddingProvider(Protocol):
    """An upstream that also serves embeddings (OpenAI-compatible, Gemini)."""

    name: str

    async def embed(
        self, model: ModelInfo, inputs: list[str] | list[list[int]], dimensions: int | None
    ) -> EmbeddingResult:
        """Vectors for texts, or for token-id arrays where the API takes them (OpenAI's does)."""
        ...
