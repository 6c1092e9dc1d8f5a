"""Model health from real traffic, and one circuit breaker per provider.

Every upstream attempt (not the sandbox's) is recorded: per model, success rate and latency
percentiles over the last 24 hours; per provider, a breaker that opens after
``failure_threshold`` consecutive failures, stays open ``cooldown`` seconds, then half-opens to let
exactly one probe through: the probe's success closes it, its failure opens it again.

:class:`HealthTracker` is the interface; a Redis backend implements it for several processes, as
the rate limiter does. The in-process one here keeps bounded memory: at most
``max_samples`` outcomes per model.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from local_gateway.services.core.clock import Clock

WINDOW_SECONDS = 24 * 3600.0
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass
class Breaker:
    state: str = CLOSED
    consecutive_failures: int = 0
    opened_at: float | None = None
    probe_in_flight: bool = False
    last_error: str | None = None
    times_opened: int = 0


@dataclass(frozen=True)
class Admission:
    """May a request go to this provider now? If not, when to try again."""

    allowed: bool
    retry_after: float = 0.0
    probe: bool = False


class Transition(NamedTuple):
    """A breaker's state just before and just after an outcome was recorded."""

    before: str
    after: str


_ADMITTED = Admission(True)


# Up to max_samples of these per model stay in memory: slots keep each at ~100 bytes, not ~250.
@dataclass(slots=True)
class _Sample:
    at: float
    ok: bool
    latency_ms: float


@dataclass
class _ModelStats:
    samples: deque[_Sample] = field(default_factory=deque)


class HealthTracker(Protocol):
    async def admit(self, provider: str) -> Admission: ...

    async def record(
        self, model: str, provider: str, ok: bool, latency_ms: float, error: str | None = None
    ) -> Transition: ...

    async def release_probe(self, provider: str) -> None: ...

    async def breaker(self, provider: str) -> dict[str, Any]: ...

    async def snapshot(self) -> dict[str, Any]: ...


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(0, math.ceil(p / 100 * len(sorted_values)) - 1)
    return round(sorted_values[rank], 1)


def model_view(provider: str | None, samples: list[tuple[float, bool, float]]) -> dict[str, Any]:
    """One model's health over its window: ``samples`` are (at, ok, latency ms), at least one.
    Both health stores (in process and in Redis) describe a model this way."""
    successes = sum(1 for _, ok, _ in samples if ok)
    latencies = sorted(latency for _, ok, latency in samples if ok)
    return {
        "provider": provider,
        "requests": len(samples),
        "successes": successes,
        "failures": len(samples) - successes,
        "success_rate": round(successes / len(samples), 4),
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
        },
        "last_seen_at": max(at for at, _, _ in samples),
    }


class InProcessHealth:
    def __init__(
        self,
        clock: Clock,
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        max_samples: int = 10_000,
    ) -> None:
        self.clock = clock
        self.failure_threshold = max(1, failure_threshold)
        self.cooldown = cooldown
        self.max_samples = max_samples
        self._models: dict[str, _ModelStats] = {}
        self._providers: dict[str, str] = {}
        self._breakers: dict[str, Breaker] = {}

    def _breaker(self, provider: str) -> Breaker:
        return self._breakers.setdefault(provider, Breaker())

    async def admit(self, provider: str) -> Admission:
        # No await between reading and changing state: one probe at a time, even under load.
        breaker = self._breaker(provider)
        if breaker.state == CLOSED:
            return _ADMITTED
        now = self.clock.time()
        if breaker.state == OPEN:
            reopen = (breaker.opened_at or now) + self.cooldown
            if now < reopen:
                return Admission(False, retry_after=reopen - now)
            breaker.state = HALF_OPEN
            breaker.probe_in_flight = False
        if breaker.probe_in_flight:
            return Admission(False, retry_after=1.0)
        breaker.probe_in_flight = True
        return Admission(True, probe=True)

    async def release_probe(self, provider: str) -> None:
        """The probe ended without saying anything about the provider (e.g. a 400)."""
        self._breaker(provider).probe_in_flight = False

    async def record(
        self, model: str, provider: str, ok: bool, latency_ms: float, error: str | None = None
    ) -> Transition:
        now = self.clock.time()
        stats = self._models.setdefault(model, _ModelStats())
        self._providers[model] = provider
        stats.samples.append(_Sample(now, ok, latency_ms))
        while len(stats.samples) > self.max_samples or (
            stats.samples and stats.samples[0].at <= now - WINDOW_SECONDS
        ):
            stats.samples.popleft()
        breaker = self._breaker(provider)
        before = breaker.state
        breaker.probe_in_flight = False
        if ok:
            breaker.state = CLOSED
            breaker.consecutive_failures = 0
            breaker.opened_at = None
            return Transition(before, CLOSED)
        breaker.consecutive_failures += 1
        breaker.last_error = error
        if breaker.state == HALF_OPEN or (
            breaker.state == CLOSED and breaker.consecutive_failures >= self.failure_threshold
        ):
            breaker.state = OPEN
            breaker.opened_at = now
            breaker.times_opened += 1
        return Transition(before, breaker.state)

    def _breaker_view(self, provider: str, now: float) -> dict[str, Any]:
        breaker = self._breaker(provider)
        state = breaker.state
        retry_at = None
        if state == OPEN and breaker.opened_at is not None:
            retry_at = breaker.opened_at + self.cooldown
            if now >= retry_at:
                state = HALF_OPEN  # the next request is the probe
        return {
            "state": state,
            "consecutive_failures": breaker.consecutive_failures,
            "failure_threshold": self.failure_threshold,
            "opened_at": breaker.opened_at,
            "retry_at": retry_at,
            "times_opened": breaker.times_opened,
            "last_error": breaker.last_error,
        }

    async def breaker(self, provider: str) -> dict[str, Any]:
        return self._breaker_view(provider, self.clock.time())

    async def snapshot(self) -> dict[str, Any]:
        now = self.clock.time()
        edge = now - WINDOW_SECONDS
        models: dict[str, Any] = {}
        for model, stats in self._models.items():
            recent = [s for s in stats.samples if s.at > edge]
            if not recent:
                continue
            samples = [(s.at, s.ok, s.latency_ms) for s in recent]
            models[model] = model_view(self._providers.get(model), samples)
        providers = {name: self._breaker_view(name, now) for name in self._breakers}
        return {"window_seconds": WINDOW_SECONDS, "models": models, "providers": providers}
