"""/v1/webhooks on a real gateway process (SQLite and PostgreSQL) with a real receiver process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from local_gateway.services.webhooks import EVENT_TYPES
from tests.support.envelope import ENVELOPE_KEYS
from tests.support.gateway_process import GatewayProcess
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def dev(gateway: GatewayProcess) -> Iterator[httpx.Client]:
    with gateway.client(gateway.create_key(tier="studio")["api_key"]) as client:
        yield client


@pytest.fixture(scope="module")
def live(gateway: GatewayProcess) -> Iterator[httpx.Client]:
    with gateway.client(gateway.create_key(tier="studio", live=True)["api_key"]) as client:
        yield client


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == set(ENVELOPE_KEYS)
    return dict(error)


def _add(client: httpx.Client, url: str, events: list[str] | None = None) -> dict[str, Any]:
    r = client.post("/v1/webhooks", json={"url": url, "events": events or ["thread.created"]})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_register_list_show_update_delete(dev: httpx.Client, receiver: Receiver) -> None:
    created = _add(dev, receiver.url + "/ok", ["thread.created", "thread.message"])
    assert created["id"].startswith("whk_") and created["secret"].startswith("whsec_")
    assert (created["status"], created["enabled"], created["events"]) == (
        "enabled", True, ["thread.created", "thread.message"],
    )  # fmt: skip
    shown = dev.get(f"/v1/webhooks/{created['id']}").json()
    assert "secret" not in shown and shown["url"] == receiver.url + "/ok"
    assert created["id"] in [w["id"] for w in dev.get("/v1/webhooks").json()["data"]]
    assert all("secret" not in w for w in dev.get("/v1/webhooks").json()["data"])
    patched = dev.patch(f"/v1/webhooks/{created['id']}", json={"enabled": False, "description": "staging"})
    assert patched.json()["status"] == "disabled" and patched.json()["description"] == "staging"
    assert patched.json()["disabled_reason"] == "disabled by its owner"
    assert dev.patch(f"/v1/webhooks/{created['id']}", json={"enabled": True}).json()["enabled"] is True
    gone = dev.delete(f"/v1/webhooks/{created['id']}")
    assert gone.json() == {"id": created["id"], "object": "webhook.deleted", "deleted": True}
    assert _error(dev.get(f"/v1/webhooks/{created['id']}"), 404)["code"] == "NOT_FOUND"


def test_unknown_events_are_refused_with_the_valid_list(dev: httpx.Client, receiver: Receiver) -> None:
    error = _error(dev.post("/v1/webhooks", json={"url": receiver.url, "events": ["thread.exploded"]}), 400)
    assert "thread.exploded" in error["message"]
    for name in EVENT_TYPES:
        assert name in error["message"]
    assert {"crash.new_fingerprint", "crash.regression", "player.credit_low"} <= set(EVENT_TYPES)
    for body in (
        {"events": ["thread.created"]},
        {"url": "ftp://example.com/x", "events": ["thread.created"]},
        {"url": receiver.url, "events": []},
        {"url": receiver.url, "events": "thread.created"},
        {"url": receiver.url, "events": ["thread.created"], "colour": "red"},
        {"url": "http://user:pw@example.com/", "events": ["thread.created"]},
    ):
        assert _error(dev.post("/v1/webhooks", json=body), 400)["code"] == "INVALID_REQUEST"
    assert _error(dev.post("/v1/webhooks", content=b"{nope"), 400)["code"] == "INVALID_REQUEST"


def test_another_developer_gets_404(gateway: GatewayProcess, dev: httpx.Client, receiver: Receiver) -> None:
    mine = _add(dev, receiver.url + "/ok")
    ping = dev.post(f"/v1/webhooks/{mine['id']}/ping").json()
    with gateway.client(gateway.create_key()["api_key"]) as other:
        for method, path in (
            ("GET", f"/v1/webhooks/{mine['id']}"),
            ("PATCH", f"/v1/webhooks/{mine['id']}"),
            ("DELETE", f"/v1/webhooks/{mine['id']}"),
            ("POST", f"/v1/webhooks/{mine['id']}/ping"),
            ("POST", f"/v1/webhooks/{mine['id']}/rotate-secret"),
            ("GET", f"/v1/webhooks/deliveries/{ping['id']}"),
            ("POST", f"/v1/webhooks/deliveries/{ping['id']}/redeliver"),
        ):
            r = other.request(method, path, json={"enabled": False} if method == "PATCH" else None)
            assert _error(r, 404)["code"] == "NOT_FOUND", (method, path)
        assert other.get("/v1/webhooks").json()["data"] == []
        assert other.get("/v1/webhooks/deliveries").json()["data"] == []
    assert dev.get(f"/v1/webhooks/{mine['id']}").json()["enabled"] is True
    assert _error(httpx.get(f"{gateway.url}/v1/webhooks"), 401)["code"] == "INVALID_API_KEY"


def test_ping_answers_with_the_attempt(dev: httpx.Client, receiver: Receiver) -> None:
    ok, failing = _add(dev, receiver.url + "/ok"), _add(dev, receiver.url + "/status/503")
    pinged = dev.post(f"/v1/webhooks/{ok['id']}/ping").json()
    assert (pinged["status"], pinged["event"], pinged["attempts"]) == ("delivered", "webhook.ping", 1)
    assert pinged["attempt_log"][0]["status_code"] == 200
    request = next(r for r in receiver.requests("/ok") if r["headers"]["webhook-id"] == pinged["event_id"])
    assert Webhook(ok["secret"]).verify(request["body"], request["headers"])["event"] == "webhook.ping"
    bad = dev.post(f"/v1/webhooks/{failing['id']}/ping").json()
    assert (bad["status"], bad["last_status_code"], bad["next_attempt_at"]) == ("failed", 503, None)


def test_rotate_shows_the_new_secret_once(dev: httpx.Client, receiver: Receiver) -> None:
    created = _add(dev, receiver.url + "/ok")
    rotated = dev.post(f"/v1/webhooks/{created['id']}/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    assert "secret" not in dev.get(f"/v1/webhooks/{created['id']}").json()


def test_a_thread_made_through_the_api_is_announced(dev: httpx.Client, receiver: Receiver) -> None:
    # A path of its own: other tests' endpoints of this developer also listen on /ok.
    hook = _add(dev, receiver.url + "/threads", ["thread.created", "thread.state_changed"])
    thread = dev.post("/v1/threads", json={"npc_id": "smith", "player_id": "p1"}).json()
    assert dev.post(f"/v1/threads/{thread['id']}/state", json={"gold": 3}).status_code == 200
    deadline = time.monotonic() + 20
    mine: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(mine) < 2:
        mine = [e for e in receiver.events("/threads") if e["data"].get("thread_id") == thread["id"]]
        time.sleep(0.05)
    assert [e["event"] for e in mine] == ["thread.created", "thread.state_changed"]
    listed = dev.get("/v1/webhooks/deliveries", params={"webhook_id": hook["id"]}).json()
    # One dispatch can make both deliveries in the same instant: their order in the list is open.
    assert sorted(d["event"] for d in listed["data"]) == ["thread.created", "thread.state_changed"]
    assert all(d["status"] == "delivered" and d["thread_id"] == thread["id"] for d in listed["data"])


def test_deliveries_filter_paginate_and_redeliver(dev: httpx.Client, receiver: Receiver) -> None:
    hook = _add(dev, receiver.url + "/status/500")
    for _ in range(3):
        dev.post(f"/v1/webhooks/{hook['id']}/ping")
    page = dev.get("/v1/webhooks/deliveries", params={"webhook_id": hook["id"], "limit": 2}).json()
    assert len(page["data"]) == 2 and page["has_more"] is True
    rest = dev.get(
        "/v1/webhooks/deliveries", params={"webhook_id": hook["id"], "before": page["next_before"]}
    ).json()
    assert len(rest["data"]) == 1 and rest["has_more"] is False
    failed = dev.get("/v1/webhooks/deliveries", params={"webhook_id": hook["id"], "status": "failed"})
    assert len(failed.json()["data"]) == 3
    assert (
        dev.get("/v1/webhooks/deliveries", params={"status": "delivered", "webhook_id": hook["id"]}).json()[
            "data"
        ]
        == []
    )
    assert _error(dev.get("/v1/webhooks/deliveries", params={"limit": 201}), 400)["code"] == "INVALID_REQUEST"
    assert (
        _error(dev.get("/v1/webhooks/deliveries", params={"status": "lost"}), 400)["code"]
        == "INVALID_REQUEST"
    )
    dev.patch(f"/v1/webhooks/{hook['id']}", json={"url": receiver.url + "/ok"})
    again = dev.post(f"/v1/webhooks/deliveries/{page['data'][0]['id']}/redeliver")
    assert again.status_code == 202 and again.json()["redelivery_of"] == page["data"][0]["id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = dev.get(f"/v1/webhooks/deliveries/{again.json()['id']}").json()["status"]
        if status == "delivered":
            break
        time.sleep(0.05)
    assert status == "delivered"
    dev.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": False})
    refused = dev.post(f"/v1/webhooks/deliveries/{page['data'][0]['id']}/redeliver")
    assert _error(refused, 409)["code"] == "CONFLICT"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # live keys need https
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/hook",
        "https://100.64.0.1/hook",
        "https://[fe80::1]/hook",
        "https://localhost/hook",  # a name that resolves to loopback
    ],
)
def test_live_keys_cannot_register_inward_urls(live: httpx.Client, url: str) -> None:
    error = _error(live.post("/v1/webhooks", json={"url": url, "events": ["thread.created"]}), 400)
    assert error["code"] == "INVALID_REQUEST" and error["remediation"]
    assert live.get("/v1/webhooks").json()["data"] == []


def test_test_keys_may_use_localhost(dev: httpx.Client) -> None:
    assert _add(dev, "http://localhost:9/hook")["environment"] == "test"
