"""Embeddings through a real gateway (SQLite and PostgreSQL), judged by the official openai SDK."""

from __future__ import annotations

import base64
import math
import struct

import openai
import pytest
from openai import OpenAI

from tests.support.gateway_process import GatewayProcess

RELATED = [
    "The blacksmith forged a legendary sword of fire.",
    "A blacksmith forges fiery swords at the anvil.",
]
UNRELATED = "Quarterly tax filing deadlines for small accountancy firms."


@pytest.fixture
def client(gateway: GatewayProcess, api_key: str) -> OpenAI:
    return OpenAI(base_url=gateway.base_url, api_key=api_key, max_retries=0)


def cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_float_embeddings_are_unit_vectors_of_the_model_size(client: OpenAI) -> None:
    response = client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input="The blacksmith forged a sword.", encoding_format="float"
    )
    result = response.parse()
    assert response.headers["x-monster-provider"] == "sandbox"
    # The default install's model (test gateways start serving once it has loaded).
    assert response.headers["x-monster-embedder"] == "all-minilm-l6-v2"
    assert result.model == "text-embedding-3-small" and result.object == "list"
    vector = result.data[0].embedding
    assert len(vector) == 1536 and math.isclose(sum(x * x for x in vector), 1.0, rel_tol=1e-6)
    assert result.usage.prompt_tokens == result.usage.total_tokens > 0


def test_base64_matches_float_and_batches_keep_order(client: OpenAI) -> None:
    texts = [*RELATED, UNRELATED]
    floats = client.embeddings.create(model="text-embedding-3-small", input=texts, encoding_format="float")
    packed = client.embeddings.create(model="text-embedding-3-small", input=texts, encoding_format="base64")
    assert [d.index for d in floats.data] == [0, 1, 2]
    for a, b in zip(floats.data, packed.data, strict=True):
        raw = base64.b64decode(b.embedding)  # type: ignore[arg-type]  # asked for explicitly: left encoded
        unpacked = struct.unpack(f"<{len(raw) // 4}f", raw)
        assert len(unpacked) == 1536
        assert all(math.isclose(x, y, abs_tol=1e-6) for x, y in zip(a.embedding, unpacked, strict=True))
    default = client.embeddings.create(model="text-embedding-3-small", input=texts)  # SDK asks base64
    assert default.data[2].embedding[:4] == pytest.approx(floats.data[2].embedding[:4], abs=1e-6)


def test_related_sentences_are_closer_than_unrelated(client: OpenAI) -> None:
    data = client.embeddings.create(model="text-embedding-3-small", input=[*RELATED, UNRELATED]).data
    a, b, c = (d.embedding for d in data)
    assert cos(a, b) > cos(a, c) + 0.15


def test_paraphrases_with_no_word_in_common_are_close(client: OpenAI) -> None:
    # Meaning, not shared words: hashed n-grams scored this pair like the tax sentence (0.02).
    pair = [RELATED[0], "A smith hammered out a flaming blade at the anvil.", UNRELATED]
    a, b, c = (d.embedding for d in client.embeddings.create(model="text-embedding-3-small", input=pair).data)
    assert cos(a, b) > 0.4 and cos(a, b) > cos(a, c) + 0.3


def test_dimensions_truncate_and_renormalise(client: OpenAI) -> None:
    full = client.embeddings.create(model="text-embedding-3-small", input=RELATED[0]).data[0].embedding
    short = (
        client.embeddings.create(model="text-embedding-3-small", input=RELATED[0], dimensions=256)
        .data[0]
        .embedding
    )
    assert len(short) == 256 and math.isclose(sum(x * x for x in short), 1.0, rel_tol=1e-6)
    scale = math.sqrt(sum(x * x for x in full[:256]))
    assert short == pytest.approx([x / scale for x in full[:256]], abs=1e-6)


def test_embedding_errors(client: OpenAI, gateway: GatewayProcess, api_key: str) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.embeddings.create(model="text-embedding-3-small", input=["x"] * 2049)
    assert "at most 2048" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:
        client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=4000)
    assert "'dimensions'" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:
        client.embeddings.create(model="deepseek-chat", input="x")
    assert err.value.body["code"] == "MODEL_NOT_FOUND"
    with gateway.client(api_key) as http:
        big = http.post("/v1/embeddings", json={"input": "x" * (600 * 1024)})
        assert big.status_code == 413 and big.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
        empty = http.post("/v1/embeddings", json={"input": ["ok", ""]})
        assert empty.status_code == 400 and "input[1]" in empty.json()["error"]["message"]


def test_live_key_without_provider_is_503(gateway: GatewayProcess) -> None:
    live = gateway.create_key(tier="free", live=True)["api_key"]
    client = OpenAI(base_url=gateway.base_url, api_key=live, max_retries=0)
    with pytest.raises(openai.InternalServerError) as err:
        client.embeddings.create(model="text-embedding-3-small", input="x")
    assert (
        err.value.body["code"] == "PROVIDER_UNAVAILABLE"
        and "MG_OPENAI_API_KEY" in err.value.body["remediation"]
    )


def test_token_arrays_embed_deterministically(client: OpenAI) -> None:
    response = client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input=[[9906, 1917, 0], [9906, 1917, 11]], encoding_format="float"
    )
    batch = response.parse()
    assert response.headers["x-monster-embedder"] == "hashed-token-ids"
    assert batch.usage.prompt_tokens == 6 and [d.index for d in batch.data] == [0, 1]
    a, b = (d.embedding for d in batch.data)
    assert len(a) == 1536 and math.isclose(sum(x * x for x in a), 1.0, rel_tol=1e-6)
    # One flat array is one input, the same as the same array nested once.
    flat = client.embeddings.create(model="text-embedding-3-small", input=[9906, 1917, 0])
    assert len(flat.data) == 1 and flat.usage.prompt_tokens == 3
    assert flat.data[0].embedding == pytest.approx(a, abs=1e-6)
    # Arrays sharing ids are closer than arrays sharing none.
    far = client.embeddings.create(model="text-embedding-3-small", input=[[40, 41, 42]]).data[0].embedding
    assert cos(a, b) > cos(a, far) + 0.3
    short = client.embeddings.create(model="text-embedding-3-small", input=[[9906, 1917, 0]], dimensions=64)
    assert len(short.data[0].embedding) == 64


def test_token_arrays_that_are_not_valid_are_400(gateway: GatewayProcess, api_key: str) -> None:
    with gateway.client(api_key) as http:
        for body, named in [
            ({"input": ["a sword", [1, 2]]}, "input[1]"),
            ({"input": [[1, 2], []]}, "input[1]"),
            ({"input": [[1, -2]]}, "input[0][1]"),
            ({"input": [[1, True]]}, "input[0][1]"),
            ({"input": [[1], "a sword"]}, "input[1]"),
        ]:
            answer = http.post("/v1/embeddings", json=body)
            assert answer.status_code == 400, body
            error = answer.json()["error"]
            assert error["code"] == "INVALID_REQUEST" and named in error["message"], (body, error)
