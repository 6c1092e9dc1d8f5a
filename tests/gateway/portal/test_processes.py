"""Two gateway processes sharing PostgreSQL and Redis: a session opened on one works on the
other, accepting the terms on one lifts TOS_REQUIRED on the other at once (not after its 5 s key
cache), and signing out on one ends the session on both."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from tests.support.envelope import assert_envelope
from tests.support.gateway_process import create_pg_database, drop_pg_database, running_gateway
from tests.support.sign_in import sign_in

CHAT = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hello"}]}


def test_sign_in_terms_and_sign_out_reach_every_process(tmp_path: Path) -> None:
    url = create_pg_database()
    redis = {"MG_REDIS_URL": "redis://127.0.0.1:6379/0", "MG_REDIS_PREFIX": f"t{secrets.token_hex(4)}:"}
    try:
        with (
            running_gateway(tmp_path / "a", url, redis) as a,
            running_gateway(tmp_path / "b", url, redis) as b,
        ):
            signed = sign_in(a, "two@studio.example")
            key = signed.client.post("/portal/api/keys", json={}, headers=signed.headers()).json()["key"]
            cookies = {"mg_session": signed.client.cookies["mg_session"], "mg_csrf": signed.csrf}
            with b.client(key) as on_b, b.client(cookies=cookies) as session_on_b:
                assert session_on_b.get("/portal/api/keys").status_code == 200
                assert_envelope(on_b.post("/v1/chat/completions", json=CHAT), 403, "TOS_REQUIRED")
                accepted = signed.client.post("/v1/auth/tos", headers=signed.headers())
                assert accepted.status_code == 200
                deadline = time.monotonic() + 2.0
                status = on_b.post("/v1/chat/completions", json=CHAT).status_code
                while status == 403 and time.monotonic() < deadline:
                    time.sleep(0.05)
                    status = on_b.post("/v1/chat/completions", json=CHAT).status_code
                assert status == 200

                assert signed.client.post("/v1/auth/logout", headers=signed.headers()).status_code == 200
                assert_envelope(session_on_b.get("/portal/api/keys"), 401, "INVALID_API_KEY")
    finally:
        drop_pg_database(url)
