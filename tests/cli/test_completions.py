"""completions/ matches the app, and each script completes what a user types.

Each shell's test runs only where that shell is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mg.cli._completion_scripts import FILENAMES, SHELLS, generate
from mg.cli.main import click_command
from tests.support.mg_cli import ROOT, mg_executable, run_mg

COMPLETIONS = ROOT / "completions"


@pytest.mark.parametrize("shell", SHELLS)
def test_committed_scripts_are_current(shell: str) -> None:
    committed = (COMPLETIONS / FILENAMES[shell]).read_text()
    assert committed == generate(shell, click_command()), (
        f"completions/{FILENAMES[shell]} is stale: run `.venv/bin/python -m mg.cli.completion`"
    )


def shell_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(mg_executable()).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    return env


BASH = """
source {script}
read -ra COMP_WORDS <<< "$LINE"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_mg
printf '%s\\n' "${{COMPREPLY[@]}}"
"""

# Outside a completion widget `words` and `CURRENT` are plain variables, so `_mg` can be run
# with the completion builtins replaced by stubs that print the candidates matching the word
# being completed (the matching zsh itself would do).
ZSH = """
compdef() {{ : }}
_mg_match() {{ print -l -- ${{(M)@:#${{words[CURRENT]}}*}} }}
_describe() {{ local arr=${{@[-1]}}; _mg_match ${{${{(P)arr}}%%:*}} }}
compadd() {{ [[ $1 == -a ]] && _mg_match ${{(P)2}} }}
_directories() {{ print -- '<dirs>' }}
_files() {{ print -- '<files>' }}
source {script}
words=(${{=LINE}})
[[ $LINE == *" " ]] && words+=("")
CURRENT=${{#words}}
_mg
"""


def complete(shell: str, line: str) -> list[str]:
    script = COMPLETIONS / FILENAMES[shell]
    if shell == "bash":
        argv = ["bash", "--norc", "-c", BASH.format(script=script)]
    elif shell == "zsh":
        argv = ["zsh", "-f", "-c", ZSH.format(script=script)]
    else:
        argv = ["fish", "--no-config", "-c", f"source {script}; complete -C $LINE"]
    out = subprocess.run(argv, env=dict(shell_env(), LINE=line), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [line.split("\t")[0] for line in out.stdout.splitlines() if line]


@pytest.mark.parametrize("shell", SHELLS)
def test_scripts_complete_commands_options_and_values(shell: str, tmp_path: Path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    assert run_mg("profiles", "add", "prodx", "--base-url", "https://api.example.test").code == 0

    top = complete(shell, "mg ")
    assert {"chat", "models", "profiles", "gateway", "login", "help"} <= set(top)
    assert complete(shell, "mg prof") == ["profiles"]
    assert set(complete(shell, "mg profiles ")) == {"list", "use", "add", "remove"}
    assert {"--temperature", "--template"} <= set(complete(shell, "mg chat --te"))
    assert set(complete(shell, "mg completion show --shell ")) == {"bash", "zsh", "fish"}
    # An option's value is not a command: `prodx` is skipped on the way to `models`.
    assert set(complete(shell, "mg --profile prodx models ")) == {"list", "catalog"}
    assert {"local", "prodx"} <= set(complete(shell, "mg chat --profile "))
    assert {"local", "prodx"} <= set(complete(shell, "mg profiles use "))
    assert {"environment", "exit-codes", "chat"} <= set(complete(shell, "mg help "))
    assert {"list", "messages", "export", "batch", "state", "actions"} <= set(complete(shell, "mg threads "))
    assert set(complete(shell, "mg threads state ")) == {"get", "set"}
    assert set(complete(shell, "mg threads export --format ")) == {"jsonl", "json"}
    assert {"--group", "--as"} <= set(complete(shell, "mg chat --"))
    assert set(complete(shell, "mg npc template ")) >= {"show", "init", "create", "update", "rm", "diff"}
    assert "--mine" in complete(shell, "mg npc templates --")
