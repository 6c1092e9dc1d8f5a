"""pexpect, with the whole screen log in the failure message when an expectation times out."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pexpect

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]|\r")


def plain(text: str) -> str:
    """Terminal output without escape sequences (what a person reads, roughly)."""
    return ANSI.sub("", text)


class Terminal:
    def __init__(self, child: pexpect.spawn, log: io.StringIO) -> None:
        self.child = child
        self.log = log

    @classmethod
    def spawn(
        cls,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        timeout: float = 20,
        rows: int = 40,
        cols: int = 120,
    ) -> Terminal:
        log = io.StringIO()
        child = pexpect.spawn(
            argv[0],
            list(argv[1:]),
            env=dict(env),
            encoding="utf-8",
            codec_errors="replace",
            timeout=timeout,
            dimensions=(rows, cols),
        )
        child.logfile_read = log
        return cls(child, log)

    def screen_log(self, tail: int = 4000) -> str:
        return plain(self.log.getvalue())[-tail:]

    def expect(self, pattern: Any, timeout: float | None = None) -> int:
        try:
            return self.child.expect(pattern, timeout=timeout if timeout is not None else -1)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            kind = "timed out" if isinstance(exc, pexpect.TIMEOUT) else "hit end of output"
            raise AssertionError(f"expecting {pattern!r} {kind}; screen log:\n{self.screen_log()}") from None

    def expect_prompt(self) -> None:
        self.expect("you>")

    def send_line(self, text: str) -> None:
        self.child.send(text + "\r")

    def output_since_last_match(self) -> str:
        return plain(self.child.before or "")

    def close(self) -> int | None:
        if self.child.isalive():
            self.child.close(force=True)
        return self.child.exitstatus

    def wait(self, timeout: float = 20) -> int | None:
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus


def terminal_env(base: Mapping[str, str]) -> dict[str, str]:
    """A colour terminal's environment: live redraws and markdown on."""
    env = {k: v for k, v in base.items() if k != "NO_COLOR"}
    # pexpect does not answer cursor-position requests the way a terminal does.
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="40", PROMPT_TOOLKIT_NO_CPR="1")
    env.setdefault("PATH", os.environ.get("PATH", ""))
    return env
