"""The local gateway's mail outbox (``<data dir>/outbox.jsonl``, one message a line): what
``mg gateway outbox`` prints and where ``mg login --email`` finds its sign-in link."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The file local_gateway.services.accounts.mail writes.
OUTBOX_FILE = "outbox.jsonl"


def outbox_path(data_dir: Path) -> Path:
    return data_dir / OUTBOX_FILE


def read_outbox(data_dir: Path) -> list[dict[str, Any]]:
    """Every message, oldest first; lines that are not a message (a torn last write) are skipped."""
    path = outbox_path(data_dir)
    if not path.exists():
        return []
    messages = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict):
            messages.append(message)
    return messages


def newest_link(data_dir: Path, email: str, after: int) -> str | None:
    """The link of the newest message to ``email`` past the first ``after`` messages."""
    for message in reversed(read_outbox(data_dir)[after:]):
        if str(message.get("to", "")).lower() == email.lower() and message.get("link"):
            return str(message["link"])
    return None
