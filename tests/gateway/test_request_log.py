"""The request log is committed before the answer, and the access log names every request."""

from __future__ import annotations

import json

from tests.support.gateway_process import GatewayProcess

BODY = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "Where is the smithy?"}]}


def _row(gateway: GatewayProcess, request_id: str) -> dict:
    rows = gateway.query("SELECT * FROM request_log WHERE request_id = $1", request_id)
    assert len(rows) == 1, f"{len(rows)} rows for {request_id}"
    return rows[0]


def test_answer_is_sent_after_its_row_is_committed(gateway: GatewayProcess, api_key: str) -> None:
    with gateway.client(api_key) as client:
        for n in range(5):
            response = client.post(
                "/v1/chat/completions",
                json={**BODY, "npc_id": "smith"},
                headers={"X-Request-Id": f"commit-{n}"},
            )
            assert response.status_code == 200
            # No waiting: the row is there the moment the answer is.
            row = _row(gateway, f"commit-{n}")
            usage = response.json()["usage"]
            assert (row["status"], row["endpoint"], row["model"], row["provider"]) == (
                200,
                "/v1/chat/completions",
                "deepseek-chat",
                "sandbox",
            )
            assert (row["prompt_tokens"], row["completion_tokens"]) == (
                usage["prompt_tokens"],
                usage["completion_tokens"],
            )
            assert row["cost_micros"] == 0 and not row["stream"]


def test_finished_stream_is_committed_before_done(gateway: GatewayProcess, api_key: str) -> None:
    with gateway.client(api_key) as client:
        response = client.post("/v1/stream", json=BODY, headers={"X-Request-Id": "stream-done"})
    assert response.text.rstrip().endswith("data: [DONE]")
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert int(response.headers["X-RateLimit-Remaining"]) < int(response.headers["X-RateLimit-Limit"])
    row = _row(gateway, "stream-done")
    assert row["status"] == 200 and row["stream"] and row["completion_tokens"] > 0
    extra = row["extra"] if isinstance(row["extra"], dict) else json.loads(row["extra"])
    assert extra["finish_reason"] == "stop"


def test_access_log_line_per_request(gateway: GatewayProcess, api_key: str) -> None:
    with gateway.client(api_key) as client:
        client.get("/v1/whoami", headers={"X-Request-Id": "access-ok"})
        client.get("/v1/nowhere", headers={"X-Request-Id": "access-404"})
        key_id = client.get("/v1/whoami").json()["key_id"]
    lines = {}
    for line in gateway.log().splitlines():
        start = line.find("{")
        if "mg.gateway.access" in line and start >= 0:
            entry = json.loads(line[start:])
            lines[entry["request_id"]] = entry
    assert lines["access-ok"]["status"] == 200 and lines["access-ok"]["key_id"] == key_id
    assert lines["access-ok"]["path"] == "/v1/whoami" and lines["access-ok"]["ms"] >= 0
    assert lines["access-404"]["status"] == 404 and lines["access-404"]["key_id"] is None
    assert api_key not in gateway.log(), "keys never reach the log"
