"""The changelog: one data file in the package, served by ``GET /v1/changelog`` and rendered as
the repository's CHANGELOG.md (``python -m local_gateway.services.status.changelog > CHANGELOG.md``;
a test checks that the two agree).
"""

from __future__ import annotations

import json
import sys
from functools import cache
from importlib import resources
from typing import Any

CHANGE_TYPES = ("added", "changed", "deprecated", "removed", "fixed", "security")
_HEADINGS = {t: t.capitalize() for t in CHANGE_TYPES}


@cache
def load() -> dict[str, Any]:
    text = resources.files("local_gateway.data").joinpath("changelog.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def render_markdown(data: dict[str, Any]) -> str:
    """Keep a Changelog's layout: newest release first, changes grouped by type."""
    lines = [
        "# Changelog",
        "",
        "<!-- Generated from local_gateway/data/changelog.json by",
        "     `python -m local_gateway.services.status.changelog > CHANGELOG.md`; edit that file. -->",
        "",
        "Every release of the gateway and the API version it serves. The same data is served as JSON",
        "at `GET /v1/changelog`.",
    ]
    for release in data["releases"]:
        lines += ["", f"## {release['version']} — {release['date']} (API {release['api_version']})"]
        for kind in CHANGE_TYPES:
            changes = [c for c in release["changes"] if c["type"] == kind]
            if not changes:
                continue
            lines += ["", f"### {_HEADINGS[kind]}", ""]
            lines += [f"- **{c['area']}**: {c['description']}" for c in changes]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown(load()))
