"""/openapi.json tells the truth: every served route is in it, every route the API reference
names is served, and schemathesis, sending what the document allows (and a little it does not),
gets no 500 and no answer that breaks the document."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local_gateway.api.openapi.document import app_routes
from local_gateway.app import create_app
from local_gateway.settings import Settings
from tests.support.fake_stripe import SECRET_KEY as STRIPE_KEY
from tests.support.fake_stripe import running_fake_stripe
from tests.support.gateway_process import GatewayProcess, running_gateway

SPEC = json.loads((Path(__file__).resolve().parents[1] / "data" / "api_spec.json").read_text())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}|:[A-Za-z_]+", "{}", path)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    # Billing through Stripe, against the local double of Stripe's API: what schemathesis sends
    # to /v1/billing/manage reaches a "Stripe" (a gateway without one answers 503 by design).
    with (
        running_fake_stripe() as stripe_api,
        running_gateway(
            tmp_path_factory.mktemp("gw-openapi"),
            extra_env={
                "MG_STRIPE_SECRET_KEY": STRIPE_KEY,
                "MG_STRIPE_WEBHOOK_SECRET": "whsec_openapi",
                "MG_STRIPE_API_BASE": stripe_api.url,
            },
        ) as gw,
    ):
        yield gw


@pytest.fixture(scope="module")
def document(gateway: GatewayProcess) -> dict[str, Any]:
    response = httpx.get(f"{gateway.url}/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_every_served_route_is_described(document: dict[str, Any], tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, bootstrap=False, save_bootstrap_key=False))
    served = {(method.lower(), path) for method, path in app_routes(app)}
    described = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert served == described
    assert document["openapi"] == "3.1.0" and document["info"]["version"]
    chat = document["paths"]["/v1/chat/completions"]["post"]
    assert chat["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChatCompletionRequest"
    }
    assert "4XX" in chat["responses"] and "text/event-stream" in chat["responses"]["200"]["content"]


def test_every_route_the_reference_names_is_served(document: dict[str, Any]) -> None:
    described = {(method.upper(), _shape(path)) for path, ops in document["paths"].items() for method in ops}
    named = {(route["method"], _shape(route["path"])) for route in SPEC["routes"]}
    assert len(named) > 50, "the reference's routes were not read"
    assert sorted(named - described) == []


def test_public_routes_need_no_key(document: dict[str, Any]) -> None:
    status = document["paths"]["/v1/status"]["get"]
    assert status["security"] == []
    assert "security" not in document["paths"]["/v1/threads"]["post"]  # the document's bearer default


@pytest.fixture(scope="module")
def api_schema(gateway: GatewayProcess) -> Any:
    schema = schemathesis.openapi.from_url(f"{gateway.url}/openapi.json")
    key = gateway.create_key(tier="studio")["api_key"]
    schema.config.update(base_url=gateway.url, headers={"Authorization": f"Bearer {key}"})
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_gateway_keeps_the_document(case: Any) -> None:
    case.call_and_validate(checks=CHECKS, timeout=60)


@pytest.mark.parametrize("path", ["/v1/debug/symbols/upload", "/v1/debug/crashes"])
def test_a_broken_multipart_form_is_the_clients_error(gateway: GatewayProcess, path: str) -> None:
    """Found by schemathesis: both answered 500 before (aiohttp's parser errors escaped)."""
    key = gateway.create_key()["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    no_boundary = httpx.post(f"{gateway.url}{path}", headers={**auth, "Content-Type": "multipart/form-data"},
                             content=b"x", timeout=30)  # fmt: skip
    assert no_boundary.status_code == 400, no_boundary.text
    assert "boundary" in no_boundary.json()["error"]["message"]
    broken = httpx.post(
        f"{gateway.url}{path}",
        headers={**auth, "Content-Type": "multipart/form-data; boundary=b0"},
        content=b"--b0\r\n-7045--b0--\r\n",
        timeout=30,
    )
    assert broken.status_code == 400, broken.text
    assert broken.json()["error"]["code"] == "INVALID_REQUEST"
