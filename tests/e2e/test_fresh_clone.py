"""The suite needs nothing outside the repository: a clone with nothing beside it runs it.

CI checks the project out with the project's shared notes in a sibling folder; a user's clone
has no such folder. So this clones the repository into an empty temporary folder and runs the
tests that read fixture and spec files (debug files, provider recordings, the route and error
list) from that clone, with this interpreter and an audit hook that records every file the run
opens. Anything opened outside the clone, the interpreter's own files, the temporary dir and
the system's directories fails the test, by name, as does any failing test of the subset.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.mg_cli import ROOT

# The tests that read files shipped with the project; about fifteen seconds together.
SUBSET = ["tests/debugfiles", "tests/gateway/test_contract.py", "tests/providers"]

# Runs pytest under an audit hook that records each file opened outside the allowed roots.
RUNNER = """
import json, os, sys
allowed = tuple(json.loads(sys.argv[1]))
report = sys.argv[2]
outside = set()
recording = True

def inside(path):
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in allowed)

def hook(event, args):
    if recording and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if not inside(path):
            outside.add(path)

sys.addaudithook(hook)
import pytest
code = pytest.main(sys.argv[3:])
recording = False
with open(report, "w") as fh:
    json.dump(sorted(outside), fh)
sys.exit(code)
"""


def allowed_roots(clone: Path) -> list[str]:
    interpreter = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    system = ["/dev", "/proc", "/sys", "/etc", "/usr", "/lib", "/lib64", "/bin"]
    roots = [clone, tempfile.gettempdir(), Path.home(), *interpreter, *system]
    return sorted({os.path.realpath(p) for p in roots})


def test_a_clone_with_nothing_beside_it_runs_the_file_reading_tests(tmp_path: Path) -> None:
    clone = tmp_path / "checkout" / "mg"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    assert [p.name for p in clone.parent.iterdir()] == ["mg"], "the clone has no sibling folders"
    # The interpreter (this .venv) must not be inside the clone, or the check would allow it.
    assert not os.path.realpath(sys.prefix).startswith(os.path.realpath(clone))

    report = tmp_path / "opened-outside.json"
    env = dict(os.environ, PYTHONPATH=str(clone), PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    args = ["-q", "-p", "no:cacheprovider", *SUBSET]
    run = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(allowed_roots(clone)), str(report), *args],
        cwd=clone, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    tail = "\n".join(run.stdout.splitlines()[-30:])
    assert run.returncode == 0, f"the subset failed in the clone:\n{tail}\n{run.stderr[-2000:]}"
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed and int(passed.group(1)) > 100, tail
    outside = json.loads(report.read_text())
    assert outside == [], "files opened outside the clone:\n" + "\n".join(outside)
