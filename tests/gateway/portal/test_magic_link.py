"""Magic-link sign-in against a real gateway (SQLite and PostgreSQL): one answer whatever the
email, single-use hashed tokens that expire, limits per email and per address, the session
cookie's flags, the welcome credit, signing out."""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.envelope import assert_envelope
from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.sign_in import ask_link, outbox, sign_in, token_of, wait_for_link


class Clock:
    def __init__(self, offset_file: Path) -> None:
        self.offset_file = offset_file
        self.offset = 0.0

    def move(self, seconds: float) -> None:
        self.offset += seconds
        self.offset_file.write_text(str(self.offset))
        time.sleep(0.02)  # the gateway re-reads the file when its mtime changes


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gw(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    data_dir = tmp_path_factory.mktemp(f"sign-in-{request.param}")
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    env = {"MG_CLOCK_OFFSET_FILE": str(data_dir / "clock-offset")}
    with running_gateway(data_dir, url, env) as process:
        yield process


@pytest.fixture(autouse=True)
def clock(gw: GatewayProcess) -> Clock:
    """Each test starts past the previous one's link limits (all requests come from 127.0.0.1)."""
    clock = Clock(gw.data_dir / "clock-offset")
    clock.offset = float(clock.offset_file.read_text()) if clock.offset_file.exists() else 0.0
    clock.move(3600)
    return clock


def email() -> str:
    import secrets

    return f"dev-{secrets.token_hex(4)}@studio.example"


def test_a_link_signs_in_once_and_the_new_account_gets_five_dollars(gw: GatewayProcess) -> None:
    who = email()
    signed = sign_in(gw, who)
    assert signed.verify.headers["Location"] == "/portal"
    cookies = signed.verify.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("mg_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session
    assert "Secure" not in session, "no TLS on loopback: a Secure cookie would never come back"

    [developer] = gw.query("SELECT id, tos_accepted_at FROM developers WHERE email = $1", who)
    assert developer["tos_accepted_at"] is None
    [ledger] = gw.query(
        "SELECT SUM(amount_micros) AS total FROM credit_ledger WHERE developer_id = $1", developer["id"]
    )
    assert int(ledger["total"]) == 5_000_000

    keys = signed.client.get("/portal/api/keys")
    assert keys.status_code == 200 and keys.json()["data"] == []

    # The same link again: refused, and the token is stored only as its hash.
    link = outbox(gw.data_dir)[-1]["link"]
    token = token_of(link)
    again = gw.client().get(link.replace(gw.url, ""), follow_redirects=False)
    assert_envelope(again, 401, "INVALID_API_KEY")
    rows = gw.query("SELECT token_hash, used_at FROM magic_links WHERE email = $1", who)
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert rows[0]["used_at"] is not None


def test_the_answer_is_the_same_whether_or_not_the_account_exists(gw: GatewayProcess) -> None:
    known = gw.create_key()["email"]
    unknown = email()
    answers = {who: ask_link(gw, who) for who in (known, unknown)}
    bodies = [r.json() for r in answers.values()]
    assert [r.status_code for r in answers.values()] == [200, 200]
    assert bodies[0] == {**bodies[1], "message": bodies[1]["message"].replace(unknown, known)}
    # Both get a link: an existing account signs in, a new address signs up.
    assert wait_for_link(gw.data_dir, known) and wait_for_link(gw.data_dir, unknown)

    def timings(who: str) -> float:
        samples = []
        for _ in range(4):
            started = time.perf_counter()
            assert ask_link(gw, who).status_code == 200
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    # The same work either way; delivery off the request path is proven with a slow mail server
    # (test_smtp.py). This bound only has to survive a busy machine.
    assert abs(timings(known) - timings(unknown)) < 0.25


def test_a_link_expires_after_fifteen_minutes(gw: GatewayProcess, clock: Clock) -> None:
    who = email()
    seen = len(outbox(gw.data_dir))
    assert ask_link(gw, who).status_code == 200
    link = wait_for_link(gw.data_dir, who, seen)
    clock.move(15 * 60 + 1)
    late = gw.client().get(link.replace(gw.url, ""), follow_redirects=False)
    error = assert_envelope(late, 401, "INVALID_API_KEY")
    assert "expired" in error["message"]


def test_links_are_limited_per_email_and_per_address(gw: GatewayProcess) -> None:
    who = email()
    assert [ask_link(gw, who).status_code for _ in range(5)] == [200] * 5
    limited = ask_link(gw, who)
    error = assert_envelope(limited, 429, "RATE_LIMITED")
    assert int(limited.headers["Retry-After"]) > 0 and error["reset_at"]
    # Other addresses from the same client: 20 links in the window in all, then refused.
    others = [ask_link(gw, email()).status_code for _ in range(15)]
    assert others == [200] * 15
    assert_envelope(ask_link(gw, email()), 429, "RATE_LIMITED")


def test_bad_email_is_the_spec_envelope(gw: GatewayProcess) -> None:
    with gw.client() as client:
        for body in ({"email": "not-an-address"}, {}, {"email": 5}):
            assert_envelope(client.post("/v1/auth/email", json=body), 400, "INVALID_REQUEST")
        assert_envelope(client.get("/v1/auth/verify"), 400, "INVALID_REQUEST")
        assert_envelope(client.get("/v1/auth/verify?token=nope"), 401, "INVALID_API_KEY")


def test_the_cookie_is_secure_when_the_gateway_is_not_on_loopback(gw: GatewayProcess) -> None:
    who = email()
    seen = len(outbox(gw.data_dir))
    ask_link(gw, who)
    link = wait_for_link(gw.data_dir, who, seen)
    with httpx.Client(base_url=gw.url, headers={"Host": "portal.studio.example"}) as client:
        verify = client.get(link.replace(gw.url, ""), follow_redirects=False)
    assert verify.status_code == 303
    session = next(c for c in verify.headers.get_list("set-cookie") if c.startswith("mg_session="))
    assert "Secure" in session and "HttpOnly" in session


def test_changes_need_the_csrf_token_and_sign_out_ends_the_session(gw: GatewayProcess) -> None:
    who = email()
    signed = sign_in(gw, who)
    client = signed.client
    forged = client.post("/portal/api/keys", json={"name": "x"})
    assert_envelope(forged, 403, "PERMISSION_DENIED")
    wrong = client.post("/portal/api/keys", json={"name": "x"}, headers={"X-CSRF-Token": "0" * 64})
    assert_envelope(wrong, 403, "PERMISSION_DENIED")
    made = client.post("/portal/api/keys", json={"name": "ci"}, headers=signed.headers())
    assert made.status_code == 201 and made.json()["key"].startswith("mg_test_")

    out = client.post("/v1/auth/logout", headers=signed.headers())
    assert out.status_code == 200 and out.json()["signed_out"] is True
    # The cookie a client kept after signing out no longer opens anything.
    stale = gw.client()
    stale.cookies.set("mg_session", signed.verify.cookies["mg_session"])
    assert_envelope(stale.get("/portal/api/keys"), 401, "INVALID_API_KEY")
    [row] = gw.query(
        "SELECT s.ended_at FROM portal_sessions s JOIN developers d ON d.id = s.developer_id"
        " WHERE d.email = $1",
        who,
    )
    assert row["ended_at"] is not None


def test_a_magic_link_developer_accepts_the_terms_before_using_the_api(gw: GatewayProcess) -> None:
    signed = sign_in(gw, email())
    made = signed.client.post("/portal/api/keys", json={"name": "game"}, headers=signed.headers())
    key = made.json()["key"]
    chat = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hello"}]}
    with gw.client(key) as client:
        refused = client.post("/v1/chat/completions", json=chat)
        error = assert_envelope(refused, 403, "TOS_REQUIRED")
        assert "/v1/auth/tos" in error["remediation"]
        assert client.get("/v1/whoami").json()["tos_accepted"] is False
        # The key itself may accept (a script's way); the session's way is the portal's checkbox.
        accepted = client.post("/v1/auth/tos")
        assert accepted.status_code == 200 and accepted.json()["accepted"] is True
        served = client.post("/v1/chat/completions", json=chat)
        assert served.status_code == 200, served.text
        assert client.get("/v1/whoami").json()["tos_accepted"] is True


def test_operator_made_developers_count_as_accepted(gw: GatewayProcess) -> None:
    made = gw.admin("create-key", "--email", email())
    chat = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hello"}]}
    with gw.client(made["api_key"]) as client:
        assert client.post("/v1/chat/completions", json=chat).status_code == 200
        assert client.get("/v1/whoami").json()["tos_accepted"] is True


def test_an_existing_developer_signs_in_to_their_account_without_a_second_grant(gw: GatewayProcess) -> None:
    made = gw.create_key()
    signed = sign_in(gw, made["email"].upper())  # addresses are compared without case
    [key] = signed.client.get("/portal/api/keys").json()["data"]
    assert key["id"] == made["key_id"]
    [ledger] = gw.query(
        "SELECT COUNT(*) AS grants FROM credit_ledger WHERE developer_id = $1 AND amount_micros > 0",
        made["developer_id"],
    )
    assert int(ledger["grants"]) == 1


def test_a_session_lasts_seven_days(gw: GatewayProcess, clock: Clock) -> None:
    signed = sign_in(gw, email())
    clock.move(7 * 86_400 - 60)
    assert signed.client.get("/portal/api/keys").status_code == 200
    clock.move(120)
    assert_envelope(signed.client.get("/portal/api/keys"), 401, "INVALID_API_KEY")
    page = signed.client.get("/portal")
    assert "id='send-link'" in page.text, "an expired session sees the sign-in form"
