"""Key lifecycle over HTTP: create, list, rotate with a grace period, revoke at once, personal
access tokens, the rotation health policy, last-used dates, and one developer never reaching
another's keys (SQLite and PostgreSQL; revocation across two processes through Redis)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.envelope import assert_envelope
from tests.support.gateway_process import (
    GatewayProcess,
    create_pg_database,
    drop_pg_database,
    running_gateway,
)

DAY = 86_400


class Gateway:
    def __init__(self, process: GatewayProcess, offset_file: Path) -> None:
        self.process = process
        self.offset_file = offset_file

    def move_clock(self, seconds: float) -> None:
        self.offset_file.write_text(str(seconds))
        # The clock re-reads the file when its mtime changes; make sure the change is seen.
        time.sleep(0.02)

    def call(self, key: str, method: str, path: str, **kwargs: Any) -> Any:
        with self.process.client(key) as client:
            return client.request(method, path, **kwargs)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gw(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = tmp_path_factory.mktemp(f"keys-{request.param}")
    offset = data_dir / "clock-offset"
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    with running_gateway(data_dir, url, {"MG_CLOCK_OFFSET_FILE": str(offset)}) as process:
        yield Gateway(process, offset)


@pytest.fixture
def clock(gw: Gateway) -> Iterator[Gateway]:
    gw.move_clock(0)
    try:
        yield gw
    finally:
        gw.move_clock(0)


def whoami(gw: Gateway, key: str) -> int:
    return int(gw.call(key, "GET", "/v1/whoami").status_code)


def test_create_and_list_newest_first(gw: Gateway) -> None:
    owner = gw.process.create_key()
    made = gw.call(owner["api_key"], "POST", "/portal/api/keys", json={"name": "ci", "environment": "live"})
    assert made.status_code == 201
    body = made.json()
    assert body["key"].startswith("mg_live_") and body["environment"] == "live" and body["name"] == "ci"
    assert body["status"] == "active" and body["health"] == "healthy" and body["age_days"] == 0
    assert whoami(gw, body["key"]) == 200

    listed = gw.call(owner["api_key"], "GET", "/portal/api/keys").json()["data"]
    assert [k["id"] for k in listed] == [body["id"], owner["key_id"]]
    assert all("key" not in k for k in listed), "a plain key is shown once, at creation"
    assert listed[0]["display"] == f"{body['key'][:12]}…{body['key'][-4:]}"

    # An empty body takes the defaults: a test key with no name.
    default = gw.call(owner["api_key"], "POST", "/portal/api/keys").json()
    assert default["key"].startswith("mg_test_") and default["name"] is None


def test_rotation_keeps_the_old_key_for_its_grace_period(clock: Gateway) -> None:
    owner = clock.process.create_key()
    old = owner["api_key"]
    rotated = clock.call(old, "POST", "/portal/api/keys/rotate", json={})
    assert rotated.status_code == 201
    new = rotated.json()
    assert new["replaces"] == owner["key_id"] and new["key"] != old
    assert new["old_key_expires_at"] is not None
    assert whoami(clock, new["key"]) == 200 and whoami(clock, old) == 200

    states = {k["id"]: k for k in clock.call(new["key"], "GET", "/portal/api/keys").json()["data"]}
    assert states[owner["key_id"]]["status"] == "expiring"
    assert states[owner["key_id"]]["replaced_by"] == new["id"]

    clock.move_clock(23 * 3600)
    assert whoami(clock, old) == 200, "still inside the default 24 h grace"
    clock.move_clock(24 * 3600 + 5)
    refused = clock.call(old, "GET", "/v1/whoami")
    error = assert_envelope(refused, 401, "INVALID_API_KEY")
    assert "rotated" in error["message"]
    assert whoami(clock, new["key"]) == 200
    states = {k["id"]: k for k in clock.call(new["key"], "GET", "/portal/api/keys").json()["data"]}
    assert states[owner["key_id"]]["status"] == "expired"


def test_rotation_with_no_grace_and_of_another_key(gw: Gateway) -> None:
    owner = gw.process.create_key()
    other = gw.call(owner["api_key"], "POST", "/portal/api/keys", json={"name": "build"}).json()
    rotated = gw.call(
        owner["api_key"], "POST", "/portal/api/keys/rotate", json={"key_id": other["id"], "grace_hours": 0}
    ).json()
    assert rotated["name"] == "build" and rotated["replaces"] == other["id"]
    assert_envelope(gw.call(other["key"], "GET", "/v1/whoami"), 401, "INVALID_API_KEY")
    assert whoami(gw, rotated["key"]) == 200
    # A key already replaced and expired cannot be rotated again.
    again = gw.call(owner["api_key"], "POST", "/portal/api/keys/rotate", json={"key_id": other["id"]})
    assert_envelope(again, 404, "NOT_FOUND")


def test_revocation_is_immediate(gw: Gateway) -> None:
    owner = gw.process.create_key()
    spare = gw.call(owner["api_key"], "POST", "/portal/api/keys").json()
    assert whoami(gw, spare["key"]) == 200  # now in the auth cache
    revoked = gw.call(owner["api_key"], "DELETE", f"/portal/api/keys/{spare['id']}")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert_envelope(gw.call(spare["key"], "GET", "/v1/whoami"), 401, "INVALID_API_KEY")
    # Revoking the calling key itself is allowed, and takes effect on the next request.
    assert gw.call(owner["api_key"], "DELETE", f"/portal/api/keys/{owner['key_id']}").status_code == 200
    assert_envelope(gw.call(owner["api_key"], "GET", "/v1/whoami"), 401, "INVALID_API_KEY")


def test_one_developer_never_reaches_anothers_keys(gw: Gateway) -> None:
    alice, bob = gw.process.create_key(), gw.process.create_key()
    listed = gw.call(bob["api_key"], "GET", "/portal/api/keys").json()["data"]
    assert alice["key_id"] not in {k["id"] for k in listed}
    for method, path, body in [
        ("POST", "/portal/api/keys/rotate", {"key_id": alice["key_id"]}),
        ("DELETE", f"/portal/api/keys/{alice['key_id']}", None),
        ("DELETE", f"/portal/api/tokens/{alice['key_id']}", None),
    ]:
        answer = gw.call(bob["api_key"], method, path, json=body)
        assert_envelope(answer, 404, "NOT_FOUND")
    assert whoami(gw, alice["api_key"]) == 200, "nothing happened to Alice's key"


def test_personal_access_tokens(gw: Gateway) -> None:
    owner = gw.process.create_key()
    made = gw.call(owner["api_key"], "POST", "/portal/api/tokens", json={"name": "dashboard"})
    assert made.status_code == 201
    token = made.json()
    assert token["token"].startswith("mg_pat_") and token["object"] == "personal_access_token"
    # A PAT acts as the developer's account.
    me = gw.call(token["token"], "GET", "/v1/whoami")
    assert me.status_code == 200
    keys = gw.call(token["token"], "GET", "/portal/api/keys").json()["data"]
    assert [k["id"] for k in keys] == [owner["key_id"]], "PATs are not listed as API keys"
    # With a PAT, the key to rotate must be named.
    assert_envelope(gw.call(token["token"], "POST", "/portal/api/keys/rotate"), 400, "INVALID_REQUEST")
    tokens = gw.call(owner["api_key"], "GET", "/portal/api/tokens").json()["data"]
    assert [t["id"] for t in tokens] == [token["id"]] and "token" not in tokens[0]
    # A PAT id is not a key id, and the other way round.
    assert_envelope(gw.call(owner["api_key"], "DELETE", f"/portal/api/keys/{token['id']}"), 404, "NOT_FOUND")
    gone = gw.call(owner["api_key"], "DELETE", f"/portal/api/tokens/{token['id']}")
    assert gone.status_code == 200 and gone.json()["revoked_at"] is not None
    assert_envelope(gw.call(token["token"], "GET", "/v1/whoami"), 401, "INVALID_API_KEY")


def test_health_follows_the_rotation_policy(clock: Gateway) -> None:
    owner = clock.process.create_key()
    key = owner["api_key"]
    for days, status in [(0, "healthy"), (89, "healthy"), (100, "aging"), (179, "aging"), (200, "stale")]:
        clock.move_clock(days * DAY + 60)
        health = clock.call(key, "GET", "/v1/keys/health").json()
        assert (health["status"], health["age_days"]) == (status, days), days
        assert health["key_id"] == owner["key_id"]
        assert [k["status"] for k in health["keys"]] == [status]
        assert health["recommendation"]
    assert [p["status"] for p in health["policy"]] == ["healthy", "aging", "stale"]


def test_last_used_is_recorded_off_the_request_path(gw: Gateway) -> None:
    owner = gw.process.create_key()
    before = gw.call(owner["api_key"], "GET", "/portal/api/keys").json()["data"][0]
    # The listing request itself was a use: within the flush interval (≤ 5 s) the date appears.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        listed = gw.call(owner["api_key"], "GET", "/portal/api/keys").json()["data"][0]
        if listed["last_used_at"] is not None:
            break
        time.sleep(0.5)
    assert before["id"] == listed["id"]
    assert listed["last_used_at"] is not None


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("/portal/api/keys", {"environment": "prod"}, "'environment'"),
        ("/portal/api/keys", {"name": 5}, "'name'"),
        ("/portal/api/keys", {"scopes": ["all"]}, "Unknown field 'scopes'"),
        ("/portal/api/keys", [1, 2], "JSON object"),
        ("/portal/api/keys/rotate", {"grace_hours": -1}, "'grace_hours'"),
        ("/portal/api/keys/rotate", {"grace_hours": 1000}, "'grace_hours'"),
        ("/portal/api/keys/rotate", {"grace_hours": "1"}, "'grace_hours'"),
        ("/portal/api/keys/rotate", {"key_id": 7}, "'key_id'"),
        ("/portal/api/tokens", {"name": "x" * 201}, "'name'"),
    ],
)
def test_bad_bodies(gw: Gateway, path: str, body: Any, needle: str) -> None:
    owner = gw.process.create_key()
    error = assert_envelope(gw.call(owner["api_key"], "POST", path, json=body), 400, "INVALID_REQUEST")
    assert needle in error["message"]
    assert whoami(gw, owner["api_key"]) == 200, "a refused rotation changes nothing"


def test_not_json(gw: Gateway) -> None:
    owner = gw.process.create_key()
    answer = gw.call(owner["api_key"], "POST", "/portal/api/keys", content=b"{nope")
    assert_envelope(answer, 400, "INVALID_REQUEST")


def test_key_routes_need_a_key(gw: Gateway) -> None:
    with gw.process.client() as client:
        for method, path in [("GET", "/portal/api/keys"), ("POST", "/portal/api/keys/rotate"),
                             ("GET", "/portal/api/tokens"), ("GET", "/v1/keys/health")]:  # fmt: skip
            assert_envelope(client.request(method, path), 401, "INVALID_API_KEY")


@pytest.mark.postgres
def test_revocation_reaches_every_process_through_redis(tmp_path: Path) -> None:
    url = create_pg_database()
    redis = {"MG_REDIS_URL": "redis://127.0.0.1:6379/0", "MG_REDIS_PREFIX": f"t{secrets.token_hex(4)}:"}
    try:
        with (
            running_gateway(tmp_path / "a", url, redis) as a,
            running_gateway(tmp_path / "b", url, redis) as b,
        ):
            owner = a.create_key()
            spare = a.client(owner["api_key"]).post("/portal/api/keys").json()
            with b.client(spare["key"]) as on_b:
                assert on_b.get("/v1/whoami").status_code == 200  # B caches the key for 5 s
                with a.client(owner["api_key"]) as on_a:
                    assert on_a.delete(f"/portal/api/keys/{spare['id']}").status_code == 200
                # Without the announcement B would keep serving the key from its cache for up
                # to 5 s; the pub/sub message drops it at once (allow for a loaded machine).
                deadline = time.monotonic() + 2.0
                status = on_b.get("/v1/whoami").status_code
                while status == 200 and time.monotonic() < deadline:
                    time.sleep(0.05)
                    status = on_b.get("/v1/whoami").status_code
                assert status == 401
    finally:
        drop_pg_database(url)
