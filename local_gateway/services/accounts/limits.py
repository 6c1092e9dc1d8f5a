"""Per-key rate limits (requests per minute, sliding window).

The :class:`RateLimiter` protocol has two implementations: :class:`InProcessLimiter` here, exact
within one gateway process, and ``limits_redis.RedisLimiter`` (``MG_REDIS_URL``), exact across
processes. Either way 100 concurrent requests on a 60/min key let exactly 60 through.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from local_gateway.services.accounts.keys import Principal
from local_gateway.services.accounts.tiers import load_tiers
from local_gateway.services.core.clock import Clock

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_epoch),
        }


class RateLimiter(Protocol):
    """Sliding-window request counter per bucket (an API key)."""

    async def hit(self, bucket: str, limit: int) -> Decision:
        """Count one request if the window has room; the decision says whether it did."""
        ...

    async def peek(self, bucket: str, limit: int) -> Decision:
        """The bucket's state, without counting anything."""
        ...

    async def close(self) -> None: ...


def decide(
    allowed: bool, limit: int, count: int, now: float, oldest: float | None, blocker: float | None
) -> Decision:
    """A decision from the window's state after the request: ``count`` hits, the ``oldest`` one,
    and ``blocker``, the hit whose expiry frees a slot when the window is full."""
    reset = oldest + WINDOW_SECONDS if oldest is not None else now + WINDOW_SECONDS
    if allowed or count < limit or blocker is None:
        retry_after = 0
    else:
        retry_after = max(1, math.ceil(blocker + WINDOW_SECONDS - now))
    return Decision(allowed, limit, max(0, limit - count), math.ceil(reset), retry_after)


class InProcessLimiter:
    """Exact within one process: check-and-record happens without an ``await`` in between."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def _window(self, bucket: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(bucket, deque())
        edge = now - WINDOW_SECONDS
        while hits and hits[0] <= edge:
            hits.popleft()
        return hits

    def _decide(self, hits: deque[float], limit: int, now: float, allowed: bool) -> Decision:
        blocker = hits[len(hits) - limit] if limit <= len(hits) else None
        return decide(allowed, limit, len(hits), now, hits[0] if hits else None, blocker)

    async def hit(self, bucket: str, limit: int) -> Decision:
        now = self.clock.time()
        hits = self._window(bucket, now)
        if len(hits) >= limit:
            return self._decide(hits, limit, now, allowed=False)
        hits.append(now)
        if len(self._hits) > 100_000:
            self._prune(now)
        return self._decide(hits, limit, now, allowed=True)

    async def peek(self, bucket: str, limit: int) -> Decision:
        now = self.clock.time()
        hits = self._window(bucket, now)
        return self._decide(hits, limit, now, allowed=len(hits) < limit)

    async def close(self) -> None:
        self._hits.clear()

    def _prune(self, now: float) -> None:
        for bucket in [b for b, h in self._hits.items() if not h or h[-1] <= now - WINDOW_SECONDS]:
            del self._hits[bucket]


def rpm_for(principal: Principal, test_key_rpm: int) -> int:
    """The key's requests-per-minute: its own override, the account's, or the tier's."""
    override = principal.key.rpm_override or principal.developer.rpm_override
    if principal.is_test:
        return min(override, test_key_rpm) if override else test_key_rpm
    if override:
        return override
    return load_tiers()[principal.tier].rpm
