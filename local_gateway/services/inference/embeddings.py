"""Embeddings: ``POST /v1/embeddings``.

Test keys get offline vectors from the app's one local embedder (all-MiniLM-L6-v2, or hashed
n-grams while it loads or if it cannot; the instance NPC memory and Monster-GPT use too),
projected onto the requested model's dimensionality; live keys go to the model's provider.
``dimensions`` truncates and renormalises (text-embedding-3 models only), as OpenAI does.
"""

from __future__ import annotations

import asyncio
import base64
import struct
from dataclasses import dataclass
from typing import Any

from local_gateway.providers import tokens
from local_gateway.providers.base import ModelInfo, Usage
from local_gateway.providers.embedders import Embedder, embed_named, project, truncate
from local_gateway.providers.registry import ProviderRegistry
from local_gateway.services.billing.admission import Admission
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.metering import Meter, price
from local_gateway.services.billing.money import micros_to_usd
from local_gateway.services.inference.catalog import Catalog
from mg.errors import ContextOverflowError, InvalidRequestError

__all__ = ["EmbeddingParams", "EmbeddingService", "parse_embeddings"]

DEFAULT_MODEL = "text-embedding-3-small"
MAX_INPUTS = 2048
ENCODINGS = ("float", "base64")


@dataclass
class EmbeddingParams:
    inputs: list[str]
    model: str = DEFAULT_MODEL
    encoding_format: str = "float"
    dimensions: int | None = None
    user: str | None = None


def parse_embeddings(body: Any) -> EmbeddingParams:
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    raw = body.get("input")
    if raw is None:
        raise InvalidRequestError("Missing required field 'input'.")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise InvalidRequestError("'input' must be a string or an array of strings.")
    if not raw:
        raise InvalidRequestError("'input' must contain at least one string.")
    if len(raw) > MAX_INPUTS:
        raise InvalidRequestError(f"'input' has {len(raw)} items; at most {MAX_INPUTS} per request.")
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            raise InvalidRequestError(
                f"'input[{i}]' must be a string (token arrays are not supported), got {type(item).__name__}."
            )
        if not item.strip():
            raise InvalidRequestError(f"'input[{i}]' is empty; every input must contain text.")
    model = body.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequestError("'model' must be a non-empty string.")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ENCODINGS:
        raise InvalidRequestError(f"'encoding_format' must be 'float' or 'base64', got {encoding!r}.")
    dimensions = body.get("dimensions")
    if dimensions is not None and (isinstance(dimensions, bool) or not isinstance(dimensions, int)):
        raise InvalidRequestError("'dimensions' must be an integer.")
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise InvalidRequestError("'user' must be a string.")
    return EmbeddingParams(raw, model.strip(), encoding, dimensions, user)


def encode_base64(vector: list[float]) -> str:
    """Little-endian float32, as OpenAI's SDKs decode it."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


@dataclass
class EmbeddingOutcome:
    body: dict[str, Any]
    headers: dict[str, str]


class EmbeddingService:
    def __init__(
        self,
        catalog: Catalog,
        providers: ProviderRegistry,
        admission: Admission,
        meter: Meter,
        embedder: Embedder,
    ) -> None:
        self.catalog = catalog
        self.providers = providers
        self.admission = admission
        self.meter = meter
        self.embedder = embedder

    def _check(self, model: ModelInfo, params: EmbeddingParams) -> list[int]:
        if params.dimensions is not None:
            if not model.id.startswith("text-embedding-3"):
                raise InvalidRequestError(
                    f"'dimensions' is not supported by {model.id}; only text-embedding-3 models take it."
                )
            full = model.dimensions or 0
            if not 1 <= params.dimensions <= full:
                raise InvalidRequestError(f"'dimensions' must be between 1 and {full} for {model.id}.")
        counts = [tokens.count_text(text) for text in params.inputs]
        for i, count in enumerate(counts):
            if count > model.context_window:
                raise ContextOverflowError(
                    f"'input[{i}]' is {count} tokens; {model.id} takes at most {model.context_window}."
                )
        return counts

    async def create(self, ctx: RequestContext, params: EmbeddingParams) -> EmbeddingOutcome:
        model = self.catalog.resolve(params.model, ctx.principal.tier, kind="embedding")
        counts = self._check(model, params)
        if self.providers.for_caller(ctx.principal).sandboxed:
            # Off the event loop: an encode is CPU work. The name says which model answered
            # (hashed n-grams while MiniLM is still loading, or if it cannot load).
            embedder_name, vectors = await asyncio.to_thread(embed_named, self.embedder, params.inputs)
            full = [project(v, model.dimensions or len(v)) for v in vectors]
            if params.dimensions is not None:
                full = [truncate(v, params.dimensions) for v in full]
            prompt_tokens, provider_name = sum(counts), "sandbox"
            headers = {"X-Monster-Provider": "sandbox", "X-Monster-Embedder": embedder_name}
        else:
            # An embedding's cost is known before the call: its input, priced.
            await self.admission.reserve(ctx, price(ctx, model, Usage(sum(counts), 0)))
            try:
                provider = self.providers.embedding_provider(model)
                result = await provider.embed(model, params.inputs, params.dimensions)
            except BaseException:
                await self.admission.release(ctx)
                raise
            full, prompt_tokens, provider_name = result.vectors, result.prompt_tokens, provider.name
            headers = {"X-Monster-Provider": provider.name}
        headers["X-Monster-Model"] = model.id
        encode = encode_base64 if params.encoding_format == "base64" else None
        data = [
            {"object": "embedding", "index": i, "embedding": encode(v) if encode else v}
            for i, v in enumerate(full)
        ]
        extra = {"inputs": len(params.inputs), "dimensions": len(full[0]) if full else 0}
        cost = await self.meter.record(ctx, model, provider_name, Usage(prompt_tokens, 0), extra=extra)
        body = {
            "object": "list",
            "data": data,
            "model": model.id,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "total_tokens": prompt_tokens,
                "cost": micros_to_usd(cost),
            },
        }
        return EmbeddingOutcome(body, headers)
