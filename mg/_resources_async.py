"""The namespaces of :class:`~mg.client.AsyncMonsterClient`, twins of :mod:`mg._resources`.

Each method is the sync namespace's own function (:func:`~mg._resource_base.async_twin`), so
both clients send the same requests; only the methods that answer a stream are written here
again, as their stream types differ (:class:`~mg._streaming.AsyncStream`,
:class:`~mg._streaming.AsyncByteStream`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Unpack, overload

from mg._client_base import drop_none
from mg._resource_base import JSON, AsyncClient, AsyncResource, _completion, _seg, async_twin
from mg._resources import (
    CHAT_PATH,
    ChatCompletionParams,
    ChatCompletions,
    Embeddings,
    Models,
    Templates,
    Threads,
    chat_body,
    speak_body,
)
from mg.types import ChatCompletion

if TYPE_CHECKING:
    from mg._streaming import AsyncByteStream, AsyncStream


class AsyncChatCompletions(AsyncResource):
    @overload
    async def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ChatCompletionParams]
    ) -> ChatCompletion: ...
    @overload
    async def create(
        self, *, stream: Literal[True], **params: Unpack[ChatCompletionParams]
    ) -> AsyncStream: ...
    @overload
    async def create(
        self, *, stream: bool, **params: Unpack[ChatCompletionParams]
    ) -> ChatCompletion | AsyncStream: ...
    async def create(
        self, *, stream: bool = False, **params: Unpack[ChatCompletionParams]
    ) -> ChatCompletion | AsyncStream:
        body = chat_body(stream=stream, **params)
        if stream:
            return await self._client._stream("POST", CHAT_PATH, json=body)
        return await self._client._request("POST", CHAT_PATH, json=body, cast=_completion)

    create.__doc__ = ChatCompletions.create.__doc__


class AsyncChat(AsyncResource):
    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client)
        self.completions = AsyncChatCompletions(client)


class AsyncEmbeddings(AsyncResource):
    create = async_twin(Embeddings.create)


class AsyncModels(AsyncResource):
    list = async_twin(Models.list)
    catalog = async_twin(Models.catalog)


class AsyncThreads(AsyncResource):
    __doc__ = Threads.__doc__
    create = async_twin(Threads.create)
    list = async_twin(Threads.list)
    list_page = async_twin(Threads.list_page)
    get = async_twin(Threads.get)
    update = async_twin(Threads.update)
    delete = async_twin(Threads.delete)
    messages = async_twin(Threads.messages)
    messages_page = async_twin(Threads.messages_page)
    append_messages = async_twin(Threads.append_messages)
    get_state = async_twin(Threads.get_state)
    set_state = async_twin(Threads.set_state)
    get_actions = async_twin(Threads.get_actions)
    set_actions = async_twin(Threads.set_actions)
    batch = async_twin(Threads.batch)
    export = async_twin(Threads.export)
    create_group = async_twin(Threads.create_group)

    async def export_stream(self, **filters: Any) -> AsyncByteStream:
        """The export as an :class:`~mg._streaming.AsyncByteStream`: ``async for piece in stream``."""
        return await self._client._stream_bytes("POST", "/v1/threads/export", json=drop_none(filters))

    @overload
    async def speak(
        self,
        thread_id: str,
        *,
        npc_id: str | None = None,
        messages: Sequence[JSON] | None = None,
        stream: Literal[False] = False,
        **fields: Any,
    ) -> ChatCompletion: ...
    @overload
    async def speak(
        self,
        thread_id: str,
        *,
        npc_id: str | None = None,
        messages: Sequence[JSON] | None = None,
        stream: Literal[True],
        **fields: Any,
    ) -> AsyncStream: ...
    @overload
    async def speak(
        self,
        thread_id: str,
        *,
        npc_id: str | None = None,
        messages: Sequence[JSON] | None = None,
        stream: bool,
        **fields: Any,
    ) -> ChatCompletion | AsyncStream: ...
    async def speak(
        self,
        thread_id: str,
        *,
        npc_id: str | None = None,
        messages: Sequence[JSON] | None = None,
        stream: bool = False,
        **fields: Any,
    ) -> ChatCompletion | AsyncStream:
        body = speak_body(npc_id, messages, stream, fields)
        path = f"/v1/threads/{_seg(thread_id)}/speak"
        if stream:
            return await self._client._stream("POST", path, json=body)
        return await self._client._request("POST", path, json=body, cast=_completion)

    speak.__doc__ = Threads.speak.__doc__


class AsyncTemplates(AsyncResource):
    list = async_twin(Templates.list)
    get = async_twin(Templates.get)
    create = async_twin(Templates.create)
    replace = async_twin(Templates.replace)
    update = async_twin(Templates.update)
    delete = async_twin(Templates.delete)


class AsyncNpc(AsyncResource):
    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client)
        self.templates = AsyncTemplates(client)
