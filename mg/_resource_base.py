"""What every namespace of the SDK shares: the clients it needs, the answer casts, the base class.

A namespace method describes its request and hands it to the client's ``_request`` (or
``_stream``), which performs it. The async client's namespaces reuse the sync functions through
:func:`async_twin`: the same code, given the async client, returns the coroutine of the same
answer. So a sync method returns the client's answer as it is; one that must do more, or that
returns a stream, is written again for the async client.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar, cast
from urllib.parse import quote

from mg._client_base import drop_none
from mg.types import ChatCompletion, Model, ResponseInfo

if TYPE_CHECKING:
    import httpx

    from mg._streaming import AsyncByteStream, AsyncStream, ByteStream, Stream

JSON = dict[str, Any]
JSONList = list[JSON]
T = TypeVar("T")
P = ParamSpec("P")


class SyncClient(Protocol):
    """What a namespace needs of :class:`~mg.client.MonsterClient`."""

    def _request(
        self,
        method: str,
        path: str,
        *,
        cast: Callable[[httpx.Response], T],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        **body: Any,
    ) -> T: ...

    def _stream(self, method: str, path: str, *, json: Any = None) -> Stream: ...

    def _stream_bytes(self, method: str, path: str, *, json: Any = None) -> ByteStream: ...


class AsyncClient(Protocol):
    """What a namespace needs of :class:`~mg.client.AsyncMonsterClient`."""

    async def _request(
        self,
        method: str,
        path: str,
        *,
        cast: Callable[[httpx.Response], T],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        **body: Any,
    ) -> T: ...

    async def _stream(self, method: str, path: str, *, json: Any = None) -> AsyncStream: ...

    async def _stream_bytes(self, method: str, path: str, *, json: Any = None) -> AsyncByteStream: ...


def async_twin(
    method: Callable[Concatenate[Any, P], T],
) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, T]]:
    """The async namespace's method for a sync one: the very same function, typed as a coroutine.

    Sound because the method returns what the client's ``_request`` returns, and the async
    client's ``_request`` is a coroutine of the same value. A method that takes ``**fields``
    makes ``self`` positional-only (``self, /``), as the twin's type requires: a field may then
    have any name.
    """
    return cast("Callable[Concatenate[Any, P], Coroutine[Any, Any, T]]", method)


# Every JSON answer of the gateway is an object, or a page object whose ``data`` is a list.
def _json(response: httpx.Response) -> JSON:
    return cast(JSON, response.json()) if response.content else {}


def _any(response: httpx.Response) -> Any:
    return response.json() if response.content else None


def _text(response: httpx.Response) -> str:
    return response.text


def _completion(response: httpx.Response) -> ChatCompletion:
    return ChatCompletion.from_dict(response.json(), ResponseInfo.from_headers(response.headers))


def _models(response: httpx.Response) -> list[Model]:
    return [Model.from_dict(m) for m in response.json().get("data", [])]


def _data(response: httpx.Response) -> JSONList:
    body = response.json()
    return cast(JSONList, body.get("data", []) if isinstance(body, dict) else body)


def _seg(value: str) -> str:
    return quote(value, safe="")


class Resource:
    def __init__(self, client: SyncClient) -> None:
        self._client = client

    def _get(self, path: str, /, **params: Any) -> JSON:
        return self._client._request("GET", path, params=drop_none(params) or None, cast=_json)

    def _list(self, path: str, /, **params: Any) -> JSONList:
        """The ``data`` of a page."""
        return self._client._request("GET", path, params=drop_none(params) or None, cast=_data)

    def _send(
        self, method: str, path: str, body: Any = None, params: Mapping[str, Any] | None = None
    ) -> JSON:
        return self._client._request(method, path, json=body, cast=_json, params=params)


class AsyncResource:
    """Base of the async namespaces: :class:`Resource`'s helpers, answering coroutines."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    _get = async_twin(Resource._get)
    _list = async_twin(Resource._list)
    _send = async_twin(Resource._send)
