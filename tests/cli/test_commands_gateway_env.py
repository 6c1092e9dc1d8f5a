"""`mg gateway env`: what it prints arrives in each real shell, and an OpenAI client there works.

The gateway runs in the foreground (a process of its own, not `serve --detach`), so `env` finds
it the second way `mg gateway status` does: by the 'local' profile's URL answering.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mg.cli._gateway_env import EnvShell, render
from mg.config import store_key
from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import ROOT, mg_executable, run_mg

NAMES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MG_BASE_URL", "MG_API_KEY")
# The documented way to apply the output, in each shell, then what a program started there sees.
APPLY = {
    "bash": ['eval "$(mg gateway env --shell bash)"'],
    "zsh": ['eval "$(mg gateway env --shell zsh)"'],
    "fish": ["mg gateway env --shell fish | source"],
}
# The openai SDK reads OPENAI_BASE_URL and OPENAI_API_KEY by itself.
RETRIEVE = "from openai import OpenAI; print(OpenAI(max_retries=0).models.retrieve('deepseek-chat').id)"


def shell_path(shell: str) -> str:
    found = shutil.which(shell)
    assert found, f"{shell} is not installed; scripts/services installs it"
    return found


def in_shell(shell: str, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shell_path(shell), "-c", script], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def user_env() -> dict[str, str]:
    """The test's environment with `mg` and this Python on PATH, as after activating .venv."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env["PATH"] = f"{Path(mg_executable()).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def local_key(sqlite_gateway: GatewayProcess) -> str:
    key: str = sqlite_gateway.create_key(tier="studio")["api_key"]
    stored = run_mg(
        "login", "--with-token", "--profile", "local", "--base-url", sqlite_gateway.url, input=key + "\n"
    )
    assert stored.code == 0, stored
    return key


@pytest.mark.parametrize("shell", sorted(APPLY))
def test_the_variables_arrive_in_the_shell(
    shell: str, sqlite_gateway: GatewayProcess, local_key: str
) -> None:
    script = "; ".join([*APPLY[shell], *(f"printf '%s\\n' {name}=${name}" for name in NAMES)])
    shown = in_shell(shell, f'{script}; python -c "{RETRIEVE}"', user_env())
    assert shown.returncode == 0, shown
    *pairs, retrieved = shown.stdout.splitlines()
    assert dict(line.split("=", 1) for line in pairs) == {
        "OPENAI_BASE_URL": f"{sqlite_gateway.url}/v1",
        "OPENAI_API_KEY": local_key,
        "MG_BASE_URL": sqlite_gateway.url,
        "MG_API_KEY": local_key,
    }
    assert retrieved == "deepseek-chat", "the openai SDK took the URL and key from the environment"


def test_json_and_the_shell_taken_from_SHELL(sqlite_gateway: GatewayProcess, local_key: str) -> None:
    printed = run_mg("gateway", "env", "--json")
    assert printed.code == 0, printed
    assert printed.json() == {
        "OPENAI_BASE_URL": f"{sqlite_gateway.url}/v1",
        "OPENAI_API_KEY": local_key,
        "MG_BASE_URL": sqlite_gateway.url,
        "MG_API_KEY": local_key,
    }
    fish = run_mg("gateway", "env", SHELL="/usr/bin/fish")
    assert fish.out.splitlines()[0] == f"set -gx OPENAI_BASE_URL {sqlite_gateway.url}/v1", fish
    posix = run_mg("gateway", "env", SHELL="/bin/sh")
    assert posix.out.startswith(f"export OPENAI_BASE_URL={sqlite_gateway.url}/v1 "), posix
    assert not fish.err and not posix.err, "off a terminal it prints only the variables"


def test_powershell_syntax(sqlite_gateway: GatewayProcess, local_key: str) -> None:
    printed = run_mg("gateway", "env", "--shell", "powershell")
    assert printed.code == 0, printed
    assert printed.out.splitlines() == [
        f"$env:OPENAI_BASE_URL = '{sqlite_gateway.url}/v1'",
        f"$env:OPENAI_API_KEY = '{local_key}'",
        f"$env:MG_BASE_URL = '{sqlite_gateway.url}'",
        f"$env:MG_API_KEY = '{local_key}'",
    ]


def test_status_shows_the_v1_url(sqlite_gateway: GatewayProcess, local_key: str) -> None:
    status = run_mg("gateway", "status", "--json")
    assert status.code == 0, status
    assert status.json()["openai_base_url"] == f"{sqlite_gateway.url}/v1"
    assert f"OpenAI base URL\t{sqlite_gateway.url}/v1" in run_mg("gateway", "status").out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_quoting_survives_the_shell(shell: str) -> None:
    # Values a URL or key never holds today, so a future one cannot break the syntax.
    awkward = {"MG_ODD": "a b'c\"d$HOME\\n;`x` (y) *"}
    shown = in_shell(shell, render(awkward, EnvShell(shell)) + "; printf '%s' \"$MG_ODD\"", user_env())
    assert shown.returncode == 0, shown
    assert shown.stdout == awkward["MG_ODD"]


def test_no_gateway_running_exits_4(tmp_path: Path) -> None:
    result = run_mg("gateway", "env", "--data-dir", str(tmp_path), MG_CONFIG_DIR=str(tmp_path / "cfg"))
    assert result.code == 4, result
    assert result.err.splitlines()[0] == f"error: No local gateway runs (data dir {tmp_path})."
    assert "mg gateway serve --detach" in result.err
    assert result.out == ""


def test_no_key_exits_3(sqlite_gateway: GatewayProcess) -> None:
    added = run_mg("profiles", "add", "local", "--base-url", sqlite_gateway.url)
    assert added.code == 0, added
    result = run_mg("gateway", "env")
    assert result.code == 3, result
    assert result.err.splitlines()[0] == "error: The 'local' profile has no key stored."
    assert result.out == ""


def test_a_key_the_gateway_refuses_exits_3(sqlite_gateway: GatewayProcess) -> None:
    # As after the gateway's data dir was wiped: the profile still holds a key of the old one.
    store_key("local", "mg_test_" + "x" * 32, base_url=sqlite_gateway.url)
    result = run_mg("gateway", "env", "--json")
    assert result.code == 3, result
    assert result.err.splitlines()[0] == (
        f"error: The 'local' profile's key is not a key of the gateway at {sqlite_gateway.url}."
    )
    assert result.out == ""


def test_mg_itself_uses_what_env_printed(
    sqlite_gateway: GatewayProcess, local_key: str, tmp_path: Path
) -> None:
    values = run_mg("gateway", "env", "--json").json()
    # A config dir with nothing in it: the variables alone must do.
    who = run_mg("whoami", "--json", MG_CONFIG_DIR=str(tmp_path / "empty"), **values)
    assert who.code == 0, who
    assert (who.json()["base_url"], who.json()["key_source"]) == (sqlite_gateway.url, "env")
