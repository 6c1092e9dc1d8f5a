"""Status, health, SLO, changelog, maintenance and metrics through a real gateway process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from prometheus_client.parser import text_string_to_metric_families

from local_gateway.services.status import changelog
from tests.gateway.conftest import gateway_with_fakes
from tests.support.fake_upstreams import Reply, Upstreams
from tests.support.gateway_process import GatewayProcess

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "metrics-token-for-tests"
DOWN = Reply(status=503, body={"error": {"message": "upstream down", "type": "server_error"}})
HI = [{"role": "user", "content": "Sword?"}]


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, Upstreams]]:
    extra = {
        "MG_BREAKER_FAILURES": "2", "MG_BREAKER_COOLDOWN": "1", "MG_UPSTREAM_RETRIES": "0",
        "MG_METRICS_TOKEN": TOKEN,
    }  # fmt: skip
    with gateway_with_fakes(tmp_path_factory.mktemp("gw-status"), extra) as pair:
        yield pair


@pytest.fixture(scope="module")
def client(gw: tuple[GatewayProcess, Upstreams]) -> OpenAI:
    key = gw[0].create_key(tier="studio", live=True)["api_key"]
    return OpenAI(base_url=gw[0].base_url, api_key=key, max_retries=0)


class Page(HTMLParser):
    """The parts of /status a reader looks at: refresh, indicator, table rows by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.refresh: str | None = None
        self.indicator: str | None = None
        self.tables: dict[str, list[list[str]]] = {}
        self.texts: dict[str, str] = {}
        self.scripts = 0
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and a.get("http-equiv") == "refresh":
            self.refresh = a.get("content")
        if tag == "script":
            self.scripts += 1
        if a.get("data-indicator"):
            self.indicator = a["data-indicator"]
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table or ""] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "p" and a.get("id"):
            self._id = a["id"]
            self.texts[self._id] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "p":
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._id is not None:
            self.texts[self._id] += data


def page(gw: GatewayProcess) -> Page:
    response = httpx.get(gw.url + "/status")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    parsed = Page()
    parsed.feed(response.text)
    return parsed


def status(gw: GatewayProcess) -> dict[str, Any]:
    response = httpx.get(gw.url + "/v1/status")
    assert response.status_code == 200
    return response.json()


def component(body: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in body["components"] if c["id"] == cid)


def test_changelog_file_and_route_agree(gw: tuple[GatewayProcess, Upstreams]) -> None:
    data = changelog.load()
    assert (ROOT / "CHANGELOG.md").read_text() == changelog.render_markdown(data), (
        "CHANGELOG.md is stale: python -m local_gateway.services.status.changelog > CHANGELOG.md"
    )
    body = httpx.get(gw[0].url + "/v1/changelog").json()
    assert body["data"] == data["releases"] and body["api_version"] == data["api_version"]
    assert all(c["type"] in changelog.CHANGE_TYPES for r in body["data"] for c in r["changes"])
    version = httpx.get(gw[0].url + "/v1/version").json()
    assert version["version"] == data["api_version"] == data["releases"][0]["api_version"]


def test_health_names_each_subsystem(gw: tuple[GatewayProcess, Upstreams]) -> None:
    response = httpx.get(gw[0].url + "/v1/health")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "healthy"
    subsystems = body["subsystems"]
    assert subsystems["database"]["status"] == "ok" and subsystems["database"]["backend"] == "sqlite"
    assert subsystems["blob_store"] == dict(subsystems["blob_store"], status="ok", backend="disk")
    assert subsystems["config"]["providers_configured"] >= 5
    assert "cache" not in subsystems  # no MG_REDIS_URL


