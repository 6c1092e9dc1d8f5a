"""`mg --help` stays fast: it must not load the heavy libraries the commands use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = [
    "httpx",
    "keyring",
    "textual",
    "aiohttp",
    "rich",
    "pydantic",
    "prompt_toolkit",
    "local_gateway",
    "sqlalchemy",
]

PROBE = """
import json, sys
from mg.cli.main import main
code = main(sys.argv[1:])
loaded = sorted({m.split(".")[0] for m in sys.modules})
sys.stderr.write("\\nMODULES " + json.dumps({"code": code, "loaded": loaded}) + "\\n")
"""


def loaded_by(*argv: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60)
    line = next(line for line in proc.stderr.splitlines() if line.startswith("MODULES "))
    return json.loads(line.removeprefix("MODULES "))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["chat", "--help"],
        ["gateway", "--help"],
        ["models", "list", "--help"],
        ["threads", "state", "set", "--help"],
        ["npc", "template", "--help"],
        ["tui", "--help"],
        ["--version"],
    ],
    ids=lambda a: " ".join(a),
)
def test_help_loads_none_of_the_heavy_libraries(argv: list[str]) -> None:
    result = loaded_by(*argv)
    assert result["code"] == 0
    assert sorted(set(HEAVY) & set(result["loaded"])) == []


def test_the_sdk_import_is_lazy_too() -> None:
    code = (
        "import sys, mg; assert 'httpx' not in sys.modules; mg.MonsterClient; assert 'httpx' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_with_a_key_in_the_environment_the_keyring_is_never_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CI path: a command that needs a key (it fails to connect, which is fine here).
    monkeypatch.setenv("MG_API_KEY", "mg_test_" + "k" * 32)
    monkeypatch.setenv("MG_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MG_MAX_RETRIES", "0")
    result = loaded_by("whoami", "--json")
    assert result["code"] == 5, "it got as far as connecting"
    assert "httpx" in result["loaded"] and "keyring" not in result["loaded"]


def test_the_static_summaries_are_the_commands_own() -> None:
    """`mg --help` shows summaries without importing the commands; they must not drift."""
    from mg.cli._app import subcommands
    from mg.cli.main import COMMANDS, click_command

    for name, command in subcommands(click_command()):
        first_line = (command.help or "").strip().splitlines()[0]
        assert COMMANDS[name][2] == first_line, f"update the summary of `{name}` in mg/cli/main.py"
