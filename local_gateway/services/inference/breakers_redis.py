"""Circuit breakers and model health kept in Redis (``MG_REDIS_URL``), shared by every process.

Per provider a hash ``{prefix}cb:{provider}`` (state, consecutive failures, when it opened, until
when the half-open probe is taken, the last error, how often it opened); per model a sorted set
``{prefix}mh:{model}`` of outcomes scored by time. Admission and recording each read and change a
breaker, so each is one Lua script: Redis runs it atomically, so two processes never both send
the half-open probe, and failures seen through any process count towards the same threshold.

A Redis outage fails *open* to this process's own :class:`InProcessHealth`, which records every
outcome all along and so is warm when it takes over: a breaker only saves upstream calls and
latency, and refusing traffic because the bookkeeping is down would turn a Redis outage into a
full outage. Calls carry short socket timeouts and a deadline; after a failure Redis is left
alone for ``retry_interval`` seconds, so an outage costs one short wait, not one per request.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from local_gateway.services.core.clock import Clock
from local_gateway.services.inference.breakers import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    WINDOW_SECONDS,
    Admission,
    InProcessHealth,
    Transition,
    model_view,
)

log = logging.getLogger("mg.gateway.health")
T = TypeVar("T")

# KEYS breaker; ARGV now, cooldown, probe ttl. Returns {allowed, retry_after, probe}; Lua numbers
# come back truncated to integers, so the pause travels as a string.
_ADMIT = """
local s = redis.call('HMGET', KEYS[1], 'state', 'opened_at', 'probe_until')
local state = s[1] or 'closed'
if state == 'closed' then return {1, '0', 0} end
local now = tonumber(ARGV[1])
local probe_until = tonumber(s[3] or '0') or 0
if state == 'open' then
  local reopen = (tonumber(s[2] or '') or now) + tonumber(ARGV[2])
  if now < reopen then return {0, tostring(reopen - now), 0} end
  redis.call('HSET', KEYS[1], 'state', 'half_open')
  probe_until = 0
end
if probe_until > now then return {0, '1', 0} end
redis.call('HSET', KEYS[1], 'probe_until', tostring(now + tonumber(ARGV[3])))
return {1, '0', 1}
"""

# KEYS breaker, providers, samples, models; ARGV now, ok (1/0), error, threshold, model, provider,
# sample member, window, max samples. Returns the breaker's state before and after the outcome.
_RECORD = """
local now = tonumber(ARGV[1])
local before = redis.call('HGET', KEYS[1], 'state') or 'closed'
redis.call('ZADD', KEYS[3], now, ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[8]))
local n = redis.call('ZCARD', KEYS[3])
local max = tonumber(ARGV[9])
if n > max then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, n - max - 1) end
redis.call('EXPIRE', KEYS[3], math.ceil(tonumber(ARGV[8])) + 60)
redis.call('HSET', KEYS[4], ARGV[5], ARGV[6])
redis.call('SADD', KEYS[2], ARGV[6])
redis.call('HSET', KEYS[1], 'probe_until', '0')
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0, 'opened_at', '')
  return {before, 'closed'}
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'last_error', ARGV[3])
if before == 'half_open' or (before == 'closed' and failures >= tonumber(ARGV[4])) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'times_opened', 1)
  return {before, 'open'}
