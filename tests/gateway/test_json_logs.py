"""MG_LOG_FORMAT=json: every line a real gateway process writes to its log is one JSON object."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.s3_server import free_port

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def json_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    # Redis on a port nobody listens on: the rate limiter logs an error inside each request.
    env = {"MG_LOG_FORMAT": "json", "MG_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with running_gateway(tmp_path_factory.mktemp("gw-json-logs"), extra_env=env) as gw:
        yield gw


def _lines(gw: GatewayProcess) -> list[dict[str, Any]]:
    raw = [line for line in gw.log().splitlines() if line.strip()]
    parsed = []
    for line in raw:
        record = json.loads(line)  # fails the test on any line that is not JSON
        assert isinstance(record, dict), line
        parsed.append(record)
    return parsed


def _wait_for(gw: GatewayProcess, found: Any) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        lines = _lines(gw)
        if found(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_every_line_is_an_object_and_lines_inside_a_request_carry_its_id(
    json_gateway: GatewayProcess,
) -> None:
    gw = json_gateway
    with gw.client(gw.create_key(tier="studio")["api_key"]) as client:
        answer = client.get("/v1/whoami")
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    request_id = answer.headers["X-Request-Id"]

    lines = _wait_for(gw, lambda ls: any(line.get("path") == "/v1/whoami" for line in ls))
    for line in lines:
        assert ISO_Z.match(line["time"]), line
        assert line["level"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
        assert line["logger"] and isinstance(line["message"], str)
    assert any("listening on" in line["message"] for line in lines)

    mine = [line for line in lines if line.get("request_id") == request_id]
    limiter = [line for line in mine if line["logger"] == "mg.gateway.limits"]
    assert limiter and limiter[0]["level"] == "ERROR" and "rate limiter unavailable" in limiter[0]["message"]
    access = [line for line in mine if line["logger"] == "mg.gateway.access"]
    assert len(access) == 1
    assert access[0]["status"] == 503 and access[0]["method"] == "GET" and access[0]["path"] == "/v1/whoami"
    # Lines written outside any request (start-up, background work) have no request id.
    assert all("request_id" not in line for line in lines if "listening on" in line["message"])


def test_a_client_request_id_is_the_one_logged(json_gateway: GatewayProcess) -> None:
    gw = json_gateway
    answer = httpx.get(gw.url + "/v1/nowhere", headers={"X-Request-Id": "req-from-the-game-42"})
    assert answer.status_code == 404 and answer.headers["X-Request-Id"] == "req-from-the-game-42"
    lines = _wait_for(gw, lambda ls: any(line.get("request_id") == "req-from-the-game-42" for line in ls))
    access = [line for line in lines if line.get("request_id") == "req-from-the-game-42"]
    assert [line["path"] for line in access] == ["/v1/nowhere"] and access[0]["status"] == 404
