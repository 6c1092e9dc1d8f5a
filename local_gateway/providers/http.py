"""What every HTTP adapter shares: upstream settings, SSE reading and the error mapping.

Errors say in :attr:`MonsterError.transient` whether the same request may succeed if sent again:
True for timeouts, connection failures and 408/409/429/5xx, False when retrying the same provider
is pointless (refused credentials). Client mistakes (400s) raise
:class:`InvalidRequestError` and are never retried nor sent to a fallback model.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from local_gateway.providers.base import ChatRequest
from mg.errors import ContextOverflowError, InvalidRequestError, MonsterError, ProviderUnavailableError

FALLBACK_HINT = "Retry, or set allow_fallback: true to use another model."


@dataclass(frozen=True)
class UpstreamConfig:
    provider: str
    base_url: str
    api_key: str | None
    key_variable: str
    timeout: float = 120.0


def refuse_choices(request: ChatRequest, api: str) -> None:
    """400 naming ``n`` / ``logprobs`` / ``top_logprobs`` when ``api`` gives neither several choices
    nor log probabilities: never a silent drop."""
    if request.n > 1:
        raise InvalidRequestError(
            f"'n' is not supported by {request.model.id}: {api}'s API answers one choice; "
            "send n=1 or leave it out (or make n requests)."
        )
    for name, value in (("logprobs", request.logprobs), ("top_logprobs", request.top_logprobs)):
        if value:
            raise InvalidRequestError(
                f"'{name}' is not supported by {request.model.id}: {api}'s API gives no log "
                "probabilities; leave it out, or use a model served over OpenAI's API."
            )


def client_timeout(config: UpstreamConfig) -> aiohttp.ClientTimeout:
    # Total time is unbounded for streams; what must not stall is connecting and each read.
    return aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=config.timeout)


def unavailable(provider: str, exc: BaseException | None = None, detail: str = "failed") -> MonsterError:
    """A network-level failure (timeout, refused connection, malformed answer): transient."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        detail = "timed out"
    elif isinstance(exc, ValueError | LookupError | TypeError | AttributeError):
        detail = "sent an answer that is not valid JSON of its API"
    return ProviderUnavailableError(
        f"The {provider} provider {detail}.", remediation=FALLBACK_HINT, retry_after=1, transient=True
    )


def status_error(
    config: UpstreamConfig, status: int, message: str | None, *, overflow: bool = False
) -> MonsterError:
    """Map an upstream HTTP error status onto our vocabulary."""
    provider = config.provider
    if status in (401, 403):
        return ProviderUnavailableError(
            f"The {provider} provider refused the gateway's credentials.",
            remediation=f"Check {config.key_variable} on the gateway.",
            transient=False,
        )
    if overflow:
        return ContextOverflowError(f"The prompt exceeds the context window of {provider}'s model.")
    if 400 <= status < 500 and status not in (408, 409, 429):
        text = (message or "no detail")[:300]
        return InvalidRequestError(f"The {provider} provider rejected the request: {text}")
    return ProviderUnavailableError(
        f"The {provider} provider answered HTTP {status}.",
        remediation=FALLBACK_HINT,
        retry_after=1,
        transient=True,
    )


def is_transient(exc: BaseException) -> bool:
    """May the same request to the same provider succeed if sent again?"""
    return isinstance(exc, ProviderUnavailableError) and exc.transient


def counts_against_provider(exc: BaseException) -> bool:
    """Does this failure say the provider is unhealthy (rather than the request being wrong)?"""
    return isinstance(exc, ProviderUnavailableError)


async def read_error_payload(resp: aiohttp.ClientResponse) -> Any:
    try:
        return await resp.json(content_type=None)
    except (aiohttp.ClientError, ValueError):
        return None


# After a stream's last event its body has still to end (HTTP/1.1 chunked encoding's last,
# empty chunk), often in a packet of its own. aiohttp puts a connection back in its pool only
# once the body has ended: left unread, the connection is closed, and the next request to that
# provider pays a new TCP and TLS handshake (tens of milliseconds to a real provider).
_FINISH_SECONDS = 1.0
_FINISH_BYTES = 64 * 1024


async def finish_body(resp: aiohttp.ClientResponse) -> None:
    """Read what is left of ``resp``'s body after its last event, so its connection is reused."""
    content = resp.content
    if content.at_eof():
        return
    read = 0
    try:
        async with asyncio.timeout(_FINISH_SECONDS):
            while not content.at_eof() and read <= _FINISH_BYTES:
                read += len(await content.readany())
    except (TimeoutError, aiohttp.ClientError):
        pass  # an upstream that keeps talking after its end: its connection is simply closed


async def sse_events(content: aiohttp.StreamReader) -> AsyncIterator[tuple[str | None, str]]:
    """``(event name, data)`` of each SSE event, as it arrives.

    Takes whatever the socket has delivered and splits it into lines here: one await per network
    read instead of one per line (an event is at least two lines), about a third of the cost.
    """
    event: str | None = None
    buffer: list[str] = []
    partial = b""
    async for block in content.iter_any():
        lines = (partial + block).split(b"\n")
        partial = lines.pop()  # the start of a line whose end has not arrived yet
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if not line:
                if buffer:
                    yield event, "\n".join(buffer)
                event, buffer = None, []
            elif line.startswith("data:"):
                buffer.append(line[5:].removeprefix(" "))
            elif line.startswith("event:"):
                event = line[6:].strip()
            # anything else is a comment (keep-alive) or a field we do not use
    line = partial.decode("utf-8", "replace").rstrip("\r")  # a last line without its newline
    if line.startswith("data:"):
        buffer.append(line[5:].removeprefix(" "))
    elif line.startswith("event:"):
        event = line[6:].strip()
    if buffer:
        yield event, "\n".join(buffer)


def loads_or_none(data: str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        return None
