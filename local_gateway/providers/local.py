"""The ``local`` provider: any OpenAI-compatible server on the developer's machine.

Ollama, llama.cpp's server, LM Studio and vLLM all answer ``GET /v1/models`` and
``POST /v1/chat/completions``; ``MG_LOCAL_BASE_URL`` (e.g. ``http://127.0.0.1:11434/v1``) names one.
Its models are discovered from that list (cached briefly) and served as ``local/<name>``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from local_gateway.providers.base import ModelInfo
from local_gateway.providers.openai_compat import OpenAICompatProvider
from mg.errors import MonsterError

log = logging.getLogger("mg.gateway.local")
PREFIX = "local/"
# Local servers rarely say their context size; the server itself refuses what does not fit.
LOCAL_CONTEXT = 1_000_000
DISCOVERY_TTL = 30.0


def local_model(name: str) -> ModelInfo:
    return ModelInfo(
        id=PREFIX + name,
        provider="local",
        upstream=name,
        context_window=LOCAL_CONTEXT,
        max_output=0,
        input_per_1m=0.0,
        output_per_1m=0.0,
        tier_minimum="free",
        api="openai",
        kind="chat",
        capabilities={"tools": True, "json_schema": True},
        price_class="local",
        display_name=f"{name} (local)",
    )


class LocalDiscovery:
    """The local server's model list, asked at most once per :data:`DISCOVERY_TTL` seconds."""

    def __init__(
        self, adapter: Callable[[], OpenAICompatProvider | None], ttl: float = DISCOVERY_TTL
    ) -> None:
        self._adapter = adapter
        self.ttl = ttl
        self._cached: list[ModelInfo] = []
        self._expires = 0.0

    @property
    def configured(self) -> bool:
        return self._adapter() is not None

    async def models(self) -> list[ModelInfo]:
        adapter = self._adapter()
        if adapter is None:
            return []
        now = time.monotonic()
        if now < self._expires:
            return self._cached
        try:
            names = await adapter.list_models()
        except MonsterError as exc:
            log.warning("local model discovery failed: %s", exc)
            names = []
        self._cached = [local_model(name) for name in names]
        self._expires = now + (self.ttl if names else min(self.ttl, 5.0))
        return self._cached

    async def find(self, model_id: str) -> ModelInfo | None:
        """``local/<name>`` or a bare name the local server lists."""
        wanted = model_id.removeprefix(PREFIX).lower()
        for model in await self.models():
            if model.upstream.lower() == wanted:
                return model
        return None
