"""`mg keys list|create|rotate|revoke|health` and `mg tokens list|create|revoke`: the real CLI
against a real gateway, one new developer account per test."""

from __future__ import annotations

from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import run_mg


def env_for(gateway: GatewayProcess, key: str) -> dict[str, str]:
    return {"MG_BASE_URL": gateway.url, "MG_API_KEY": key}


def test_create_list_and_revoke_a_key(sqlite_gateway: GatewayProcess) -> None:
    account = sqlite_gateway.create_key()
    env = env_for(sqlite_gateway, account["api_key"])
    made = run_mg("keys", "create", "--name", "ci", **env)
    assert made.code == 0, made
    new_key = made.out.strip()
    assert new_key.startswith("mg_test_") and len(made.out.splitlines()) == 1, "stdout is the key alone"
    assert "shown this once" in made.err and "Created key_" in made.err
    listed = run_mg("keys", "list", **env)
    rows = [line.split("\t") for line in listed.out.splitlines()]
    assert [r[1] for r in rows] == ["ci", ""] and rows[1][0] == f"{account['key_id']} (this one)"
    assert rows[0][2].endswith(new_key[-4:]) and rows[0][4:7] == ["active", "healthy", "0d"]
    assert new_key not in listed.out
    as_json = run_mg("keys", "--json", **env).json()  # the group defaults to list
    new_id = as_json[0]["id"]
    assert [k["status"] for k in as_json] == ["active", "active"]
    assert run_mg("whoami", "--json", **env_for(sqlite_gateway, new_key)).code == 0
    revoked = run_mg("keys", "revoke", new_id, **env)
    assert revoked.code == 0 and f"Revoked {new_id}" in revoked.err
    refused = run_mg("whoami", **env_for(sqlite_gateway, new_key))
    assert refused.code == 3 and refused.err.startswith("error:") and "Traceback" not in refused.err
    missing = run_mg("keys", "revoke", "key_nosuchkey", **env)
    assert missing.code == 4 and missing.err.count("\n") <= 2, missing


def test_another_accounts_key_is_not_found(sqlite_gateway: GatewayProcess) -> None:
    mine, theirs = sqlite_gateway.create_key(), sqlite_gateway.create_key()
    refused = run_mg("keys", "revoke", theirs["key_id"], **env_for(sqlite_gateway, mine["api_key"]))
    assert refused.code == 4, refused
    assert run_mg("whoami", **env_for(sqlite_gateway, theirs["api_key"])).code == 0


def test_rotate_stores_the_new_key_in_the_profile(sqlite_gateway: GatewayProcess) -> None:
    account = sqlite_gateway.create_key()
    login = run_mg("login", "--with-token", "--base-url", sqlite_gateway.url, "--profile", "dev",
                   "--default", input=account["api_key"] + "\n")  # fmt: skip
    assert login.code == 0, login
    rotated = run_mg("keys", "rotate", "--grace-hours", "0", "--json")
    assert rotated.code == 0, rotated
    body = rotated.json()
    assert body["replaces"] == account["key_id"] and body["saved_to_profile"] == "dev"
    who = run_mg("whoami", "--json").json()
    assert who["key_id"] == body["id"] and who["key_source"] == "keyring"
    old = run_mg("whoami", **env_for(sqlite_gateway, account["api_key"]))
    assert old.code == 3 and "rotated" in old.err, old
    kept = run_mg("keys", "rotate", "--no-save")
    assert kept.code == 0, kept
    assert kept.out.strip().startswith("mg_test_") and "old key works until" in kept.err
    assert "Not stored (--no-save): profile 'dev' keeps the old key" in kept.err
    assert run_mg("whoami", "--json").json()["key_id"] == body["id"], "--no-save leaves the profile"


def test_rotating_a_key_from_the_environment_says_it_was_not_stored(sqlite_gateway: GatewayProcess) -> None:
    account = sqlite_gateway.create_key()
    rotated = run_mg("keys", "rotate", **env_for(sqlite_gateway, account["api_key"]))
    assert rotated.code == 0, rotated
    assert "Not stored: update MG_API_KEY" in rotated.err
    too_long = run_mg("keys", "rotate", "--grace-hours", "200", **env_for(sqlite_gateway, account["api_key"]))
    assert too_long.code == 2 and "168" in too_long.err


def test_health_lists_every_key_with_advice(sqlite_gateway: GatewayProcess) -> None:
    account = sqlite_gateway.create_key()
    env = env_for(sqlite_gateway, account["api_key"])
    assert run_mg("keys", "create", "--live", **env).code == 0
    shown = run_mg("keys", "health", **env)
    rows = [line.split("\t") for line in shown.out.splitlines()]
    assert sorted(r[2] for r in rows) == ["live", "test"] and {r[4] for r in rows} == {"healthy"}
    report = run_mg("keys", "health", "--json", **env).json()
    assert report["key_id"] == account["key_id"] and report["status"] == "healthy"
    assert [p["status"] for p in report["policy"]][:2] == ["healthy", "aging"]


def test_tokens_create_list_and_revoke(sqlite_gateway: GatewayProcess) -> None:
    account = sqlite_gateway.create_key()
    env = env_for(sqlite_gateway, account["api_key"])
    assert "No tokens yet" in run_mg("tokens", **env).err
    made = run_mg("tokens", "create", "--name", "laptop", **env)
    assert made.code == 0, made
    token = made.out.strip()
    assert token.startswith("mg_pat_") and "shown this once" in made.err
    listed = run_mg("tokens", "list", "--json", **env).json()
    assert [t["name"] for t in listed] == ["laptop"] and token not in str(listed)
    as_token = run_mg("keys", "list", **env_for(sqlite_gateway, token))
    assert as_token.code == 0 and account["key_id"] in as_token.out and "(this one)" not in as_token.out
    assert run_mg("tokens", "revoke", listed[0]["id"], **env).code == 0
    assert run_mg("keys", "list", **env_for(sqlite_gateway, token)).code == 3
    assert "\t" in run_mg("tokens", "list", **env).out, "a revoked token is still listed"
