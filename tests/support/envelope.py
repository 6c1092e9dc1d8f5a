"""The spec's error envelope, as every test checks it."""

from __future__ import annotations

from typing import Any

import httpx

ENVELOPE_KEYS = {"type", "message", "code", "is_retryable", "retry_after", "reset_at", "remediation"}


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check status, JSON, exactly the seven keys, the code, and no leaked internals."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ENVELOPE_KEYS
    error = body["error"]
    assert error["code"] == code and error["message"] and error["remediation"]
    assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    return error
