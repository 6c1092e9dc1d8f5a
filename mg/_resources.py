"""The API's namespaces for :class:`~mg.client.MonsterClient`: chat, embeddings, models, keys,
threads and NPC templates (the async ones are in :mod:`mg._resources_async`, the operations ones
in :mod:`mg._resources_ops` and :mod:`mg._resources_debug`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Required, TypedDict, Unpack, overload

from mg._client_base import drop_none
from mg._resource_base import JSON, JSONList, Resource, SyncClient, _completion, _models, _seg, _text
from mg.types import ChatCompletion, Model

if TYPE_CHECKING:
    from mg._streaming import ByteStream, Stream


class ChatCompletionParams(TypedDict, total=False):
    """The fields of ``chat.completions.create`` besides ``stream``.

    ``npc_id``, ``npc_template``, ``player_id``, ``thread_id`` and ``response_style`` are the
    gateway's NPC extension fields; ``extra_body`` adds any other field as is;
    ``include_usage=False`` leaves the usage chunk out of a stream.
    """

    model: Required[str]
    messages: Required[Iterable[Mapping[str, Any]]]
    max_tokens: int | None
    temperature: float | None
    top_p: float | None
    stop: str | list[str] | None
    seed: int | None
    tools: list[JSON] | None
    tool_choice: Any
    response_format: JSON | None
    include_usage: bool | None
    npc_id: str | None
    npc_template: str | None
    player_id: str | None
    thread_id: str | None
    response_style: str | None
    allow_fallback: bool | None
    extra_body: Mapping[str, Any] | None


CHAT_PATH = "/v1/chat/completions"


def chat_body(
    *,
    stream: bool,
    model: str,
    messages: Iterable[Mapping[str, Any]],
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop: str | list[str] | None = None,
    seed: int | None = None,
    tools: list[JSON] | None = None,
    tool_choice: Any = None,
    response_format: JSON | None = None,
    include_usage: bool | None = None,
    npc_id: str | None = None,
    npc_template: str | None = None,
    player_id: str | None = None,
    thread_id: str | None = None,
    response_style: str | None = None,
    allow_fallback: bool | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> JSON:
    """The body of ``POST /v1/chat/completions`` (its signature rejects unknown fields)."""
    body = drop_none(
        {
            "model": model,
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "stop": stop,
            "seed": seed,
            "tools": tools,
            "tool_choice": tool_choice,
            "response_format": response_format,
            "npc_id": npc_id,
            "npc_template": npc_template,
            "player_id": player_id,
            "thread_id": thread_id,
            "response_style": response_style,
            "allow_fallback": allow_fallback,
        }
    )
    body.update(extra_body or {})
    if stream:
        body["stream"] = True
        if include_usage is not False:
            body["stream_options"] = {"include_usage": True}
    return body


def speak_body(npc_id: str | None, messages: Sequence[JSON] | None, stream: bool, fields: JSON) -> JSON:
    """The body of ``POST /v1/threads/{id}/speak``."""
    body = drop_none({"npc_id": npc_id, "messages": messages, **fields})
    if stream:
        body["stream"] = True
        body.setdefault("stream_options", {"include_usage": True})
    return body


class ChatCompletions(Resource):
    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ChatCompletionParams]
    ) -> ChatCompletion: ...
    @overload
    def create(self, *, stream: Literal[True], **params: Unpack[ChatCompletionParams]) -> Stream: ...
    @overload
    def create(self, *, stream: bool, **params: Unpack[ChatCompletionParams]) -> ChatCompletion | Stream: ...
    def create(
        self, *, stream: bool = False, **params: Unpack[ChatCompletionParams]
    ) -> ChatCompletion | Stream:
        """``POST /v1/chat/completions``: a :class:`ChatCompletion`, or with ``stream=True`` a
        :class:`~mg._streaming.Stream` of chunks.

        ``model`` and ``messages`` are required; the other fields are those of
        :class:`ChatCompletionParams` (the OpenAI ones plus the gateway's NPC extension fields).
        """
        body = chat_body(stream=stream, **params)
        if stream:
            return self._client._stream("POST", CHAT_PATH, json=body)
        return self._client._request("POST", CHAT_PATH, json=body, cast=_completion)


class Chat(Resource):
    def __init__(self, client: SyncClient) -> None:
        super().__init__(client)
        self.completions = ChatCompletions(client)


class Embeddings(Resource):
    def create(
        self,
        *,
        input: str | Sequence[str],
        model: str | None = None,
        encoding_format: str | None = None,
        dimensions: int | None = None,
    ) -> JSON:
        """``POST /v1/embeddings``: the OpenAI-shaped list of embeddings (a dict)."""
        body = drop_none(
            {"input": input, "model": model, "encoding_format": encoding_format, "dimensions": dimensions}
        )
        return self._send("POST", "/v1/embeddings", body)


class Models(Resource):
    def list(self) -> list[Model]:
        """``GET /v1/models``: the models your key's tier can use, as :class:`Model` objects."""
        return self._client._request("GET", "/v1/models", cast=_models)

    def catalog(self) -> JSON:
        """``GET /v1/models/catalog`` (public): every model with pricing, plus ``_meta`` tiers."""
        return self._get("/v1/models/catalog")


class Threads(Resource):
    """NPC conversation threads: memory, game state and actions."""

    def create(
        self,
        /,
        *,
        npc_id: str | None = None,
        system_prompt: str | None = None,
        metadata: JSON | None = None,
        **fields: Any,
    ) -> JSON:
        body = drop_none({"npc_id": npc_id, "system_prompt": system_prompt, "metadata": metadata, **fields})
        return self._send("POST", "/v1/threads", body)

    def list(
        self,
        *,
        npc_id: str | None = None,
        player_id: str | None = None,
        limit: int | None = None,
        before: str | None = None,
    ) -> JSONList:
        """``GET /v1/threads``: one page of threads, newest first (see :meth:`list_page`)."""
        return self._list("/v1/threads", npc_id=npc_id, player_id=player_id, limit=limit, before=before)

    def list_page(
        self,
        *,
        npc_id: str | None = None,
        player_id: str | None = None,
        limit: int | None = None,
        before: str | None = None,
    ) -> JSON:
        """The whole page: ``data``, ``has_more`` and ``next_before`` (the next page's ``before``)."""
        return self._get("/v1/threads", npc_id=npc_id, player_id=player_id, limit=limit, before=before)

    def get(self, thread_id: str) -> JSON:
        return self._get(f"/v1/threads/{_seg(thread_id)}")

    def update(self, /, thread_id: str, **fields: Any) -> JSON:
        """``PATCH``: metadata, system prompt or NPC id, keeping the history."""
        return self._send("PATCH", f"/v1/threads/{_seg(thread_id)}", fields)

    def delete(self, thread_id: str) -> JSON:
        return self._send("DELETE", f"/v1/threads/{_seg(thread_id)}")

    def messages(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        order: str | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> JSONList:
        """``GET /v1/threads/{id}/messages``: one page of messages (``order`` asc or desc)."""
        return self._list(
            f"/v1/threads/{_seg(thread_id)}/messages", limit=limit, order=order, after=after, before=before
        )

    def messages_page(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        order: str | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> JSON:
        """The whole page: ``data``, ``first_id``, ``last_id`` and ``has_more``.

        The next page in ascending order is ``after=last_id``; in descending, ``before=last_id``.
        """
        return self._get(
            f"/v1/threads/{_seg(thread_id)}/messages", limit=limit, order=order, after=after, before=before
        )

    def append_messages(self, thread_id: str, messages: Sequence[JSON]) -> JSON:
        """Store up to 1,000 messages as they are (history from elsewhere, narration)."""
        return self._send("POST", f"/v1/threads/{_seg(thread_id)}/messages", {"messages": messages})

    def get_state(self, thread_id: str) -> JSON:
        """The thread's own ``state`` (``scope``: world on an NPC's player-less thread, player on a
        player's) and the ``world_state`` that applies to it."""
        return self._get(f"/v1/threads/{_seg(thread_id)}/state")

    def set_state(
        self, thread_id: str, state: Mapping[str, Any], *, replace: bool = False, scope: str | None = None
    ) -> JSON:
        """Merge ``state`` into the thread's (JSON Merge Patch: ``None`` removes a key), or with
        ``replace=True`` make it the whole state. ``scope="world"`` on a player's thread sets the
        NPC's world state (every player sees it); the thread's own scope when None."""
        params = {k: v for k, v in (("mode", "replace" if replace else None), ("scope", scope)) if v}
        return self._send("POST", f"/v1/threads/{_seg(thread_id)}/state", dict(state), params=params or None)

    def get_actions(self, thread_id: str) -> JSON:
        return self._get(f"/v1/threads/{_seg(thread_id)}/actions")

    def set_actions(self, thread_id: str, actions: Sequence[JSON]) -> JSON:
        return self._send("PUT", f"/v1/threads/{_seg(thread_id)}/actions", {"actions": actions})

    def batch(self, npcs: Sequence[JSON]) -> JSON:
        """Create up to 50 NPC threads at once."""
        return self._send("POST", "/v1/threads/batch", {"npcs": npcs})

    def export(self, /, **filters: Any) -> str:
        """Conversation data as JSONL (fine-tuning format) or JSON, read whole into a string."""
        return self._client._request("POST", "/v1/threads/export", json=drop_none(filters), cast=_text)

    def export_stream(self, **filters: Any) -> ByteStream:
        """The export as a :class:`~mg._streaming.ByteStream` of pieces as they arrive, for
        exports too large to hold: ``for piece in stream: file.write(piece)``."""
        return self._client._stream_bytes("POST", "/v1/threads/export", json=drop_none(filters))

    def create_group(self, /, *, npcs: Sequence[Any], **fields: Any) -> JSON:
        """``POST /v1/threads/group``: a scene of 2 to 20 NPCs."""
        return self._send("POST", "/v1/threads/group", {"npcs": npcs, **fields})

    @overload
    def speak(
        self,
        thread_id: str,
        *,
        npc_id: str | None = None,
        messages: Sequence[JSON] | None = None,
        stream: Literal[False] = False,
        **fields: Any,
    ) -> ChatCompletion: ...
    @overload
    def speak(
        self,
        thread_id: str,
        *,
        npc_id: str | None = None,
        messages: Sequence[JSON] | None = None,
        stream: Literal[True],
        **fields: Any,
    ) -> Stream: ...
    @overload
    def speak(
        self,
        thread_id: str,
        *,
        npc_id: str | None = None,
        messages: Sequence[JSON] | None = None,
        stream: bool,
        **fields: Any,
    ) -> ChatCompletion | Stream: ...
    def speak(
        self,
        thread_id: str,
        *,
        npc_id: str | None = None,
        messages: Sequence[JSON] | None = None,
        stream: bool = False,
        **fields: Any,
    ) -> ChatCompletion | Stream:
        """``POST /v1/threads/{id}/speak``: an NPC of a scene answers, as a :class:`ChatCompletion`
        (or a stream of chunks). ``npc_id`` names it; without it, the NPC the player addresses
        speaks, else the one that has waited longest. ``messages`` are the player's new lines."""
        body = speak_body(npc_id, messages, stream, fields)
        path = f"/v1/threads/{_seg(thread_id)}/speak"
        if stream:
            return self._client._stream("POST", path, json=body)
        return self._client._request("POST", path, json=body, cast=_completion)


def _dry(dry_run: bool) -> dict[str, str] | None:
    return {"dry_run": "true"} if dry_run else None


class Templates(Resource):
    """NPC templates: the built-in ones and your own (``builtin`` tells them apart).

    Every change to one of yours makes a new ``version``; threads record the version they were
    made from and keep it. ``dry_run=True`` checks a change and returns the template as it would
    be, storing nothing.
    """

    def list(self, *, tags: Sequence[str] | str | None = None) -> JSONList:
        """``GET /v1/npc/templates`` (public): the built-ins, then yours when the client has a key."""
        if tags is not None and not isinstance(tags, str):
            tags = ",".join(tags)
        return self._list("/v1/npc/templates", tags=tags)

    def get(self, template_id: str) -> JSON:
        """``GET /v1/npc/templates/{id}``: yours of that id, else the built-in one."""
        return self._get(f"/v1/npc/templates/{_seg(template_id)}")

    def create(self, template: Mapping[str, Any], *, dry_run: bool = False) -> JSON:
        """``POST /v1/npc/templates``: a new template of yours (``id``, ``name``, ``system_prompt``
        required; see :mod:`mg.template_files` for the fields)."""
        return self._send("POST", "/v1/npc/templates", dict(template), params=_dry(dry_run))

    def replace(
        self,
        template_id: str,
        template: Mapping[str, Any],
        *,
        version: int | None = None,
        dry_run: bool = False,
    ) -> JSON:
        """``PUT``: the whole template (fields left out take their defaults). With ``version``, only
        if that is still the current version (else :class:`~mg.errors.ConflictError`)."""
        body = dict(template)
        if version is not None:
            body["version"] = version
        return self._send("PUT", f"/v1/npc/templates/{_seg(template_id)}", body, params=_dry(dry_run))

    def update(self, template_id: str, /, *, dry_run: bool = False, **fields: Any) -> JSON:
        """``PATCH``: just the fields given (``None`` resets one; ``version=`` as for :meth:`replace`)."""
        return self._send("PATCH", f"/v1/npc/templates/{_seg(template_id)}", fields, params=_dry(dry_run))

    def delete(self, template_id: str) -> JSON:
        """``DELETE``: threads made from it keep their copy."""
        return self._send("DELETE", f"/v1/npc/templates/{_seg(template_id)}")


class Npc(Resource):
    def __init__(self, client: SyncClient) -> None:
        super().__init__(client)
        self.templates = Templates(client)
