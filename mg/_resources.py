"""The API, resource by resource, written once for both clients.

Every method describes its request and hands it to the client's ``_request`` (or ``_stream``),
which performs it: at once on :class:`~mg.client.MonsterClient`, as an awaitable on
:class:`~mg.client.AsyncMonsterClient`. So ``client.models.list()`` returns a list there and a
coroutine of a list here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from mg._client_base import drop_none
from mg.types import ChatCompletion, Model, ResponseInfo

if TYPE_CHECKING:
    import httpx

JSON = dict[str, Any]


def _json(response: httpx.Response) -> Any:
    return response.json() if response.content else None


def _completion(response: httpx.Response) -> ChatCompletion:
    return ChatCompletion.from_dict(response.json(), ResponseInfo.from_headers(response.headers))


def _models(response: httpx.Response) -> list[Model]:
    return [Model.from_dict(m) for m in response.json().get("data", [])]


def _data(response: httpx.Response) -> list[JSON]:
    body = response.json()
    return body.get("data", []) if isinstance(body, dict) else body


def _seg(value: str) -> str:
    return quote(value, safe="")


class Resource:
    def __init__(self, client: Any) -> None:
        self._client = client

    def _get(self, path: str, cast: Callable[[httpx.Response], Any] = _json, **params: Any) -> Any:
        return self._client._request("GET", path, params=drop_none(params) or None, cast=cast)

    def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        cast: Callable[..., Any] = _json,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        return self._client._request(method, path, json=body, cast=cast, params=params)


class ChatCompletions(Resource):
    def create(
        self,
        *,
        model: str,
        messages: Iterable[Mapping[str, Any]],
        stream: bool = False,
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
    ) -> Any:
        """``POST /v1/chat/completions``: a :class:`ChatCompletion`, or a stream of chunks.

        ``npc_id``, ``npc_template``, ``player_id``, ``thread_id`` and ``response_style`` are the
        gateway's NPC extension fields; ``extra_body`` adds any other field as is.
        """
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
            return self._client._stream("POST", "/v1/chat/completions", json=body)
        return self._send("POST", "/v1/chat/completions", body, cast=_completion)


class Chat(Resource):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.completions = ChatCompletions(client)


class Embeddings(Resource):
    def create(
        self,
        *,
        input: str | list[str],
        model: str | None = None,
        encoding_format: str | None = None,
        dimensions: int | None = None,
    ) -> Any:
        """``POST /v1/embeddings``: the OpenAI-shaped list of embeddings (a dict)."""
        body = drop_none(
            {"input": input, "model": model, "encoding_format": encoding_format, "dimensions": dimensions}
        )
        return self._send("POST", "/v1/embeddings", body)


class Models(Resource):
    def list(self) -> Any:
        """``GET /v1/models``: the models your key's tier can use, as :class:`Model` objects."""
        return self._get("/v1/models", cast=_models)

    def catalog(self) -> Any:
        """``GET /v1/models/catalog`` (public): every model with pricing, plus ``_meta`` tiers."""
        return self._get("/v1/models/catalog")


class Keys(Resource):
    def me(self) -> Any:
        """``GET /v1/keys/me``: tier, balance, available models and limits of this key."""
        return self._get("/v1/keys/me")

    def health(self) -> Any:
        """``GET /v1/keys/health``: age and rotation advice for this key."""
        return self._get("/v1/keys/health")


