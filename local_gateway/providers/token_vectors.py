"""Deterministic vectors for embeddings requested as token ids (``input: [[1, 2, 3]]``).

OpenAI's embeddings endpoint takes pre-tokenised input, and LangChain's ``OpenAIEmbeddings``
sends it that way by default. Ids alone carry no meaning: without the tokenizer's vocabulary
(which the sandbox does not ship) ``[9906, 1917]`` cannot be turned back into "Hello world". So
the sandbox hashes the ids and their neighbouring pairs into a fixed vector: the same ids give the
same vector, arrays that share ids land closer than arrays that share none, and nothing claims to
know what they say.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

__all__ = ["TOKEN_EMBEDDER", "embed_token_ids"]

TOKEN_EMBEDDER = "hashed-token-ids"


def _features(ids: Sequence[int]) -> Counter[str]:
    features: Counter[str] = Counter(f"t:{i}" for i in ids)
    features.update(f"p:{a}:{b}" for a, b in pairwise(ids))
    return features


def embed_token_ids(ids: Sequence[int], dimensions: int) -> list[float]:
    """A unit vector of ``dimensions`` values for one token-id array (never empty)."""
    vector = [0.0] * dimensions
    for feature, count in _features(ids).items():
        h = zlib.crc32(feature.encode("ascii"))
        sign = 1.0 if h & 0x80000000 else -1.0
        weight = 1.0 + math.log(count)  # sublinear in repeats
        # Each feature touches two slots, so short arrays still spread over the vector.
        vector[h % dimensions] += sign * weight
        vector[(h >> 11) % dimensions] += -sign * weight * 0.5
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector
