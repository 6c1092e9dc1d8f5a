"""The in-process rate limiter against a plain model of a sliding one-minute window.

Whatever the sequence of requests, peeks and clock moves, every decision (allowed, remaining,
reset and Retry-After, which the X-RateLimit headers carry) equals the model's, and a busy key's
minute of hits stays compact in memory.
"""

from __future__ import annotations

import asyncio
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from local_gateway.services.accounts.limits import WINDOW_SECONDS, InProcessLimiter, decide
from local_gateway.services.core.clock import Clock


class _Model:
    """The definition: a request is allowed while fewer than ``limit`` hits are under a minute old."""

    def __init__(self) -> None:
        self.hits: dict[str, list[float]] = {}

    def _live(self, bucket: str, now: float) -> list[float]:
        live = [t for t in self.hits.get(bucket, []) if t > now - WINDOW_SECONDS]
        self.hits[bucket] = live
        return live

    def decision(self, bucket: str, limit: int, now: float, count_it: bool):  # type: ignore[no-untyped-def]
        live = self._live(bucket, now)
        allowed = len(live) < limit
        if allowed and count_it:
            live.append(now)
        blocker = live[len(live) - limit] if limit <= len(live) else None
        return decide(allowed, limit, len(live), now, live[0] if live else None, blocker)


steps = st.lists(
    st.tuples(
        st.sampled_from(["k1", "k2"]),
        # Seconds before this step: exact halves land hits right on the window's edge.
        st.one_of(
            st.sampled_from([0.0, 0.5, 1.0, 15.0, 30.0, 59.5, 60.0]),
            st.floats(min_value=0, max_value=30, allow_nan=False),
        ),
        st.integers(min_value=1, max_value=6),  # the key's limit at this step
        st.booleans(),  # hit (True) or peek
    ),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(steps)
def test_every_decision_equals_the_sliding_window_model(sequence: list[tuple[str, float, int, bool]]) -> None:
    clock = Clock(source=lambda: 1_700_000_000.0)
    limiter = InProcessLimiter(clock)
    model = _Model()

    async def run() -> None:
        for bucket, wait, limit, is_hit in sequence:
            clock.offset += wait
            got = await (limiter.hit(bucket, limit) if is_hit else limiter.peek(bucket, limit))
            assert got == model.decision(bucket, limit, clock.time(), is_hit)

    asyncio.run(run())


def test_a_busy_keys_minute_of_hits_stays_compact() -> None:
    clock = Clock(source=lambda: 1_700_000_000.0)
    limiter = InProcessLimiter(clock)

    async def run() -> None:
        for _ in range(100_000):  # a minute at ~1,700 requests a second
            clock.offset += 0.0006
            assert (await limiter.hit("busy", 10_000_000)).allowed

    tracemalloc.start()
    try:
        asyncio.run(run())
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 8 bytes a hit (plus the array's growth room); a deque of float objects held 3.2 MB here.
    assert held < 1_600_000, f"{held} bytes for a minute of hits"
