"""Exit codes and the one place that turns an exception into a message on stderr.

0    ok
1    API error (anything the gateway refused that has no code below)
2    usage error: bad flags or arguments, bad local configuration
3    authentication: no key, an invalid key, the keyring unusable
4    not found: an id, a route, a profile, a running local gateway
5    rate limited, or a retryable error whose retries are exhausted (or turned off)
130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import os
import sys
import traceback

from mg.errors import AuthenticationError, MonsterError, NotFoundError, RateLimitError

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_RETRY = 5
EXIT_INTERRUPTED = 130

EXIT_CODES: list[tuple[int, str]] = [
    (EXIT_OK, "success"),
    (EXIT_API, "API error: the gateway refused the request (message and remediation on stderr)"),
    (EXIT_USAGE, "usage error: unknown command or option, bad value, bad local configuration"),
    (EXIT_AUTH, "authentication: no API key, an invalid or revoked key, an unusable keyring"),
    (EXIT_NOT_FOUND, "not found: the id, route, profile or file does not exist, or no local gateway runs"),
    (EXIT_RETRY, "rate limited, or retries exhausted on a retryable error (also with --no-retry)"),
    (EXIT_INTERRUPTED, "interrupted with Ctrl-C"),
]


class CLIError(Exception):
    """An error of the command line itself, with what to do about it."""

    exit_code = EXIT_API

    def __init__(self, message: str, remediation: str | None = None, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CLIError):
    exit_code = EXIT_USAGE


class NotFound(CLIError):
    exit_code = EXIT_NOT_FOUND


class AuthError(CLIError):
    exit_code = EXIT_AUTH


def exit_code_for(exc: BaseException) -> int:
    from mg.config import ConfigError, CredentialsError, MissingKeyError, ProfileNotFoundError

    if isinstance(exc, CLIError):
        return exc.exit_code
    if isinstance(exc, MonsterError):
        if isinstance(exc, AuthenticationError):
            return EXIT_AUTH
        if isinstance(exc, NotFoundError):
            return EXIT_NOT_FOUND
        if isinstance(exc, RateLimitError) or exc.is_retryable:
            return EXIT_RETRY
        return EXIT_API
    if isinstance(exc, MissingKeyError | CredentialsError):
        return EXIT_AUTH
    if isinstance(exc, ProfileNotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, ConfigError):
        return EXIT_USAGE
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_API


def describe(exc: BaseException) -> tuple[str, str | None]:
    """The message and remediation to show for an exception."""
    if isinstance(exc, MonsterError):
        message = exc.message
        details = [exc.code] if exc.code else []
        if exc.is_retryable and exc.attempts > 1:
            details.append(f"gave up after {exc.attempts} attempts")
        if details:
            message = f"{message} [{', '.join(details)}]"
        return message, exc.remediation or None
    return str(exc) or type(exc).__name__, getattr(exc, "remediation", None) or None


def report(exc: BaseException) -> int:
    """Print an error for a person (never a traceback unless MG_DEBUG is set); its exit code."""
    from mg.cli import _output

    known = isinstance(exc, CLIError | MonsterError) or type(exc).__module__ == "mg.config"
    if not known:
        if os.environ.get("MG_DEBUG"):
            traceback.print_exception(exc, file=sys.stderr)
        _output.error(
            f"unexpected {type(exc).__name__}: {exc}",
            "This is a bug in mg; rerun with MG_DEBUG=1 for the traceback and report it.",
        )
        return EXIT_API
    message, remediation = describe(exc)
    _output.error(message, remediation)
    return exit_code_for(exc)
