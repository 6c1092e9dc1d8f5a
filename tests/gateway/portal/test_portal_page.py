"""/portal over HTTP against a real gateway: the signed-out page, forms that need the session's
CSRF token, keys made, rotated and revoked through the forms and through /portal/api with the
cookie, another developer's keys out of reach, escaping, and the usage chart."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest

from local_gateway.api.portal_html import usage_chart
from tests.support.envelope import assert_envelope
from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.sign_in import SignedIn, outbox, sign_in, wait_for_link


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with running_gateway(tmp_path_factory.mktemp("gw-portal-page")) as process:
        yield process


def email() -> str:
    return f"dev-{secrets.token_hex(4)}@studio.example"


def form(signed: SignedIn, **fields: str) -> dict[str, str]:
    return {"csrf_token": signed.csrf, **fields}


def shown_key(page: str) -> str:
    [key] = re.findall(r"<code id='new-key-value'>([^<]+)</code>", page)
    return key


def whoami(gw: GatewayProcess, key: str) -> int:
    with gw.client(key) as client:
        return client.get("/v1/whoami").status_code


def test_signed_out_the_portal_offers_a_link(gw: GatewayProcess) -> None:
    with gw.client() as client:
        page = client.get("/portal")
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert "action='/portal/sign-in'" in page.text and page.headers["Cache-Control"] == "no-store"
        who = email()
        seen = len(outbox(gw.data_dir))
        sent = client.post("/portal/sign-in", data={"email": who})
        assert sent.status_code == 200 and "link is on its way" in sent.text
        assert wait_for_link(gw.data_dir, who, seen)
        bad = client.post("/portal/sign-in", data={"email": "nope"})
        assert bad.status_code == 400 and "id='error'" in bad.text


def test_forms_need_the_sessions_csrf_token(gw: GatewayProcess) -> None:
    signed = sign_in(gw, email())
    assert_envelope(signed.client.post("/portal/keys", data={"name": "x"}), 403, "PERMISSION_DENIED")
    other = sign_in(gw, email())
    forged = signed.client.post("/portal/keys", data={"name": "x", "csrf_token": other.csrf})
    assert_envelope(forged, 403, "PERMISSION_DENIED")
    assert signed.client.get("/portal/api/keys").json()["data"] == []


def test_keys_through_the_forms(gw: GatewayProcess) -> None:
    signed = sign_in(gw, email())
    client = signed.client
    accepted = client.post("/portal/tos", data=form(signed, accept="yes"), follow_redirects=False)
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/portal"
    assert "id='tos'" not in client.get("/portal").text

    made = client.post("/portal/keys", data=form(signed, name="<script>x</script>", environment="live"))
    assert made.status_code == 200
    key = shown_key(made.text)
    assert key.startswith("mg_live_") and whoami(gw, key) == 200
    assert "<script>x</script>" not in made.text and "&lt;script&gt;x&lt;/script&gt;" in made.text
    [listed] = client.get("/portal/api/keys").json()["data"]

    rotated = client.post(f"/portal/keys/{listed['id']}/rotate", data=form(signed))
    new_key = shown_key(rotated.text)
    assert new_key != key and "id='old-key-expiry'" in rotated.text
    assert whoami(gw, key) == 200 and whoami(gw, new_key) == 200, "24 h of grace by default"

    [fresh] = [k for k in client.get("/portal/api/keys").json()["data"] if k["status"] == "active"]
    revoked = client.post(f"/portal/keys/{fresh['id']}/revoke", data=form(signed), follow_redirects=False)
    assert revoked.status_code == 303 and whoami(gw, new_key) == 401


def test_the_api_routes_take_the_cookie_and_its_csrf_header(gw: GatewayProcess) -> None:
    signed = sign_in(gw, email())
    made = signed.client.post("/portal/api/keys", json={"name": "api"}, headers=signed.headers())
    rotated = signed.client.post(
        "/portal/api/keys/rotate", json={"key_id": made.json()["id"]}, headers=signed.headers()
    )
    assert rotated.status_code == 201 and rotated.json()["replaces"] == made.json()["id"]
    tokens = signed.client.post("/portal/api/tokens", json={"name": "ci"}, headers=signed.headers())
    assert tokens.status_code == 201 and tokens.json()["token"].startswith("mg_pat_")


def test_another_developers_key_is_out_of_reach(gw: GatewayProcess) -> None:
    owner = gw.create_key()
    intruder = sign_in(gw, email())
    for action in ("rotate", "revoke"):
        answer = intruder.client.post(f"/portal/keys/{owner['key_id']}/{action}", data=form(intruder))
        assert_envelope(answer, 404, "NOT_FOUND")
    assert whoami(gw, owner["api_key"]) == 200
    assert owner["key_id"] not in intruder.client.get("/portal").text


def test_the_usage_chart_draws_each_day_to_scale() -> None:
    days = [
        {"date": "2026-12-01", "cost_usd": 0.0, "requests": 0},
        {"date": "2026-12-02", "cost_usd": 0.5, "requests": 3},
        {"date": "2026-12-03", "cost_usd": 1.0, "requests": 9},
    ]
    svg = usage_chart(days, width=300, height=120)
    heights = [float(h) for h in re.findall(r"height='([\d.]+)' fill", svg)]
    assert heights == [0.0, 50.0, 100.0]
    assert "2026-12-03: $1.000000, 9 requests" in svg and "highest day $1.00" in svg
    assert "no spend yet" in usage_chart([dict(d, cost_usd=0.0) for d in days])
