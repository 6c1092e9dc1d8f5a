"""The one error crash processing raises."""

from __future__ import annotations


class MinidumpError(ValueError):
    """A minidump that cannot be processed: not a minidump, truncated, or self-contradictory.

    The message is one line fit to store as the crash's failure reason and to show a user as is
    (it never carries a traceback, a path on the gateway's disk, or bytes of the dump).
    """
