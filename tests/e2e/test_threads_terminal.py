"""`mg threads rm` in a real terminal (pexpect): it asks there, and only there."""

from __future__ import annotations

import os

from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import ROOT, mg_executable
from tests.support.terminal import Terminal, terminal_env


def test_rm_asks_on_a_terminal_unless_yes(sqlite_gateway: GatewayProcess) -> None:
    key = sqlite_gateway.create_key(tier="studio")["api_key"]
    with sqlite_gateway.client(key) as http:
        thread_id = http.post("/v1/threads", json={"npc_id": "old_guard", "player_id": "p1"}).json()["id"]

        def exists() -> bool:
            return http.get(f"/v1/threads/{thread_id}").status_code == 200

        env = terminal_env(os.environ)
        env.update(MG_BASE_URL=sqlite_gateway.url, MG_API_KEY=key, PYTHONPATH=str(ROOT))

        def rm(*args: str) -> Terminal:
            return Terminal.spawn([mg_executable(), "threads", "rm", thread_id, *args], env)

        declined = rm()
        try:
            declined.expect(rf"Delete thread {thread_id} \(old_guard, player p1, 0 messages\)\? \[y/N\]")
            declined.send_line("n")
            declined.expect("Nothing deleted.")
            assert declined.wait() == 0
        finally:
            declined.close()
        assert exists()

        confirmed = rm("--yes")
        try:
            confirmed.expect(f"Deleted thread {thread_id}")
            assert confirmed.wait() == 0
            assert "[y/N]" not in confirmed.log.getvalue()
        finally:
            confirmed.close()
        assert not exists()
