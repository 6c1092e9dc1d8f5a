"""Typed answers of the SDK: chat completions, stream chunks and models.

Each object is built from the decoded JSON and keeps it whole in ``raw``, so that fields newer
than this SDK (and the NPC extension fields) are never lost; ``to_dict()`` gives it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "Choice",
    "ChunkChoice",
    "Delta",
    "Message",
    "Model",
    "ResponseInfo",
    "Usage",
]


@dataclass(frozen=True)
class ResponseInfo:
    """What the gateway said about an answer in its headers."""

    request_id: str | None = None
    provider: str | None = None
    model: str | None = None
    thread_id: str | None = None

    @classmethod
    def from_headers(cls, headers: Any) -> ResponseInfo:
        return cls(
            request_id=headers.get("x-request-id"),
            provider=headers.get("x-monster-provider"),
            model=headers.get("x-monster-model"),
            thread_id=headers.get("x-monster-thread"),
        )


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def from_dict(cls, data: Any) -> Usage | None:
        if not isinstance(data, dict):
            return None
        return cls(
            int(data.get("prompt_tokens") or 0),
            int(data.get("completion_tokens") or 0),
            int(data.get("total_tokens") or 0),
        )


@dataclass(frozen=True)
class Message:
    role: str
    content: str | None
    tool_calls: list[dict[str, Any]] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        return cls(str(data.get("role") or "assistant"), data.get("content"), data.get("tool_calls"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = self.tool_calls
        return out


@dataclass(frozen=True)
class Choice:
    index: int
    message: Message
    finish_reason: str | None


@dataclass(frozen=True)
class ChatCompletion:
    """``POST /v1/chat/completions`` without streaming (or a stream gathered into one)."""

    id: str
    model: str
    created: int
    choices: list[Choice]
    usage: Usage | None
    raw: dict[str, Any] = field(repr=False, compare=False)
    info: ResponseInfo = field(default_factory=ResponseInfo, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], info: ResponseInfo | None = None) -> ChatCompletion:
        choices = [
            Choice(int(c.get("index", i)), Message.from_dict(c.get("message") or {}), c.get("finish_reason"))
            for i, c in enumerate(data.get("choices") or [])
        ]
        return cls(
            id=str(data.get("id") or ""),
            model=str(data.get("model") or ""),
            created=int(data.get("created") or 0),
            choices=choices,
            usage=Usage.from_dict(data.get("usage")),
            raw=data,
            info=info or ResponseInfo(),
        )

    @property
    def text(self) -> str:
        """The first choice's content ("" when it only called tools)."""
        return (self.choices[0].message.content or "") if self.choices else ""

    @property
    def thread_id(self) -> str | None:
        """The NPC thread this completion belongs to, when the gateway says."""
        value = self.raw.get("thread_id")
        return value if isinstance(value, str) else self.info.thread_id

    @property
    def npc_id(self) -> str | None:
        """Who answered, in a group scene (``POST /v1/threads/{id}/speak``)."""
        value = self.raw.get("npc_id")
        return value if isinstance(value, str) else None

    def to_dict(self) -> dict[str, Any]:
        return self.raw


@dataclass(frozen=True)
class Delta:
    role: str | None = None
    content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class ChunkChoice:
    index: int
    delta: Delta
    finish_reason: str | None


@dataclass(frozen=True)
class ChatCompletionChunk:
    """One ``data:`` event of a streamed completion."""

    id: str
    model: str
    created: int
    choices: list[ChunkChoice]
    usage: Usage | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatCompletionChunk:
        choices = []
        for i, c in enumerate(data.get("choices") or []):
            d = c.get("delta") or {}
            delta = Delta(d.get("role"), d.get("content"), d.get("tool_calls"))
            choices.append(ChunkChoice(int(c.get("index", i)), delta, c.get("finish_reason")))
        return cls(
            id=str(data.get("id") or ""),
            model=str(data.get("model") or ""),
            created=int(data.get("created") or 0),
            choices=choices,
            usage=Usage.from_dict(data.get("usage")),
            raw=data,
        )

    @property
    def text(self) -> str:
        """The content this chunk adds ("" for role, tool-call, finish and usage chunks)."""
        return (self.choices[0].delta.content or "") if self.choices else ""

    def to_dict(self) -> dict[str, Any]:
        return self.raw


@dataclass(frozen=True)
class Model:
    id: str
    owned_by: str
    created: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        return cls(str(data.get("id")), str(data.get("owned_by") or ""), int(data.get("created") or 0), data)

    def to_dict(self) -> dict[str, Any]:
        return self.raw
