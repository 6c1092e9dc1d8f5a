"""The clock every service reads, so tests can move time forward."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path


class Clock:
    """Wall clock with an offset that tests can move forward.

    In-process tests call :meth:`advance`. Tests that drive a real gateway process point
    ``offset_file`` (``MG_CLOCK_OFFSET_FILE``) at a file holding a number of seconds; the clock
    re-reads it whenever its modification time changes, so writing the file moves the clock.
    """

    def __init__(self, source: Callable[[], float] = time.time, offset_file: Path | None = None) -> None:
        self._source = source
        self.offset = 0.0
        self._offset_file = offset_file
        self._file_stamp: tuple[int, int] | None = None
        self._file_offset = 0.0

    def time(self) -> float:
        return self._source() + self.offset + (self._read_offset_file() if self._offset_file else 0.0)

    def _read_offset_file(self) -> float:
        assert self._offset_file is not None
        try:
            info = os.stat(self._offset_file)
            stamp = (info.st_mtime_ns, info.st_size)
        except OSError:
            return 0.0
        if stamp != self._file_stamp:
            try:
                self._file_offset = float(self._offset_file.read_text().strip() or 0)
            except (OSError, ValueError):
                self._file_offset = 0.0
            self._file_stamp = stamp
        return self._file_offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
