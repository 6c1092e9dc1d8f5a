"""Which adapter serves a request: the sandbox for test keys, the model's provider for live keys.

That choice is made once per request, by :meth:`ProviderRegistry.for_caller`: the
:class:`ProviderRoute` it returns answers every later question (which provider serves this
model or its fallback, whether breakers and retries guard the calls).

The adapter follows the model's ``api`` field: ``openai`` (OpenAI-compatible chat completions),
``anthropic`` (Messages API) or ``gemini`` (generateContent). Each provider's key comes from
``MG_<PROVIDER>_API_KEY`` or the variable its own SDK reads; ``MG_<PROVIDER>_BASE_URL`` moves it
(a proxy, a local server, a test double).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import aiohttp

from local_gateway.providers.anthropic import AnthropicProvider
from local_gateway.providers.base import ChatRequest, Completion, EmbeddingProvider, ModelInfo, Provider
from local_gateway.providers.gemini import GeminiProvider
from local_gateway.providers.http import UpstreamConfig
from local_gateway.providers.local import LocalDiscovery
from local_gateway.providers.openai_compat import OpenAICompatProvider
from local_gateway.providers.sandbox.engine import SandboxProvider
from mg.errors import ProviderUnavailableError

# Where each provider's API lives (for its native shape), and the variable its own SDK reads.
DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "mistral": "https://api.mistral.ai/v1",
    "xai": "https://api.x.ai/v1",
    "groq": "https://api.groq.com/openai/v1",
    "together": "https://api.together.xyz/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "anthropic": "https://api.anthropic.com",
    "google": "https://generativelanguage.googleapis.com",
}
USUAL_KEY_VARIABLES = {
    "openai": ["OPENAI_API_KEY"],
    "deepseek": ["DEEPSEEK_API_KEY"],
    "mistral": ["MISTRAL_API_KEY"],
    "xai": ["XAI_API_KEY"],
    "groq": ["GROQ_API_KEY"],
    "together": ["TOGETHER_API_KEY"],
    "openrouter": ["OPENROUTER_API_KEY"],
    "anthropic": ["ANTHROPIC_API_KEY"],
    "google": ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
}
ADAPTERS: dict[str, Callable[[UpstreamConfig, aiohttp.ClientSession], Provider]] = {
    "openai": OpenAICompatProvider,
    "anthropic": AnthropicProvider,
    "gemini": GeminiProvider,
}


class Caller(Protocol):
    """Who a request is for, as far as routing cares (the services' ``Principal``)."""

    @property
    def is_test(self) -> bool: ...


class ProviderRoute(Protocol):
    """Where one caller's model calls go, decided once per request by the registry."""

    # Whether calls can fail the way networks fail: breakers, retries and fallbacks apply.
    guarded: bool
    sandboxed: bool

    def provider(self, model: ModelInfo) -> Provider:
        """The adapter that serves ``model`` (raises ``ProviderUnavailableError`` when none)."""
        ...

    def serves(self, model: ModelInfo) -> bool:
        """Whether :meth:`provider` would find an adapter for ``model``."""
        ...

    def name_of(self, model: ModelInfo) -> str:
        """The provider name a request for ``model`` is logged under before any call was made."""
        ...


class _SandboxRoute:
    guarded = False
    sandboxed = True

    def __init__(self, sandbox: SandboxProvider) -> None:
        self.sandbox = sandbox

    def provider(self, model: ModelInfo) -> Provider:
        return self.sandbox

    def serves(self, model: ModelInfo) -> bool:
        return True

    def name_of(self, model: ModelInfo) -> str:
        return self.sandbox.name


class _UpstreamRoute:
    guarded = True
    sandboxed = False

    def __init__(self, registry: ProviderRegistry) -> None:
        self.registry = registry

    def provider(self, model: ModelInfo) -> Provider:
        return self.registry.upstream(model)

    def serves(self, model: ModelInfo) -> bool:
        return self.registry.is_configured(model)

    def name_of(self, model: ModelInfo) -> str:
        return model.provider


class ProviderRegistry:
    def __init__(
        self,
        environ: Mapping[str, str],
        session_factory: Callable[[], aiohttp.ClientSession],
        upstream_timeout: float = 120.0,
        sandbox_chunk_delay: float = 0.0,
        sandbox_answerer: Callable[[ChatRequest], Completion] | None = None,
    ) -> None:
        self.environ = environ
        self.session_factory = session_factory
        self.upstream_timeout = upstream_timeout
        self.sandbox = SandboxProvider(chunk_delay=sandbox_chunk_delay, answerer=sandbox_answerer)
        self._adapters: dict[tuple[str, str], Provider] = {}
        self.local = LocalDiscovery(self._local_adapter)
        self._sandbox_route = _SandboxRoute(self.sandbox)
        self._upstream_route = _UpstreamRoute(self)

    @property
    def upstream_route(self) -> ProviderRoute:
        """The route of every live key: for work a job does on a live key's behalf."""
        return self._upstream_route

    def for_caller(self, caller: Caller) -> ProviderRoute:
        """Test keys talk to the sandbox, every other key to the models' own providers."""
        return self._sandbox_route if caller.is_test else self._upstream_route

    def _env(self, name: str) -> str | None:
        value = self.environ.get(name)
        return value or None

    def upstream_config(self, provider: str) -> UpstreamConfig | None:
        """The provider's URL and key, or None when the gateway has no way to reach it."""
        upper = provider.upper()
        key_var = f"MG_{upper}_API_KEY"
        base_url = self._env(f"MG_{upper}_BASE_URL")
        api_key = self._env(key_var)
        if api_key is None:
            for usual in USUAL_KEY_VARIABLES.get(provider, ()):
                if self._env(usual):
                    api_key, key_var = self._env(usual), usual
                    break
        if api_key is None and base_url is None:
            return None  # a local server (Ollama, llama.cpp) needs only its URL
        base_url = base_url or DEFAULT_BASE_URLS.get(provider)
        if base_url is None:
            return None
        return UpstreamConfig(provider, base_url, api_key, key_var, self.upstream_timeout)

    def is_configured(self, model: ModelInfo) -> bool:
        return model.api in ADAPTERS and self.upstream_config(model.provider) is not None

    def _adapter(self, provider: str, api: str) -> Provider | None:
        adapter = self._adapters.get((provider, api))
        if adapter is not None:
            return adapter
        config = self.upstream_config(provider)
        if config is None or api not in ADAPTERS:
            return None
        adapter = ADAPTERS[api](config, self.session_factory())
        self._adapters[(provider, api)] = adapter
        return adapter

    def _local_adapter(self) -> OpenAICompatProvider | None:
        adapter = self._adapter("local", "openai")
        return adapter if isinstance(adapter, OpenAICompatProvider) else None

    def upstream(self, model: ModelInfo) -> Provider:
        """The adapter of ``model``'s own provider (raises when the gateway cannot reach it)."""
        adapter = self._adapter(model.provider, model.api)
        if adapter is None:
            raise not_configured(model)
        return adapter

    def embedding_provider(self, model: ModelInfo) -> EmbeddingProvider:
        adapter = self._adapter(model.provider, model.api)
        if not isinstance(adapter, EmbeddingProvider):  # None, or an API without embeddings
            raise not_configured(model)
        return adapter


def not_configured(model: ModelInfo) -> ProviderUnavailableError:
    upper = model.provider.upper()
    err = ProviderUnavailableError(
        f"The {model.provider} provider is not configured on this gateway.",
        remediation=(
            f"Set MG_{upper}_API_KEY (or MG_{upper}_BASE_URL for a local OpenAI-compatible "
            f"server) where the gateway runs, or use a mg_test_ key for the offline sandbox."
        ),
        retry_after=None,
    )
    err.transient = False
    return err
