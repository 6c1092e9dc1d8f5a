"""Every command as a user runs it: a new `mg` process against a real gateway, `--json` checked.

Each test has its own temporary home (so its own config and keyring file); the gateway is
shared by the module. Its ``deepseek`` provider is a local stand-in, so a live key's request
can be seen as the upstream received it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.debugfiles import FIXTURES
from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import run_mg
from tests.support.slow_upstream import SlowUpstream, gateway_with_upstream

ANSI = re.compile(r"\x1b\[")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, SlowUpstream]]:
    with gateway_with_upstream(tmp_path_factory.mktemp("gw-cli"), words=6, delay=0.0) as pair:
        yield pair


@pytest.fixture(scope="module")
def gateway(stack: tuple[GatewayProcess, SlowUpstream]) -> GatewayProcess:
    return stack[0]


@pytest.fixture(scope="module")
def upstream(stack: tuple[GatewayProcess, SlowUpstream]) -> SlowUpstream:
    return stack[1]


@pytest.fixture(scope="module")
def test_key(gateway: GatewayProcess) -> str:
    return gateway.create_key(tier="studio")["api_key"]


@pytest.fixture(scope="module")
def live_key(gateway: GatewayProcess) -> str:
    return gateway.create_key(tier="studio", live=True)["api_key"]


@pytest.fixture
def env(gateway: GatewayProcess, test_key: str) -> dict[str, str]:
    return {"MG_BASE_URL": gateway.url, "MG_API_KEY": test_key}


def clean(result: object) -> None:
    """What every command owes a script: no colour codes off a terminal, no traceback."""
    text = f"{result.out}{result.err}"  # type: ignore[attr-defined]
    assert not ANSI.search(text), f"colour codes off a terminal:\n{result}"
    assert "Traceback" not in text, str(result)


# --- commands, each with --json -----------------------------------------------------------------


def test_whoami(env: dict[str, str], gateway: GatewayProcess) -> None:
    result = run_mg("whoami", "--json", **env)
    assert result.code == 0, result
    who = result.json()
    assert who["profile"] == "local" and who["base_url"] == gateway.url and who["key_source"] == "env"
    assert who["tier"] == "studio" and who["environment"] == "test" and who["key_id"].startswith("key_")
    clean(result)


def test_global_options_before_the_command(gateway: GatewayProcess, test_key: str) -> None:
    result = run_mg("--base-url", gateway.url, "--api-key", test_key, "whoami", "--json")
    assert result.code == 0, result
    assert (result.json()["key_source"], result.json()["base_url"]) == ("flag", gateway.url)


def test_models_list_and_its_default(env: dict[str, str]) -> None:
    result = run_mg("models", "list", "--json", **env)
    assert result.code == 0, result
    models = result.json()
    assert {"id": "deepseek-chat"}.items() <= next(m for m in models if m["id"] == "deepseek-chat").items()
    assert all({"id", "owned_by"} <= m.keys() for m in models)
    assert run_mg("models", "--json", **env).json() == models, "`mg models` is `mg models list`"
    table = run_mg("models", **env)
    assert "deepseek-chat\tdeepseek" in table.out.splitlines(), "piped tables are tab-separated"
    clean(table)


def test_models_catalog_needs_no_key(gateway: GatewayProcess) -> None:
    result = run_mg("models", "catalog", "--json", MG_BASE_URL=gateway.url)
    assert result.code == 0, result
    models = {m["id"]: m for m in result.json()}
    assert models["claude-opus-4-6"]["tier_minimum"] != "free"
    assert {"input_per_1m", "output_per_1m"} <= models["deepseek-chat"]["pricing"].keys()


def test_npc_templates_need_no_key(gateway: GatewayProcess) -> None:
    public = {"MG_BASE_URL": gateway.url}
    result = run_mg("npc", "templates", "--json", **public)
    assert result.code == 0, result
    listed = result.json()
    assert {t["id"] for t in listed} == {"merchant", "quest_giver", "guard", "villain", "healer", "companion"}
    assert all({"id", "name", "tags", "description", "response_style"} <= t.keys() for t in listed)
    assert run_mg("npc", "--json", **public).json() == listed, "`mg npc` is `mg npc templates`"
    trade = run_mg("npc", "templates", "--tags", "rpg,trade", "--json", **public).json()
    assert [t["id"] for t in trade] == ["merchant"], "every tag must match"
    table = run_mg("npc", "templates", **public)
    assert table.out.splitlines()[0].split("\t")[:2] == ["companion", "Companion"]
    clean(table)

    merchant = run_mg("npc", "template", "merchant", "--json", **public).json()
    assert merchant["system_prompt"].startswith("You are a merchant")
    assert [a["name"] for a in merchant["actions"]] == ["offer_trade", "open_shop"]
    assert merchant["response_style"] == "normal" and merchant["example"]["player"]
    shown = run_mg("npc", "template", "merchant", **public)
    assert "System prompt:\nYou are a merchant" in shown.out
    assert "offer_trade\titem_id, price, currency?\tPresent an item" in shown.out, "optional arguments: ?"
    assert "player: What do you have for sale?" in shown.out
    clean(shown)
    missing = run_mg("npc", "template", "wizard", **public)
    assert missing.code == 4 and "wizard" in missing.err


def test_chat_one_shot_streams_plain_text(env: dict[str, str]) -> None:
    result = run_mg("chat", "Got any swords?", **env)
    assert result.code == 0, result
    assert result.out.strip() and result.out.endswith("\n")
    clean(result)


def test_chat_json_prints_the_completion_object(env: dict[str, str]) -> None:
    result = run_mg("chat", "--json", "--npc", "blacksmith_01", "--template", "merchant", "hi", **env)
    assert result.code == 0, result
    completion = result.json()
    assert completion["object"] == "chat.completion" and completion["id"].startswith("chatcmpl-")
    assert completion["choices"][0]["message"]["role"] == "assistant"
    assert completion["usage"]["total_tokens"] > 0


def test_chat_sends_piped_input_and_flags_upstream(
    gateway: GatewayProcess, live_key: str, upstream: SlowUpstream
) -> None:
    result = run_mg(
        "chat", "review this", "--system", "You are terse.", "--temperature", "0.3", "--max-tokens", "50",
        input="diff --git a/x b/x\n+sword\n", MG_BASE_URL=gateway.url, MG_API_KEY=live_key,
    )  # fmt: skip
    assert result.code == 0, result
    assert result.out.split() == upstream.text().split(), "the upstream's reply, token by token"
    body = upstream.requests[-1]
    assert body["messages"][0] == {"role": "system", "content": "You are terse."}
    assert body["messages"][-1] == {"role": "user", "content": "review this\n\ndiff --git a/x b/x\n+sword"}
    assert body["temperature"] == 0.3 and body["max_tokens"] == 50


def test_profiles_login_whoami_logout(gateway: GatewayProcess, test_key: str) -> None:
    added = run_mg("profiles", "add", "lan", "--base-url", gateway.url + "/v1", "--json")
    assert added.code == 0, added
    assert added.json() == {
        "name": "lan",
        "base_url": gateway.url,
        "credential": None,
        "model": None,
        "default": True,
        "active": True,
    }
    login = run_mg("login", "--with-token", "--profile", "lan", "--json", input=test_key + "\n")
    assert login.code == 0, login
    assert login.json()["credential"] == "keyring" and login.json()["tier"] == "studio"
    who = run_mg("whoami", "--json")
    assert who.code == 0, who
    assert (who.json()["profile"], who.json()["key_source"]) == ("lan", "keyring")
    listed = run_mg("profiles", "list", "--json").json()
    assert {p["name"]: p["credential"] for p in listed} == {"lan": "keyring", "local": None}
    assert run_mg("profiles").out.splitlines()[0].split("\t")[0] == "lan", "piped: names first, no header"
    used = run_mg("profiles", "use", "local", "--json")
    assert used.code == 0 and used.json()["default"] is True
    out = run_mg("logout", "--profile", "lan", "--json")
    assert out.json() == {"profile": "lan", "removed": True}
    denied = run_mg("whoami", "--profile", "lan")
    assert denied.code == 3 and "mg login --profile lan" in denied.err
    removed = run_mg("profiles", "remove", "lan", "--json")
    assert removed.code == 0 and removed.json()["removed"] is True
    assert run_mg("profiles", "use", "lan").code == 4
    clean(denied)


def test_login_rejects_a_bad_key_and_stores_nothing(gateway: GatewayProcess) -> None:
    result = run_mg("login", "--with-token", "--base-url", gateway.url, input="mg_test_" + "x" * 32)
    assert result.code == 3, result
    assert "INVALID_API_KEY" in result.err
    assert run_mg("profiles", "list", "--json").json()[0]["credential"] is None
    not_a_key = run_mg("login", "--with-token", "--base-url", gateway.url, input="sk-openai-key")
    assert not_a_key.code == 2 and "mg_live_" in not_a_key.err


def test_login_never_waits_for_input_without_a_terminal() -> None:
    result = run_mg("login")
    assert result.code == 2 and "--with-token" in result.err


def test_without_a_keyring_the_key_goes_to_a_private_file_said_once(
    gateway: GatewayProcess, test_key: str
) -> None:
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    login = run_mg("login", "--with-token", "--base-url", gateway.url, input=test_key, **no_keyring)
    assert login.code == 0, login
    assert "credentials.toml (readable only by you)" in login.err
    listed = run_mg("profiles", "list", "--json", **no_keyring).json()
    assert listed[0]["credential"] == "file"
    first = run_mg("whoami", "--json", **no_keyring)
    second = run_mg(
        "login", "--with-token", "--profile", "other", "--base-url", gateway.url, input=test_key, **no_keyring
    )
    assert first.code == second.code == 0
    assert first.json()["key_source"] == "file"
    assert "credentials.toml" not in first.err + second.err, "said once, not on every command"


def test_a_stuck_keyring_does_not_hang_the_cli(gateway: GatewayProcess, test_key: str) -> None:
    assert run_mg("login", "--with-token", "--base-url", gateway.url, input=test_key).code == 0
    stuck = {"PYTHON_KEYRING_BACKEND": "tests.support.slow_keyring.StuckKeyring", "MG_KEYRING_TIMEOUT": "0.3"}
    result = run_mg("whoami", **stuck)
    assert result.code == 3, result
    assert "did not answer within 0.3 s" in result.err and "MG_API_KEY" in result.err
    assert run_mg("whoami", "--json", MG_API_KEY=test_key, **stuck).code == 0, "an env key skips the keyring"


def test_help_topics(gateway: GatewayProcess) -> None:
    env_vars = run_mg("help", "environment", "--json")
    assert env_vars.code == 0, env_vars
    names = {v["name"] for v in env_vars.json()}
    source = "\n".join(p.read_text() for root in ("mg", "local_gateway") for p in Path(root).rglob("*.py"))
    mentioned = set(re.findall(r"\bMG_[A-Z][A-Z0-9_]*[A-Z0-9]\b", source))
    # Per-provider variables are listed once, as MG_<PROVIDER>_API_KEY and MG_<PROVIDER>_BASE_URL.
    assert {"MG_<PROVIDER>_API_KEY", "MG_<PROVIDER>_BASE_URL"} <= names
    mentioned = {m for m in mentioned if not re.fullmatch(r"MG_[A-Z]+_(API_KEY|BASE_URL)", m)}
    assert mentioned - names == set(), "every MG_* variable in the code is listed by `mg help environment`"
    codes = run_mg("help", "exit-codes", "--json").json()
    assert [c["code"] for c in codes] == [0, 1, 2, 3, 4, 5, 130]
    topics = run_mg("help", "--json").json()
    assert {t["topic"] for t in topics} == {"environment", "exit-codes"}
    assert "Usage: mg gateway serve" in run_mg("help", "gateway", "serve").out
    assert run_mg("help", "nonsense").code == 4


def test_completion_show_and_install(clean_environ: Path) -> None:
    shown = run_mg("completion", "show", "--shell", "bash")
    assert shown.code == 0 and "complete -F _mg mg" in shown.out
    installed = run_mg("completion", "install", "--shell", "fish", "--json")
    assert installed.code == 0, installed
    path = Path(installed.json()["path"])
    assert path == clean_environ / ".config" / "fish" / "completions" / "mg.fish"
    assert path.read_text() == run_mg("completion", "show", "--shell", "fish").out
    assert run_mg("completion", "show", SHELL="/bin/tcsh").code == 2


def test_gateway_lifecycle_and_first_start_key(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    started = run_mg("gateway", "serve", "--detach", "--port", "0", "--data-dir", str(data), "--json")
    assert started.code == 0, started
    info = started.json()
    try:
        assert info["running"] and info["pid"] > 0 and info["url"].startswith("http://127.0.0.1:")
        assert (data / "gateway.pid").read_text().strip() == str(info["pid"])
        status = run_mg("gateway", "status", "--data-dir", str(data), "--json")
        assert status.code == 0 and status.json()["health"]["status"] == "healthy"
        assert status.json()["managed"] is True
        # Its first start stored a key in the `local` profile: no login needed.
        who = run_mg("whoami", "--json")
        assert who.code == 0, who
        assert (who.json()["base_url"], who.json()["environment"]) == (info["url"], "test")
        key = run_mg(
            "gateway", "admin", "create-key", "--email", "ops@example.com", "--json", "--data-dir", str(data)
        )
        assert key.code == 0 and key.json()["api_key"].startswith("mg_test_")
        logs = run_mg("gateway", "logs", "--data-dir", str(data), "--json")
        assert logs.code == 0 and any("listening on" in line for line in logs.json()["lines"])
    finally:
        stopped = run_mg("gateway", "stop", "--data-dir", str(data), "--json")
    assert stopped.code == 0 and stopped.json()["stopped"] is True
    after = run_mg("gateway", "status", "--data-dir", str(data), "--json")
    assert after.code == 1 and after.json()["running"] is False
    assert not (data / "gateway.pid").exists()


# --- exit codes and error output ----------------------------------------------------------------


def test_symbols_upload_check_list_lookup_rm(env: dict[str, str], tmp_path: Path) -> None:
    pdb = FIXTURES / "binaries" / "windows" / "crash.pdb"
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "crash.pdb").write_bytes(pdb.read_bytes())
    (tmp_path / "build" / "notes.txt").write_text("not a debug file\n")
    uploaded = run_mg("symbols", "upload", "--json", str(tmp_path / "build"), **env)
    assert uploaded.code == 0, uploaded
    summary = uploaded.json()
    assert summary["skipped"] == 1 and summary["failed"] == []
    assert len(summary["uploaded"]) + len(summary["already_present"]) == 1

    checked = run_mg("symbols", "check", "--json", str(pdb))
    assert checked.json()[0]["debug_id"] == "3249D99D0C4049318610F4E4FB0B69361"
    listed = run_mg("symbols", "list", "--json", "--module", "crash.pdb", **env).json()
    found = run_mg(
        "symbols", "lookup", "--json", "CRASH.PDB", "3249d99d-0c40-4931-8610-f4e4fb0b6936-1", **env
    )
    assert [s["id"] for s in found.json()] == [s["id"] for s in listed]
    removed = run_mg("symbols", "rm", "--json", listed[0]["id"], **env)
    assert removed.json() == {"removed": [listed[0]["id"]]}
    for result in (uploaded, checked, found, removed):
        clean(result)


def test_usage_errors_exit_2(env: dict[str, str]) -> None:
    assert run_mg("chat", "--temperature", "3", "hi", **env).code == 2
    assert run_mg("no-such-command", **env).code == 2
    nothing = run_mg("chat", **env)
    assert nothing.code == 2 and "Nothing to send" in nothing.err


def test_bad_key_exits_3_with_remediation(gateway: GatewayProcess) -> None:
    result = run_mg("models", "list", MG_BASE_URL=gateway.url, MG_API_KEY="mg_test_" + "x" * 32)
    assert result.code == 3
    assert "error: " in result.err and "hint: " in result.err
    clean(result)


def test_no_key_at_all_exits_3_and_says_how_to_get_one(gateway: GatewayProcess) -> None:
    result = run_mg("whoami", MG_BASE_URL=gateway.url)
    assert result.code == 3 and "mg gateway serve --detach" in result.err


def test_api_not_found_exits_4(env: dict[str, str], gateway: GatewayProcess) -> None:
    result = run_mg("models", "list", **dict(env, MG_BASE_URL=gateway.url + "/nowhere"))
    assert result.code == 4 and "NOT_FOUND" in result.err


def test_rate_limited_exits_5(gateway: GatewayProcess) -> None:
    key = gateway.create_key(tier="free", rpm=1)["api_key"]
    env = {"MG_BASE_URL": gateway.url, "MG_API_KEY": key}
    assert run_mg("chat", "hi", **env).code == 0
    result = run_mg("chat", "--no-retry", "again", **env)
    assert result.code == 5, result
    assert "RATE_LIMITED" in result.err and "backoff" in result.err
    clean(result)


def test_unreachable_gateway_exits_5_after_retries(env: dict[str, str]) -> None:
    result = run_mg("whoami", **dict(env, MG_BASE_URL="http://127.0.0.1:9", MG_MAX_RETRIES="1"))
    assert result.code == 5
    assert "Retrying" in result.err and "gave up after 2 attempts" in result.err


def test_every_command_has_a_json_test() -> None:
    """New commands join this file (or a test_commands_*.py beside it): each leaf command must be
    run there with --json."""
    from mg.cli._app import subcommands
    from mg.cli.main import click_command

    def leaves(node: object, path: str = "") -> list[str]:
        if not hasattr(node, "list_commands"):
            return [path]
        return [leaf for name, sub in subcommands(node) for leaf in leaves(sub, f"{path} {name}".strip())]

    source = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_commands*.py"))
    # Commands whose output is not data: a foreground server, a pass-through, a shell script,
    # a full-screen app.
    exempt = {"gateway admin", "completion show", "tui"}
    missing = []
    for leaf in leaves(click_command()):
        words = leaf.split()
        spelled = ", ".join(f'"{w}"' for w in words)
        if (
            leaf not in exempt
            and spelled not in source
            and not (leaf == "gateway serve" and '"serve", "--detach"' in source)
        ):
            missing.append(leaf)
    assert missing == []


def test_gateway_migrate_is_an_explicit_step_that_check_can_verify(
    tmp_path: Path, database_url: str | None
) -> None:
    env = {"MG_DATABASE_URL": database_url} if database_url else {}
    data = str(tmp_path / "gw")
    behind = run_mg("gateway", "migrate", "--check", "--data-dir", data, **env)
    assert behind.code == 1 and "schema behind" in behind.out
    done = run_mg("gateway", "migrate", "--data-dir", data, **env)
    assert done.code == 0 and "migrated to" in done.out, done.err
    from local_gateway.store.migrate import script_heads

    assert done.out.split("migrated to", 1)[1].strip() == ", ".join(sorted(script_heads() or []))
    current = run_mg("gateway", "migrate", "--check", "--data-dir", data, **env)
    assert current.code == 0 and "schema current" in current.out
    again = run_mg("gateway", "migrate", "--data-dir", data, **env)
    assert again.code == 0 and "already at" in again.out
