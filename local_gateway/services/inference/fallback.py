"""Retries, circuit breakers and fallback models around one upstream call.

A call is tried on the plan's models in order: the requested model first, then (only with
``allow_fallback: true``) its documented fallback chain, the catalog's ``fallback`` list, kept to
models of the same or a lower price class that the caller's tier may use and whose provider is
configured. On each model, a transient failure (timeout, connection, 429, 5xx) is retried at most
``retries`` times after a jittered, exponentially growing pause; a model whose provider's breaker
is open is skipped without a call. Client mistakes (400s) end the call at once: another model
would refuse them too. A stream counts as started when its first event arrives: from then on
nothing is retried, since the client has begun to receive it.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from local_gateway.providers.base import ModelInfo, Provider
from local_gateway.providers.http import counts_against_provider, is_transient
from local_gateway.providers.registry import ProviderRoute
from local_gateway.services.accounts.tiers import tier_allows
from local_gateway.services.core import tracing
from local_gateway.services.core.tracing import span
from local_gateway.services.inference.breakers import HealthTracker
from local_gateway.services.inference.catalog import Catalog
from mg.errors import MonsterError, ProviderUnavailableError

T = TypeVar("T")
PRICE_CLASSES = ["local", "budget", "standard", "premium"]


def _price_rank(model: ModelInfo) -> int:
    return (
        PRICE_CLASSES.index(model.price_class) if model.price_class in PRICE_CLASSES else len(PRICE_CLASSES)
    )


def fallback_chain(catalog: Catalog, primary: ModelInfo, tier: str) -> list[ModelInfo]:
    """The documented chain after ``primary`` that this tier may use, cheapest class last allowed."""
    chain: list[ModelInfo] = []
    for model_id in catalog.fallbacks.get(primary.id, ()):
        model = catalog.get(model_id)
        if (
            model is not None
            and model.kind == "chat"
            and model.id != primary.id
            and model not in chain
            and tier_allows(tier, model.tier_minimum)
            and _price_rank(model) <= _price_rank(primary)
        ):
            chain.append(model)
    return chain


@dataclass
class Served(Generic[T]):
    model: ModelInfo
    provider: Provider
    result: T
    requested: ModelInfo
    attempts: int

    @property
    def fell_back(self) -> bool:
        return self.model.id != self.requested.id


class FallbackRunner:
    def __init__(
        self,
        catalog: Catalog,
        health: HealthTracker,
        retries: int = 1,
        backoff: float = 0.2,
        max_backoff: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.catalog = catalog
        self.health = health
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._jitter = jitter

    def plan(
        self, primary: ModelInfo, tier: str, allow_fallback: bool, route: ProviderRoute
    ) -> list[ModelInfo]:
        """The models to try, in order: ``primary``, then its fallbacks that ``route`` can reach."""
        if not route.guarded or not allow_fallback:
            return [primary]
        chain = [m for m in fallback_chain(self.catalog, primary, tier) if route.serves(m)]
        return [primary, *chain]

    def _pause(self, attempt: int) -> float:
        # "Full jitter": anywhere between 0 and the exponential ceiling, so retries spread out.
        ceiling = min(self.max_backoff, self.backoff * 2.0**attempt)
        return ceiling * self._jitter()

    async def run(
        self,
        plan: list[ModelInfo],
        route: ProviderRoute,
        call: Callable[[ModelInfo, Provider], Awaitable[T]],
    ) -> Served[T]:
        requested = plan[0]
        if not route.guarded:
            # The sandbox does not fail the way a network does: one call, no breaker to consult.
            provider = route.provider(requested)
            return Served(requested, provider, await call(requested, provider), requested, 1)
        last: MonsterError | None = None
        attempts = 0
        for model in plan:
            try:
                provider = route.provider(model)
            except ProviderUnavailableError as exc:
                last = last or exc
                continue
            for attempt in range(self.retries + 1):
                admission = await self.health.admit(provider.name)
                if not admission.allowed:
                    last = self._breaker_open(model, admission.retry_after) if last is None else last
                    break
                attempts += 1
                started = time.perf_counter()
                try:
                    result = await self._traced(call, model, provider, attempt)
                except MonsterError as exc:
                    if not counts_against_provider(exc):
                        await self.health.release_probe(provider.name)
                        raise
                    elapsed = (time.perf_counter() - started) * 1000
                    await self.health.record(model.id, provider.name, False, elapsed, exc.message)
                    last = exc
                    if not is_transient(exc) or admission.probe or attempt == self.retries:
                        break
                    await self._sleep(self._pause(attempt))
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                await self.health.record(model.id, provider.name, True, elapsed)
                return Served(model, provider, result, requested, attempts)
        assert last is not None
        raise last

    @staticmethod
    async def _traced(
        call: Callable[[ModelInfo, Provider], Awaitable[T]],
        model: ModelInfo,
        provider: Provider,
        attempt: int,
    ) -> T:
        """One upstream attempt, a client span when tracing is on (until its answer starts)."""
        if not tracing.active():
            return await call(model, provider)
        attributes = {"mg.provider": provider.name, "mg.model": model.id, "mg.attempt": attempt + 1}
        with span(f"upstream {provider.name}", "client", **attributes) as current:
            try:
                return await call(model, provider)
            except MonsterError as exc:
                current.set_attribute("mg.error_code", exc.code)
                raise

    def _breaker_open(self, model: ModelInfo, retry_after: float) -> MonsterError:
        err = ProviderUnavailableError(
            f"The {model.provider} provider is failing; the gateway stopped sending it requests "
            f"for now (circuit open).",
            remediation="Retry after the given time, or set allow_fallback: true to use another model.",
            retry_after=max(1, math.ceil(retry_after)),
        )
        err.transient = True
        return err
