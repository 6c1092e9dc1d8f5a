"""Incidents: each time a provider's circuit breaker opens, until it closes again.

:class:`ObservedHealth` wraps whichever :class:`HealthTracker` the gateway runs (in process, or in
Redis with ``MG_REDIS_URL``) and watches each recorded outcome for a change of breaker state, so incidents
and the upstream metrics need nothing from the tracker beyond its interface. Incidents are kept in
memory, the newest ``keep`` of them: they describe this process's view of its providers.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any

from local_gateway.services.core.clock import Clock
from local_gateway.services.inference.breakers import CLOSED, OPEN, Admission, HealthTracker, Transition
from local_gateway.services.status.metrics import Metrics


@dataclass
class Incident:
    id: str
    provider: str
    started_at: float
    last_error: str | None
    resolved_at: float | None = None
    reopened: int = 0

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


class IncidentLog:
    def __init__(self, clock: Clock, keep: int = 50) -> None:
        self.clock = clock
        self._items: deque[Incident] = deque(maxlen=keep)
        self._ids = itertools.count(1)

    def open(self, provider: str, error: str | None) -> None:
        current = self.current(provider)
        if current is not None:  # a failed half-open probe: the same outage goes on
            current.reopened += 1
            current.last_error = error or current.last_error
            return
        started = self.clock.time()
        self._items.append(Incident(f"inc_{int(started)}_{next(self._ids)}", provider, started, error))

    def close(self, provider: str) -> None:
        current = self.current(provider)
        if current is not None:
            current.resolved_at = self.clock.time()

    def current(self, provider: str) -> Incident | None:
        return next((i for i in reversed(self._items) if i.provider == provider and not i.resolved), None)

    def recent(self) -> list[Incident]:
        """Newest first."""
        return list(reversed(self._items))


class ObservedHealth:
    """A :class:`HealthTracker` that also counts upstream outcomes and records breaker trips."""

    def __init__(self, inner: HealthTracker, incidents: IncidentLog, metrics: Metrics) -> None:
        self.inner = inner
        self.incidents = incidents
        self.metrics = metrics

    async def admit(self, provider: str) -> Admission:
        return await self.inner.admit(provider)

    async def release_probe(self, provider: str) -> None:
        await self.inner.release_probe(provider)

    async def record(
        self, model: str, provider: str, ok: bool, latency_ms: float, error: str | None = None
    ) -> Transition:
        # The store says what changed in the same step as recording: one round trip to Redis
        # per upstream call, not three.
        change = await self.inner.record(model, provider, ok, latency_ms, error)
        self.metrics.observe_upstream(provider, ok, latency_ms)
        self.metrics.set_breaker(provider, change.after)
        if change.after == OPEN and change.before != OPEN:
            self.incidents.open(provider, error)
        elif change.after == CLOSED and change.before != CLOSED:
            self.incidents.close(provider)
        return change

    async def breaker(self, provider: str) -> dict[str, Any]:
        return await self.inner.breaker(provider)

    async def snapshot(self) -> dict[str, Any]:
        return await self.inner.snapshot()