end
return {before, before}
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisHealth:
    """The :class:`~local_gateway.services.inference.breakers.HealthTracker` protocol over Redis."""

    def __init__(
        self,
        url: str,
        clock: Clock,
        prefix: str = "mg:",
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        max_samples: int = 10_000,
        timeout: float = 0.5,
        retry_interval: float = 5.0,
    ) -> None:
        self.clock = clock
        self.prefix = prefix
        self.failure_threshold = max(1, failure_threshold)
        self.cooldown = cooldown
        self.max_samples = max_samples
        self.timeout = timeout
        self.retry_interval = retry_interval
        self.local = InProcessHealth(clock, failure_threshold, cooldown, max_samples)
        self.redis = Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        self._admit = self.redis.register_script(_ADMIT)
        self._record = self.redis.register_script(_RECORD)
        self._down_until = 0.0

    @property
    def shared(self) -> bool:
        """False while Redis is being left alone after a failure (state is this process's own)."""
        return time.monotonic() >= self._down_until

    async def _shared(self, call: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        if not self.shared:
            return await fallback()
        try:
            return await asyncio.wait_for(call(), self.timeout * 2)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning(
                "health state in Redis unavailable (%s); using this process's own breakers for %.0f s",
                exc or type(exc).__name__,
                self.retry_interval,
            )
            self._down_until = time.monotonic() + self.retry_interval
            return await fallback()

    def _key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    async def admit(self, provider: str) -> Admission:
        async def shared() -> Admission:
            args = [repr(self.clock.time()), repr(self.cooldown), repr(max(self.cooldown, 1.0))]
            allowed, retry_after, probe = await self._admit(keys=[self._key("cb", provider)], args=args)
            return Admission(bool(allowed), retry_after=float(_text(retry_after)), probe=bool(probe))

        return await self._shared(shared, lambda: self.local.admit(provider))

    async def release_probe(self, provider: str) -> None:
        await self.local.release_probe(provider)

        async def shared() -> None:
            await self.redis.hset(self._key("cb", provider), "probe_until", "0")

        await self._shared(shared, _nothing)

    async def record(
        self, model: str, provider: str, ok: bool, latency_ms: float, error: str | None = None
    ) -> Transition:
        # The local tracker sees every outcome too, so it is warm if it has to take over.
        local = await self.local.record(model, provider, ok, latency_ms, error)
        now = self.clock.time()

        async def shared() -> Transition:
            member = f"{now!r}:{1 if ok else 0}:{latency_ms!r}:{secrets.token_hex(4)}"
            keys = [
                self._key("cb", provider),
                f"{self.prefix}cb-providers",
                self._key("mh", model),
                f"{self.prefix}mh-models",
            ]
            args = [
                repr(now),
                "1" if ok else "0",
                error or "",
                self.failure_threshold,
                model,
                provider,
                member,
                repr(WINDOW_SECONDS),
                self.max_samples,
            ]
            before, after = await self._record(keys=keys, args=args)
            return Transition(_text(before), _text(after))

        async def fallback() -> Transition:
            return local

        return await self._shared(shared, fallback)

    def _view(self, raw: dict[Any, Any], now: float) -> dict[str, Any]:
        fields = {_text(k): _text(v) for k, v in raw.items()}
        state = fields.get("state", CLOSED)
        opened_at = float(fields["opened_at"]) if fields.get("opened_at") else None
        retry_at = None
        if state == OPEN and opened_at is not None:
            retry_at = opened_at + self.cooldown
            if now >= retry_at:
                state = HALF_OPEN  # the next request is the probe
        return {
            "state": state,
            "consecutive_failures": int(fields.get("failures", 0)),
            "failure_threshold": self.failure_threshold,
            "opened_at": opened_at,
            "retry_at": retry_at,
            "times_opened": int(fields.get("times_opened", 0)),
            "last_error": fields.get("last_error") or None,
        }

    async def breaker(self, provider: str) -> dict[str, Any]:
        async def shared() -> dict[str, Any]:
            return self._view(await self.redis.hgetall(self._key("cb", provider)), self.clock.time())

        return await self._shared(shared, lambda: self.local.breaker(provider))

    async def _shared_snapshot(self) -> dict[str, Any]:
        now = self.clock.time()
        raw_owners = await self.redis.hgetall(f"{self.prefix}mh-models")
        owners = {_text(m): _text(p) for m, p in raw_owners.items()}
        models: dict[str, Any] = {}
        for model, provider in sorted(owners.items()):
            edge = f"({now - WINDOW_SECONDS!r}"
            members = await self.redis.zrangebyscore(self._key("mh", model), edge, "+inf")
            samples = []
            for member in members:
                at, ok, latency, _ = _text(member).split(":")
                samples.append((float(at), ok == "1", float(latency)))
            if not samples:
                continue
            models[model] = model_view(provider, samples)
        providers = {}
        for name in sorted(_text(p) for p in await self.redis.smembers(f"{self.prefix}cb-providers")):
            providers[name] = self._view(await self.redis.hgetall(self._key("cb", name)), now)
        return {"window_seconds": WINDOW_SECONDS, "models": models, "providers": providers}

    async def snapshot(self) -> dict[str, Any]:
        return await self._shared(self._shared_snapshot, self.local.snapshot)

    async def close(self) -> None:
        await self.redis.aclose()


async def _nothing() -> None:
    return None
