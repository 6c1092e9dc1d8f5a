"""Breakers and fallback under injected failures: the breaker opens, traffic moves, it recovers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from local_gateway.providers.base import ChatRequest, Completion, StreamEvent, Usage
from local_gateway.providers.http import UpstreamConfig, status_error, unavailable
from local_gateway.providers.registry import ProviderRegistry
from local_gateway.services.core.clock import Clock
from local_gateway.services.inference.breakers import InProcessHealth
from local_gateway.services.inference.catalog import Catalog
from local_gateway.services.inference.fallback import FallbackRunner, fallback_chain
from mg.errors import InvalidRequestError, ProviderUnavailableError

TIERS = [
    {"id": t, "name": t.title(), "rpm": 10}
    for t in ("free", "payg", "starter", "pro", "studio", "enterprise")
]


def _model(
    mid: str, provider: str, price_class: str, tier: str = "free", fallback: list[str] | None = None
) -> dict[str, Any]:
    return {
        "id": mid,
        "provider": provider,
        "context_window": 1000,
        "pricing": {"input_per_1m": 1, "output_per_1m": 1},
        "tier_minimum": tier,
        "price_class": price_class,
        "fallback": fallback or [],
    }


CATALOG = Catalog(
    {
        "tiers": TIERS,
        "models": [
            _model("alpha", "pa", "budget", fallback=["beta", "gamma", "premium-x", "starter-y", "nowhere"]),
            _model("beta", "pb", "budget"),
            _model("gamma", "pc", "budget"),
            _model("premium-x", "pb", "premium", "pro"),
            _model("starter-y", "pc", "budget", "starter"),
        ],
    }
)


class ScriptedProvider:
    def __init__(self, name: str) -> None:
        self.name = name
        self.failures: list[Exception] = []
        self.always_fail: Exception | None = None
        self.calls = 0

    async def complete(self, request: ChatRequest) -> Completion:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        if self.always_fail is not None:
            raise self.always_fail
        return Completion(f"from {request.model.id}", None, "stop", Usage(1, 1))

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        yield StreamEvent(delta={"content": "x"})


class Registry(ProviderRegistry):
    def __init__(self, providers: dict[str, ScriptedProvider]) -> None:
        super().__init__({}, lambda: None)  # type: ignore[arg-type,return-value]
        self.scripted = providers

    def is_configured(self, model: Any) -> bool:
        return model.provider in self.scripted

    def upstream(self, model: Any) -> Any:
        if model.provider not in self.scripted:
            raise ProviderUnavailableError("not configured")
        return self.scripted[model.provider]


LIVE = SimpleNamespace(is_test=False)  # a live key's principal, as far as routing cares
CFG = UpstreamConfig("pa", "http://x", "k", "MG_PA_API_KEY")


def transient() -> Exception:
    return status_error(CFG, 503, "down")


@pytest.fixture
def world() -> tuple[FallbackRunner, InProcessHealth, Clock, dict[str, ScriptedProvider]]:
    clock = Clock(lambda: 1_000_000.0)
    providers = {name: ScriptedProvider(name) for name in ("pa", "pb", "pc")}
    health = InProcessHealth(clock, failure_threshold=3, cooldown=30)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    runner = FallbackRunner(CATALOG, health, retries=1, sleep=sleep, jitter=lambda: 0.5)
    runner.pauses = pauses  # type: ignore[attr-defined]
    runner.route = Registry(providers).for_caller(LIVE)  # type: ignore[attr-defined]
    return runner, health, clock, providers


async def call(runner: FallbackRunner, allow: bool = True, tier: str = "free") -> Any:
    primary = CATALOG.models["alpha"]
    plan = runner.plan(primary, tier, allow, runner.route)  # type: ignore[attr-defined]

    async def run(model: Any, provider: Any) -> Completion:
        return await provider.complete(ChatRequest(model=model, messages=[]))

    return await runner.run(plan, runner.route, call=run)  # type: ignore[attr-defined]


def test_chain_keeps_price_class_tier_and_order() -> None:
    chain = [m.id for m in fallback_chain(CATALOG, CATALOG.models["alpha"], "free")]
    assert chain == ["beta", "gamma"]  # premium-x is dearer, starter-y above free, nowhere unknown
    assert [m.id for m in fallback_chain(CATALOG, CATALOG.models["alpha"], "starter")] == [
        "beta",
        "gamma",
        "starter-y",
    ]


async def test_transient_failure_is_retried_once_with_jitter(world) -> None:  # type: ignore[no-untyped-def]
    runner, _health, _, providers = world
    providers["pa"].failures = [transient()]
    served = await call(runner)
    assert served.model.id == "alpha" and not served.fell_back and served.attempts == 2
    assert runner.pauses == [0.1]  # type: ignore[attr-defined]  # half of the 0.2 s ceiling


async def test_without_allow_fallback_the_answer_is_503(world) -> None:  # type: ignore[no-untyped-def]
    runner, _, _, providers = world
    providers["pa"].always_fail = transient()
    with pytest.raises(ProviderUnavailableError):
        await call(runner, allow=False)
    assert providers["pa"].calls == 2 and providers["pb"].calls == 0  # bounded: one retry


async def test_client_errors_are_neither_retried_nor_sent_elsewhere(world) -> None:  # type: ignore[no-untyped-def]
    runner, _, _, providers = world
    providers["pa"].failures = [InvalidRequestError("bad")]
    with pytest.raises(InvalidRequestError):
        await call(runner)
    assert providers["pa"].calls == 1 and providers["pb"].calls == 0


async def test_refused_credentials_fall_back_without_retry(world) -> None:  # type: ignore[no-untyped-def]
    runner, _, _, providers = world
    providers["pa"].always_fail = status_error(CFG, 401, "no")
    served = await call(runner)
    assert served.model.id == "beta" and providers["pa"].calls == 1


async def test_breaker_opens_traffic_moves_and_recovers(world) -> None:  # type: ignore[no-untyped-def]
    runner, health, clock, providers = world
    providers["pa"].always_fail = unavailable("pa", TimeoutError())
    served = await call(runner)  # two failures on pa (try + retry), then beta
    assert served.model.id == "beta" and served.fell_back
    served = await call(runner)  # third failure opens pa's breaker
    assert served.model.id == "beta"
    assert (await health.breaker("pa"))["state"] == "open"
    calls_before = providers["pa"].calls
    served = await call(runner)
    assert served.model.id == "beta" and providers["pa"].calls == calls_before  # pa skipped
    with pytest.raises(ProviderUnavailableError) as err:
        await call(runner, allow=False)
    assert "circuit open" in err.value.message and err.value.retry_after == 30

    providers["pa"].always_fail = None  # the provider comes back
    clock.advance(31)
    assert (await health.breaker("pa"))["state"] == "half_open"
    served = await call(runner)  # the probe
    assert served.model.id == "alpha"
    assert (await health.breaker("pa"))["state"] == "closed"


async def test_failed_probe_reopens(world) -> None:  # type: ignore[no-untyped-def]
    runner, health, clock, providers = world
    providers["pa"].always_fail = transient()
    for _ in range(2):
        await call(runner)
    assert (await health.breaker("pa"))["state"] == "open"
    clock.advance(31)
    before = providers["pa"].calls
    served = await call(runner)
    assert providers["pa"].calls == before + 1  # one probe, not retried
    assert served.model.id == "beta"
    assert (await health.breaker("pa"))["state"] == "open"


async def test_half_open_lets_exactly_one_probe_through() -> None:
    health = InProcessHealth(Clock(lambda: 0.0), failure_threshold=1, cooldown=0)
    await health.record("m", "p", False, 1.0)
    first, second = await health.admit("p"), await health.admit("p")
    assert first.allowed and first.probe and not second.allowed


async def test_snapshot_percentiles_and_window() -> None:
    clock = Clock(lambda: 0.0)
    health = InProcessHealth(clock)
    for ms in range(1, 101):
        await health.record("m", "p", True, float(ms))
    await health.record("m", "p", False, 5000.0)
    snap = (await health.snapshot())["models"]["m"]
    assert snap["requests"] == 101 and snap["failures"] == 1
    assert snap["latency_ms"] == {"p50": 50.0, "p95": 95.0, "p99": 99.0}
    clock.advance(24 * 3600 + 1)
    assert (await health.snapshot())["models"] == {}
