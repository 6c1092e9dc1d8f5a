"""Real gateway processes wired to fake upstream providers on loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.fake_upstreams import FakeUpstream, Upstreams
from tests.support.gateway_process import GatewayProcess, running_gateway

# The catalog's providers by API shape; Anthropic's and Google's base URLs carry no version.
PROVIDERS = ("deepseek", "openai", "mistral", "google", "anthropic", "local")
ROOT_BASES = {"google": "", "anthropic": ""}


@contextmanager
def gateway_with_fakes(
    data_dir, extra: dict[str, str] | None = None
) -> Iterator[tuple[GatewayProcess, Upstreams]]:  # type: ignore[no-untyped-def]
    upstreams = Upstreams({name: FakeUpstream().start() for name in PROVIDERS})
    env = upstreams.env(ROOT_BASES)
    env.pop("MG_LOCAL_API_KEY")
    env.update(extra or {})
    try:
        with running_gateway(data_dir, None, env) as gw:
            yield gw, upstreams
    finally:
        upstreams.stop()


@pytest.fixture(scope="module")
def wired(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, Upstreams]]:
    with gateway_with_fakes(tmp_path_factory.mktemp("gw-wired"), {"MG_EMBEDDER": "hashed"}) as pair:
        yield pair


@pytest.fixture
def upstreams(wired: tuple[GatewayProcess, Upstreams]) -> Upstreams:
    wired[1].reset()
    return wired[1]


@pytest.fixture(scope="module")
def live_key(wired: tuple[GatewayProcess, Upstreams]) -> str:
    return wired[0].create_key(tier="studio", live=True)["api_key"]
