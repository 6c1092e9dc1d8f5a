"""Times as the API writes them: UTC ISO-8601 with milliseconds and a ``Z``.

Shared by the gateway (every ``*_at`` field it answers) and the SDK (``reset_at`` of an error
envelope), so both sides write the same text for the same moment.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_time"]


def format_time(moment: datetime) -> str:
    """A moment as the API writes it, e.g. ``2025-01-31T12:00:00.250Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