class Threads(Resource):
    """NPC conversation threads: memory, game state and actions."""

    def create(
        self,
        *,
        npc_id: str | None = None,
        system_prompt: str | None = None,
        metadata: JSON | None = None,
        **fields: Any,
    ) -> Any:
        body = drop_none({"npc_id": npc_id, "system_prompt": system_prompt, "metadata": metadata, **fields})
        return self._send("POST", "/v1/threads", body)

    def list(
        self,
        *,
        npc_id: str | None = None,
        player_id: str | None = None,
        limit: int | None = None,
        before: str | None = None,
    ) -> Any:
        """``GET /v1/threads``: one page of threads, newest first (see :meth:`list_page`)."""
        return self._get(
            "/v1/threads", cast=_data, npc_id=npc_id, player_id=player_id, limit=limit, before=before
        )

    def list_page(
        self,
        *,
        npc_id: str | None = None,
        player_id: str | None = None,
        limit: int | None = None,
        before: str | None = None,
    ) -> Any:
        """The whole page: ``data``, ``has_more`` and ``next_before`` (the next page's ``before``)."""
        return self._get("/v1/threads", npc_id=npc_id, player_id=player_id, limit=limit, before=before)

    def get(self, thread_id: str) -> Any:
        return self._get(f"/v1/threads/{_seg(thread_id)}")

    def update(self, thread_id: str, **fields: Any) -> Any:
        """``PATCH``: metadata, system prompt or NPC id, keeping the history."""
        return self._send("PATCH", f"/v1/threads/{_seg(thread_id)}", fields)

    def delete(self, thread_id: str) -> Any:
        return self._send("DELETE", f"/v1/threads/{_seg(thread_id)}")

    def messages(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        order: str | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> Any:
        """``GET /v1/threads/{id}/messages``: one page of messages (``order`` asc or desc)."""
        return self._get(
            f"/v1/threads/{_seg(thread_id)}/messages",
            cast=_data,
            limit=limit,
            order=order,
            after=after,
            before=before,
        )

    def messages_page(
        self,
        thread_id: str,
        *,
        limit: int | None = None,
        order: str | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> Any:
        """The whole page: ``data``, ``first_id``, ``last_id`` and ``has_more``.

        The next page in ascending order is ``after=last_id``; in descending, ``before=last_id``.
        """
        return self._get(
            f"/v1/threads/{_seg(thread_id)}/messages", limit=limit, order=order, after=after, before=before
        )

    def append_messages(self, thread_id: str, messages: list[JSON]) -> Any:
        """Store up to 1,000 messages as they are (history from elsewhere, narration)."""
        return self._send("POST", f"/v1/threads/{_seg(thread_id)}/messages", {"messages": messages})

    def get_state(self, thread_id: str) -> Any:
        return self._get(f"/v1/threads/{_seg(thread_id)}/state")

    def set_state(self, thread_id: str, state: Mapping[str, Any], *, replace: bool = False) -> Any:
        """Merge ``state`` into the thread's (JSON Merge Patch: ``None`` removes a key), or with
        ``replace=True`` make it the whole state."""
        params = {"mode": "replace"} if replace else None
        return self._send("POST", f"/v1/threads/{_seg(thread_id)}/state", dict(state), params=params)

    def get_actions(self, thread_id: str) -> Any:
        return self._get(f"/v1/threads/{_seg(thread_id)}/actions")

    def set_actions(self, thread_id: str, actions: list[JSON]) -> Any:
        return self._send("PUT", f"/v1/threads/{_seg(thread_id)}/actions", {"actions": actions})

    def batch(self, npcs: list[JSON]) -> Any:
        """Create up to 50 NPC threads at once."""
        return self._send("POST", "/v1/threads/batch", {"npcs": npcs})

    def export(self, **filters: Any) -> Any:
        """Conversation data as JSONL (fine-tuning format) or JSON, read whole into a string."""
        return self._client._request(
            "POST", "/v1/threads/export", json=drop_none(filters), cast=lambda r: r.text
        )

    def export_stream(self, **filters: Any) -> Any:
        """The export as a :class:`~mg._streaming.ByteStream` of pieces as they arrive, for
        exports too large to hold: ``for piece in stream: file.write(piece)``."""
        return self._client._stream_bytes("POST", "/v1/threads/export", json=drop_none(filters))

    def create_group(self, *, npcs: list[Any], **fields: Any) -> Any:
        """``POST /v1/threads/group``: a scene of 2 to 20 NPCs."""
        return self._send("POST", "/v1/threads/group", {"npcs": npcs, **fields})

    def speak(
        self,
        thread_id: str,
        *,
        npc_id: str | None = None,
        messages: list[JSON] | None = None,
        stream: bool = False,
        **fields: Any,
    ) -> Any:
        """``POST /v1/threads/{id}/speak``: an NPC of a scene answers, as a :class:`ChatCompletion`
        (or a stream of chunks). ``npc_id`` names it; without it, the NPC the player addresses
        speaks, else the one that has waited longest. ``messages`` are the player's new lines."""
        body = drop_none({"npc_id": npc_id, "messages": messages, **fields})
        if stream:
            body["stream"] = True
            body.setdefault("stream_options", {"include_usage": True})
            return self._client._stream("POST", f"/v1/threads/{_seg(thread_id)}/speak", json=body)
        return self._send("POST", f"/v1/threads/{_seg(thread_id)}/speak", body, cast=_completion)


def _dry(dry_run: bool) -> dict[str, str] | None:
    return {"dry_run": "true"} if dry_run else None


class Templates(Resource):
    """NPC templates: the built-in ones and your own (``builtin`` tells them apart).

    Every change to one of yours makes a new ``version``; threads record the version they were
    made from and keep it. ``dry_run=True`` checks a change and returns the template as it would
    be, storing nothing.
    """

    def list(self, *, tags: list[str] | str | None = None) -> Any:
        """``GET /v1/npc/templates`` (public): the built-ins, then yours when the client has a key."""
        if isinstance(tags, list):
            tags = ",".join(tags)
        return self._get("/v1/npc/templates", cast=_data, tags=tags)

    def get(self, template_id: str) -> Any:
        """``GET /v1/npc/templates/{id}``: yours of that id, else the built-in one."""
        return self._get(f"/v1/npc/templates/{_seg(template_id)}")

    def create(self, template: Mapping[str, Any], *, dry_run: bool = False) -> Any:
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
    ) -> Any:
        """``PUT``: the whole template (fields left out take their defaults). With ``version``, only
        if that is still the current version (else :class:`~mg.errors.ConflictError`)."""
        body = dict(template)
        if version is not None:
            body["version"] = version
        return self._send("PUT", f"/v1/npc/templates/{_seg(template_id)}", body, params=_dry(dry_run))

    def update(self, template_id: str, *, dry_run: bool = False, **fields: Any) -> Any:
        """``PATCH``: just the fields given (``None`` resets one; ``version=`` as for :meth:`replace`)."""
        return self._send("PATCH", f"/v1/npc/templates/{_seg(template_id)}", fields, params=_dry(dry_run))

    def delete(self, template_id: str) -> Any:
        """``DELETE``: threads made from it keep their copy."""
        return self._send("DELETE", f"/v1/npc/templates/{_seg(template_id)}")


class Npc(Resource):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.templates = Templates(client)


class Symbols(Resource):
    """Debug symbols (``/v1/debug/symbols``): upload, de-duplicate, look up, list, remove."""

    _BASE = "/v1/debug/symbols"

    def upload(
        self,
        file: IO[bytes] | bytes,
        *,
        file_name: str,
        overwrite: bool = False,
        **fields: str | None,
    ) -> Any:
        """``POST /upload`` (multipart, up to 10 MB). ``fields``: module_name, debug_id, platform,
        file_type. The stored symbol with ``status`` (created, unchanged or replaced)."""
        return self._client._request(
            "POST",
            f"{self._BASE}/upload",
            cast=_json,
            files={"file": (file_name, file, "application/octet-stream")},
            data=drop_none(fields),
            params={"overwrite": "true"} if overwrite else None,
        )

    def presign(self, *, size: int | None = None, overwrite: bool = False, **fields: str | None) -> Any:
        """``POST /presign``: a one-time ``upload_url`` (valid 1 hour) for a file of up to 500 MB."""
        body = drop_none({"size": size, **fields})
        if overwrite:
            body["overwrite"] = True
        return self._send("POST", f"{self._BASE}/presign", body)

    def upload_presigned(self, upload_url: str, content: bytes | Iterable[bytes]) -> Any:
        """``PUT`` the file's bytes to the ``upload_url`` of :meth:`presign` (the token is spent)."""
        return self._client._request("PUT", urlsplit(upload_url).path, cast=_json, content=content)

    def check(self, sha256: list[str]) -> Any:
        """``POST /check``: ``{"present": [...], "missing": [...]}`` among your symbols (≤ 1000)."""
        return self._send("POST", f"{self._BASE}/check", {"sha256": sha256})

    def lookup(self, module_name: str, debug_id: str) -> Any:
        """``GET /lookup``: every stored file of a module and debug id (case-insensitive)."""
        return self._get(f"{self._BASE}/lookup", cast=_data, module_name=module_name, debug_id=debug_id)

    def list(self, *, limit: int | None = None, after: str | None = None, **filters: str | None) -> Any:
        """``GET /v1/debug/symbols``: a page, newest first (``data``, ``has_more``); ``filters``:
        module_name, debug_id, file_type."""
        return self._get(self._BASE, limit=limit, after=after, **filters)

    def get(self, symbol_id: str) -> Any:
        return self._get(f"{self._BASE}/{_seg(symbol_id)}")

    def delete(self, symbol_id: str) -> Any:
        return self._send("DELETE", f"{self._BASE}/{_seg(symbol_id)}")
