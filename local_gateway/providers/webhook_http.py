"""The HTTP side of webhook delivery: one POST to a receiver, with the SSRF rules of live accounts.

For an endpoint that may not reach private networks the host is resolved here, every address is
checked (:func:`refusal`), and the connection goes to the checked addresses only — aiohttp is
handed a resolver that knows nothing else, so a DNS answer that changes between the check and
the connect (rebinding) cannot slip through. Redirects are never followed (a 3xx is a failed
attempt) and at most :data:`RESPONSE_CAP` bytes of the answer are read.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

RESPONSE_CAP = 1024
TIMEOUT = 10.0

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Awaitable[list[str]]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """The URL may not be called from this account (scheme, or where its host resolves)."""


def refusal(address: Address) -> str | None:
    """Why a live account may not call ``address``, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if embedded is not None:
            why = refusal(embedded)
            return f"{why} (mapped into IPv6 as {address})" if why else None
    if address in _METADATA:
        return f"{address} is a cloud metadata address"
    checks = (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_unspecified", "unspecified"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    )
    for attribute, name in checks:
        if getattr(address, attribute):
            return f"{address} is a {name} address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return f"{address} is a carrier-grade NAT (100.64.0.0/10) address"
    return None


def scheme_refusal(url: str) -> str | None:
    return None if urlsplit(url).scheme == "https" else "a live account's webhook URL must be https"


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(url: str, resolve: Resolve = system_resolve) -> list[str]:
    """The addresses of ``url``'s host, all of them public, or :class:`Refused` saying which is not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = await resolve(host, port)
        except OSError as exc:
            raise Refused(f"{host} does not resolve: {exc}") from exc
    if not addresses:
        raise Refused(f"{host} does not resolve")
    for raw in addresses:
        why = refusal(ipaddress.ip_address(raw.split("%", 1)[0]))
        if why:
            shown = why if literal is not None else f"{host} resolves to {why}"
            raise Refused(shown)
    return addresses


class _PinnedResolver(AbstractResolver):
    """Answers with the addresses that were checked, whatever DNS says now."""

    def __init__(self, addresses: list[str]) -> None:
        self._addresses = addresses

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        out: list[ResolveResult] = []
        for raw in self._addresses:
            fam = socket.AF_INET6 if ":" in raw else socket.AF_INET
            out.append(
                ResolveResult(
                    hostname=host, host=raw, port=port, family=fam, proto=0, flags=socket.AI_NUMERICHOST
                )
            )
        return out

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    latency_ms: int
    error: str | None
    excerpt: str | None
    retry_after: float | None


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


async def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    timeout: float = TIMEOUT,
    resolve: Resolve = system_resolve,
    wall: Callable[[], float] = time.time,
) -> Answer:
    """POST ``body`` to ``url``; never raises for what the receiver (or the network) does."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    resolver: AbstractResolver | None = None
    if not allow_private:
        try:
            why = scheme_refusal(url)
            if why:
                raise Refused(why)
            resolver = _PinnedResolver(await checked_addresses(url, resolve))
        except Refused as exc:
            return Answer(None, took(), f"refused: {exc}", None, None)
    # One connection per attempt: nothing pooled can carry one endpoint's checks to another.
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False, force_close=True)
    try:
        async with (
            aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as session,
            session.post(
                url,
                data=body,
                headers={**headers, "Content-Type": "application/json", "User-Agent": "mg-webhooks/1"},
                allow_redirects=False,
            ) as response,
        ):
            excerpt = b""
            while len(excerpt) < RESPONSE_CAP:
                chunk = await response.content.read(RESPONSE_CAP - len(excerpt))
                if not chunk:
                    break
                excerpt += chunk
            error = None
            if not 200 <= response.status < 300:
                error = f"HTTP {response.status}"
                if 300 <= response.status < 400:
                    error += f" redirect to {response.headers.get('Location', '?')[:200]} (not followed)"
            return Answer(
                response.status,
                took(),
                error,
                excerpt[:RESPONSE_CAP].decode("utf-8", "replace"),
                _retry_after(response.headers.get("Retry-After"), wall()),
            )
    except TimeoutError:
        return Answer(None, took(), f"timed out after {timeout:g} s", None, None)
    except aiohttp.ClientError as exc:
        return Answer(None, took(), f"{type(exc).__name__}: {exc}"[:500], None, None)
    except OSError as exc:
        return Answer(None, took(), f"{type(exc).__name__}: {exc}"[:500], None, None)
