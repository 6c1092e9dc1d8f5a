"""Every way of failing authentication is 401 INVALID_API_KEY (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64

import pytest

from tests.support.envelope import assert_envelope
from tests.support.gateway_process import GatewayProcess

BODY = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer  \t x",
        "Token mg_test_abc",
        "Basic not-base64!",
        "Bearer sk-1234567890abcdef",
        "Bearer mg_test_" + "x" * 32,
        "Bearer mg_live_" + "y" * 32,
        "Bearer mg_test_" + "z" * 300,
    ],
    ids=["missing", "empty", "no-key", "spaced-junk", "other-scheme", "bad-basic", "foreign", "unknown-test",
         "unknown-live", "too-long"],
)  # fmt: skip
def test_bad_credentials(gateway: GatewayProcess, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    with gateway.client() as client:
        response = client.post("/v1/chat/completions", json=BODY, headers=headers)
    error = assert_envelope(response, 401, "INVALID_API_KEY")
    assert "X-RateLimit-Limit" not in response.headers
    secret = (header or "").split(" ")[-1]
    if len(secret) > 8:
        assert secret[:20] not in error["message"], "a key is never echoed"


def test_revoked_key(gateway: GatewayProcess) -> None:
    key = gateway.create_key(tier="studio")
    gateway.revoke_key(key["key_id"])
    with gateway.client(key["api_key"]) as client:
        assert_envelope(client.get("/v1/whoami"), 401, "INVALID_API_KEY")
        assert_envelope(client.post("/v1/chat/completions", json=BODY), 401, "INVALID_API_KEY")


def test_basic_auth_carries_the_key_as_password(gateway: GatewayProcess, api_key: str) -> None:
    # Symbol-server clients can only send basic auth.
    token = base64.b64encode(f"mg:{api_key}".encode()).decode()
    with gateway.client() as client:
        response = client.get("/v1/whoami", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200
