"""Cheap proofs that a fresh clone is all a user needs: no tracked file reads the project's
shared notes beside the CI checkout, and the README's quick start is the two commands the docs
describe and CI runs. (``tests/e2e/test_fresh_clone.py`` runs the file-reading tests in a clone
with nothing beside it; this covers every tracked file in a second.)"""

from __future__ import annotations

import re
import subprocess

from tests.support.mg_cli import ROOT

# Spelled in pieces, so that this file does not name them itself.
OUTSIDE = ["/".join(["..", "shared"]), "/".join(["", "work", "shared"])]
QUICK_START = ["scripts/play", "scripts/test"]
# What docs/development.md says scripts/test runs.
STEPS = ["scripts/setup", "scripts/services", "scripts/symbol-tools", "ruff check", "ruff format --check",
         "lint-imports", "mkdocs build --strict", "mypy", "pytest"]  # fmt: skip


def tracked() -> list[tuple[str, str]]:
    """(mode, path) of every file git tracks in the repository."""
    out = subprocess.run(
        ["git", "ls-files", "-s", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    rows = []
    for entry in filter(None, out.split("\0")):
        meta, _, path = entry.partition("\t")
        rows.append((meta.split()[0], path))
    return rows


def test_no_tracked_file_reads_the_shared_notes() -> None:
    needles = [n.encode() for n in OUTSIDE]
    found = []
    for _mode, path in tracked():
        data = (ROOT / path).read_bytes()
        for needle in needles:
            at = data.find(needle)
            if at >= 0:
                line = data.count(b"\n", 0, at) + 1
                found.append(f"{path}:{line}: {needle.decode()}")
    assert len(tracked()) > 100, "the listing works"
    assert found == [], "tracked files that read outside the clone:\n" + "\n".join(found)


def _code_block(markdown: str, heading: str) -> list[str]:
    """The commands of the first ``sh`` block under ``heading`` (comments dropped)."""
    section = markdown.split(f"## {heading}", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, f"no sh block under '## {heading}'"
    return [
        line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.split("#", 1)[0].strip()
    ]


def test_the_quick_start_is_the_two_documented_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert _code_block(readme, "Quick start") == QUICK_START
    modes = dict((path, mode) for mode, path in tracked())
    for script in QUICK_START:
        assert modes.get(script) == "100755", f"{script} is a tracked executable"
    # The development page describes both; the docs' own quick start starts with the first.
    development = (ROOT / "docs" / "development.md").read_text()
    for script in QUICK_START:
        assert re.search(rf"^\| `{re.escape(script)}` \|", development, re.MULTILINE), script
    assert _code_block((ROOT / "docs" / "index.md").read_text(), "Quick start")[0] == QUICK_START[0]
    # "what CI runs": the CI entry point is scripts/test, and scripts/play opens the documented chat.
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec scripts/test")
    play_row = re.search(
        r"^\| `scripts/play` \| `scripts/setup`, then `(mg chat [^`]+)`", development, re.MULTILINE
    )
    assert play_row and play_row.group(1).removeprefix("mg ") in (ROOT / "scripts" / "play").read_text()
    steps = (ROOT / "scripts" / "test").read_text()
    for step in STEPS:
        assert step in steps, f"scripts/test runs {step}, as docs/development.md says"
