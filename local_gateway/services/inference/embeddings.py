"""Embeddings: ``POST /v1/embeddings``.

Test keys get offline vectors from the app's one local embedder (all-MiniLM-L6-v2, or hashed
n-grams while it loads or if it cannot; the instance NPC memory and Monster-GPT use too),
projected onto the requested model's dimensionality; live keys go to the model's provider.
``dimensions`` truncates and renormalises (text-embedding-3 models only), as OpenAI does.

``input`` may also be token ids, as OpenAI takes them: one array of ids or an array of such
arrays. Live keys forward them as they are (to an API that takes ids); test keys get hashed
vectors of the ids (:mod:`local_gateway.providers.token_vectors`), since what ids mean is not
recoverable without the tokenizer's vocabulary.
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
from local_gateway.providers.token_vectors import TOKEN_EMBEDDER, embed_token_ids
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
MAX_TOKEN_ID = 2**31 - 1
INPUT_SHAPES = "a string, an array of strings, an array of token ids or an array of token-id arrays"


@dataclass
class EmbeddingParams:
    inputs: list[str] | list[list[int]]
    model: str = DEFAULT_MODEL
    encoding_format: str = "float"
    dimensions: int | None = None
    user: str | None = None


def parse_embeddings(body: Any) -> EmbeddingParams:
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    inputs = parse_inputs(body.get("input"))
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
    return EmbeddingParams(inputs, model.strip(), encoding, dimensions, user)


def _is_token(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKEN_ID


def _token_array(value: Any, where: str) -> list[int]:
    if not isinstance(value, list) or not value:
        raise InvalidRequestError(f"'{where}' must be a non-empty array of token ids, like 'input[0]'.")
    for j, item in enumerate(value):
        if not _is_token(item):
            raise InvalidRequestError(
                f"'{where}[{j}]' must be a token id (an integer from 0 to {MAX_TOKEN_ID}), got {item!r}."
            )
    return value


def parse_inputs(raw: Any) -> list[str] | list[list[int]]:
    """``input`` as a list of texts or a list of token-id arrays (never a mix), each non-empty."""
    if raw is None:
        raise InvalidRequestError("Missing required field 'input'.")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise InvalidRequestError(f"'input' must be {INPUT_SHAPES}.")
    if not raw:
        raise InvalidRequestError("'input' must contain at least one string or token id.")
    if all(_is_token(item) for item in raw):
        return [raw]  # one token array
    if len(raw) > MAX_INPUTS:
        raise InvalidRequestError(f"'input' has {len(raw)} items; at most {MAX_INPUTS} per request.")
    if isinstance(raw[0], list):
        return [_token_array(item, f"input[{i}]") for i, item in enumerate(raw)]
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            raise InvalidRequestError(
                f"'input[{i}]' must be a string like 'input[0]' (texts and token ids do not mix), "
                f"got {type(item).__name__}; 'input' must be {INPUT_SHAPES}."
            )
        if not item.strip():
            raise InvalidRequestError(f"'input[{i}]' is empty; every input must contain text.")
    return raw


def count_input(item: str | list[int]) -> int:
    """Tokens of one input: a text counted as billing counts it; a token array is its length."""
    return len(item) if isinstance(item, list) else tokens.count_text(item)


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
        counts = [count_input(item) for item in params.inputs]
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
            size = model.dimensions or self.embedder.dimensions
            texts, id_arrays = _split(params.inputs)
            if id_arrays:
                full, embedder_name = [embed_token_ids(ids, size) for ids in id_arrays], TOKEN_EMBEDDER
            else:
                # Off the event loop: an encode is CPU work. The name says which model answered
                # (hashed n-grams while MiniLM is still loading, or if it cannot load).
                embedder_name, vectors = await asyncio.to_thread(embed_named, self.embedder, texts)
                full = [project(v, size) for v in vectors]
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


def _split(inputs: list[str] | list[list[int]]) -> tuple[list[str], list[list[int]]]:
    """The inputs as texts or as token-id arrays (the other list is empty)."""
    texts = [item for item in inputs if isinstance(item, str)]
    return texts, [item for item in inputs if isinstance(item, list)]
