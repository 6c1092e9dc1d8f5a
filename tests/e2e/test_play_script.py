"""`scripts/play` from a clean home, in a terminal, and then every command it names, as typed.

After the chat it prints the line that puts `mg` on PATH and the commands to try next; those
run in a fresh bash exactly as printed, and the official openai SDK is pointed at exactly what
`mg gateway env --json` printed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai import OpenAI

from tests.e2e.test_local_play import free_port
from tests.support.mg_cli import ROOT, run_mg
from tests.support.terminal import Terminal, plain, terminal_env

VENV_BIN = ROOT / ".venv" / "bin"


def without_venv(path: str) -> str:
    """PATH as on a machine where nothing put .venv/bin on it."""
    return os.pathsep.join(p for p in path.split(os.pathsep) if Path(p) != VENV_BIN)


@pytest.fixture
def play_env(clean_environ: Path) -> Iterator[dict[str, str]]:
    env = terminal_env(os.environ)
    env.update(
        PATH=without_venv(env.get("PATH", "")),
        SHELL="/bin/bash",
        # Any free port: the machine's 8787 may be someone else's gateway.
        MG_BASE_URL=f"http://127.0.0.1:{free_port()}",
        # The extras .venv already has, so scripts/setup finds it current and installs nothing.
        MG_EXTRAS=(ROOT / ".venv" / ".mg-installed").read_text().strip(),
    )
    env.pop("PYTHONPATH", None)
    yield env
    run_mg("gateway", "stop", env=env)


def bash(line: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """One line typed into a new bash, stdin closed."""
    return subprocess.run(
        ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=120, cwd=env["HOME"],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_play_then_the_printed_commands_as_typed(play_env: dict[str, str], clean_environ: Path) -> None:
    assert str(clean_environ) == play_env["HOME"] and not any(clean_environ.iterdir()), "a clean home"
    term = Terminal.spawn([str(ROOT / "scripts" / "play")], play_env, timeout=120)
    try:
        term.expect(r"to use it in this shell: export PATH=")
        term.expect(r"Talking to blacksmith_01 \(merchant\)")
        term.expect_prompt()
        term.send_line("What do you sell?")
        term.expect("blacksmith_01")
        term.expect_prompt()
        term.child.sendeof()
        term.expect("mg gateway stop   # stop the gateway")
        assert term.wait() == 0
    finally:
        term.close()
    after = plain(term.log.getvalue()).split("The local gateway keeps running in the background.")[-1]
    lines = [line.strip() for line in after.splitlines() if line.strip()]
    path_line = lines[
        lines.index("Put mg on PATH in this shell (or add the line to your shell's startup file):") + 1
    ]
    assert path_line == f'export PATH="{VENV_BIN}:$PATH"'
    commands = [line.split("   #")[0].strip() for line in lines[lines.index("Then:") + 1 :]]
    assert commands == [
        "mg chat --local --template merchant --npc blacksmith_01",
        "mg gateway env",
        'eval "$(mg gateway env)"',
        "mg gateway stop",
    ]
    # Without the line, `mg` is what the issue found: not there.
    assert bash("mg gateway status", play_env).returncode == 127

    chat, env_line, apply, stop = (f"{path_line}; {command}" for command in commands)
    # Typed at a terminal it opens the conversation; here one line comes through a pipe.
    again = bash(chat.replace("; mg chat", "; echo 'Anything else?' | mg chat"), play_env)
    assert again.returncode == 0 and again.stdout.strip(), again
    assert "started" not in again.stderr, "the gateway play started is the one that answers"

    printed = bash(f"{path_line}; mg gateway env --json", play_env)
    assert printed.returncode == 0, printed
    values = json.loads(printed.stdout)
    assert bash(env_line, play_env).stdout.startswith(f"export OPENAI_BASE_URL={values['OPENAI_BASE_URL']} ")
    applied = bash(f'{apply}; printf "%s\\n" "$OPENAI_BASE_URL" "$OPENAI_API_KEY"', play_env)
    assert applied.stdout.splitlines() == [values["OPENAI_BASE_URL"], values["OPENAI_API_KEY"]], applied
    assert values["OPENAI_BASE_URL"] == play_env["MG_BASE_URL"] + "/v1"
    assert re.fullmatch(r"mg_test_\S+", values["OPENAI_API_KEY"])

    client = OpenAI(base_url=values["OPENAI_BASE_URL"], api_key=values["OPENAI_API_KEY"], max_retries=0)
    reply = client.chat.completions.create(
        model="deepseek-chat", messages=[{"role": "user", "content": "Got any swords?"}]
    )
    assert reply.choices[0].message.content
    model = client.models.retrieve("deepseek-chat")
    assert (model.id, model.object) == ("deepseek-chat", "model")

    stopped = bash(stop, play_env)
    assert stopped.returncode == 0 and "Stopped the gateway" in stopped.stderr, stopped
    assert bash(f"{path_line}; mg gateway status", play_env).returncode == 1
