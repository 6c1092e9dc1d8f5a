"""Rate limits kept in Redis (``MG_REDIS_URL``): exact across many gateway processes.

Each bucket is a sorted set of hit times. One Lua script drops the hits that left the window,
counts, and records the new hit only if there is room; Redis runs a script atomically, so
concurrent requests from any number of processes never overshoot the limit.
"""

from __future__ import annotations

import logging
import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError

from local_gateway.services.accounts.limits import WINDOW_SECONDS, Decision, decide
from local_gateway.services.core.clock import Clock
from mg.errors import ServiceUnavailableError

log = logging.getLogger("mg.gateway.limits")

# KEYS[1] bucket; ARGV: now (s), window (s), limit, consume (1/0), member.
# Returns {allowed, count after the call, oldest hit, blocker}: the blocker is the hit whose
# expiry frees a slot when the window is full (scores come back as strings, false when absent).
_SLIDING_WINDOW = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local allowed = 0
if count < limit then
  allowed = 1
  if ARGV[4] == '1' then
    redis.call('ZADD', key, now, ARGV[5])
    redis.call('PEXPIRE', key, math.ceil(window * 1000) + 1000)
    count = count + 1
  end
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2] or false
local blocker = false
if count >= limit then
  blocker = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')[2] or false
end
return {allowed, count, oldest, blocker}
"""


class RedisLimiter:
    """The :class:`~local_gateway.services.accounts.limits.RateLimiter` protocol over Redis."""

    def __init__(self, url: str, clock: Clock, prefix: str = "mg:") -> None:
        self.clock = clock
        self.prefix = prefix
        self.redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._script = self.redis.register_script(_SLIDING_WINDOW)

    async def _call(self, bucket: str, limit: int, consume: bool) -> Decision:
        now = self.clock.time()
        member = f"{now:.6f}:{secrets.token_hex(6)}"
        args = [repr(now), repr(WINDOW_SECONDS), limit, "1" if consume else "0", member]
        try:
            allowed, count, oldest, blocker = await self._script(
                keys=[f"{self.prefix}rl:{bucket}"], args=args
            )
        except RedisError as exc:
            log.error("rate limiter unavailable: %s", exc)
            raise ServiceUnavailableError(
                "The rate limiter is unavailable.",
                remediation="Retry shortly; the gateway cannot reach its Redis.",
                retry_after=1,
            ) from exc
        return decide(
            bool(allowed),
            limit,
            int(count),
            now,
            float(oldest) if oldest else None,
            float(blocker) if blocker else None,
        )

    async def hit(self, bucket: str, limit: int) -> Decision:
        return await self._call(bucket, limit, consume=True)

    async def peek(self, bucket: str, limit: int) -> Decision:
        return await self._call(bucket, limit, consume=False)

    async def close(self) -> None:
        await self.redis.aclose()