def test_a_breaker_trip_shows_on_status_and_resolves(
    gw: tuple[GatewayProcess, Upstreams], client: OpenAI
) -> None:
    gateway, upstreams = gw
    upstreams.reset()
    before = status(gateway)
    assert before["status"]["indicator"] == "none"
    assert component(before, "provider:deepseek")["status"] == "operational"
    assert before["page"]["url"] == gateway.url + "/status"

    upstreams.fakes["deepseek"].fail("openai.chat", DOWN)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="deepseek-chat", messages=HI)
    assert component(status(gateway), "provider:deepseek")["status"] == "degraded_performance"
    assert status(gateway)["status"]["indicator"] == "minor"
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="deepseek-chat", messages=HI)
    tripped = status(gateway)
    assert tripped["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert component(tripped, "provider:deepseek")["status"] == "major_outage"
    [incident] = tripped["incidents"]
    assert incident["status"] == "investigating" and incident["components"][0]["id"] == "provider:deepseek"

    html = page(gateway)
    assert html.refresh == "30" and html.scripts == 0 and html.indicator == "major"
    deepseek = next(r for r in html.tables["providers"] if r[0] == "deepseek")
    assert deepseek[1] == "open" and deepseek[2] == "2 of 2"
    assert any(r[0] == "deepseek unavailable" and r[1] == "investigating" for r in html.tables["incidents"])
    assert "models in the catalog" in html.texts["model-counts"]

    upstreams.fakes["deepseek"].fail("openai.chat", None)
    time.sleep(1.1)
    client.chat.completions.create(model="deepseek-chat", messages=HI)
    after = status(gateway)
    assert after["status"]["indicator"] == "none" and after["incidents"] == []
    rows = page(gateway).tables["incidents"]
    assert any(r[0] == "deepseek unavailable" and r[1] == "resolved" and r[3] != "—" for r in rows)


def test_maintenance_closes_the_api_but_not_status(
    gw: tuple[GatewayProcess, Upstreams], client: OpenAI
) -> None:
    gateway = gw[0]
    on = gateway.admin("maintenance", "on", "--eta", "30m", "--message", "Database upgrade.")
    assert on["maintenance"] is True and on["eta"]
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                client.chat.completions.create(model="deepseek-chat", messages=HI)
            except openai.InternalServerError as exc:
                err = exc
                break
            assert time.monotonic() < deadline, "maintenance did not reach the gateway"
            time.sleep(0.3)
        assert err.status_code == 503 and err.body["code"] == "MAINTENANCE"
        assert "Database upgrade." in err.body["message"]
        assert 1500 < int(err.response.headers["Retry-After"]) <= 1800
        assert httpx.get(gateway.url + "/v1/health").status_code == 200
        body = status(gateway)
        assert body["scheduled_maintenances"][0]["scheduled_until"] == on["eta"]
        assert component(body, "api")["status"] == "under_maintenance"
        html = page(gateway)
        assert on["eta"] in html.texts["maintenance"] and "Database upgrade." in html.texts["maintenance"]
    finally:
        assert gateway.admin("maintenance", "off") == {"maintenance": False}
    time.sleep(2.2)
    client.chat.completions.create(model="deepseek-chat", messages=HI)
    assert status(gateway)["scheduled_maintenances"] == []


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_metrics_scrape_after_traffic(gw: tuple[GatewayProcess, Upstreams], client: OpenAI) -> None:
    gateway, upstreams = gw
    assert httpx.get(gateway.url + "/metrics").status_code == 401
    assert httpx.get(gateway.url + "/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    upstreams.reset()
    for _ in range(3):
        client.chat.completions.create(model="deepseek-chat", messages=HI)
    httpx.get(gateway.url + "/v1/threads/thr_nope", headers={"Authorization": f"Bearer {client.api_key}"})
    response = httpx.get(gateway.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    families = _families(response.text)

    def value(family: str, sample: str, **labels: str) -> float:
        return sum(
            s.value
            for s in families[family].samples
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def total(family: str, **labels: str) -> float:
        return value(family, f"{family}_total", **labels)

    ok = total("mg_http_requests", route="/v1/chat/completions", status="200")
    assert ok >= 3
    assert total("mg_http_requests", route="/v1/threads/{thread_id}", status="404") == 1
    latency = "mg_http_request_duration_seconds"
    assert value(latency, f"{latency}_count", route="/v1/chat/completions") >= ok
    assert total("mg_upstream_requests", provider="deepseek", outcome="ok") >= 3
    assert total("mg_upstream_requests", provider="deepseek", outcome="error") >= 2
    assert total("mg_tokens", provider="deepseek", direction="prompt") > 0
    assert total("mg_cost_usd", provider="deepseek") > 0
    assert value("mg_breaker_state", "mg_breaker_state", provider="deepseek", state="closed") == 1
    assert "mg_jobs_queued" in families and value("mg_maintenance", "mg_maintenance") == 0


def test_slo_measures_the_logged_traffic(gw: tuple[GatewayProcess, Upstreams], client: OpenAI) -> None:
    gateway = gw[0]
    body = httpx.get(gateway.url + "/v1/slo", params={"window": "1h"}).json()
    rows = gateway.query("SELECT status FROM request_log")
    measured = body["measured"]
    assert measured["requests"] == len(rows) > 0
    assert measured["server_errors"] == sum(1 for r in rows if r["status"] >= 500)
    assert measured["availability"] == round(1 - measured["server_errors"] / len(rows), 6)
    assert measured["latency_ms"]["p50"] <= measured["latency_ms"]["p95"] <= measured["latency_ms"]["p99"]
    assert body["targets"]["availability"] == 0.999 and body["source"] == "request_log"
    bad = httpx.get(gateway.url + "/v1/slo", params={"window": "3w"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_REQUEST"
