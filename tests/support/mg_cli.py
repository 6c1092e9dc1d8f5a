"""Running the installed ``mg`` as a user would: a new process, its own environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def mg_executable() -> str:
    script = Path(sys.executable).parent / "mg"
    if not script.exists():
        raise RuntimeError(f"{script} is missing: install the project (scripts/setup)")
    return str(script)


@dataclass
class Result:
    args: list[str]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        try:
            return json.loads(self.out)
        except ValueError as exc:
            raise AssertionError(f"mg {' '.join(self.args)} printed no JSON:\n{self}") from exc

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def run_mg(
    *args: str,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
    **extra_env: str,
) -> Result:
    """``mg ARGS`` in a subprocess (stdin closed unless ``input``); never a terminal."""
    full_env = dict(os.environ if env is None else env, **extra_env)
    full_env.setdefault("PYTHONPATH", str(ROOT))
    proc = subprocess.run(
        [mg_executable(), *args],
        env=full_env,
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    return Result(list(args), proc.returncode, proc.stdout, proc.stderr)
