"""Failures as the screens show them: the envelope's message and remediation, never a traceback.

Every call to the gateway runs in a worker wrapped by :func:`guarded`, which hands any failure to
the widget's ``show_failure`` (an inline :class:`~tui.widgets.notice.Notice`), or to the app
as a notification when the widget has none.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from mg.errors import MonsterError, NotFoundError

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """What to tell the user about an error."""

    message: str
    remediation: str | None = None
    code: str | None = None

    @property
    def text(self) -> str:
        head = f"{self.message} [{self.code}]" if self.code else self.message
        return f"{head}\n{self.remediation}" if self.remediation else head


def describe(exc: BaseException) -> Failure:
    """The message and remediation of an error, whatever raised it."""
    if isinstance(exc, MonsterError):
        return Failure(exc.message, exc.remediation or None, exc.code)
    remediation = getattr(exc, "remediation", None)
    if type(exc).__module__ in ("mg.config", "mg.template_files"):
        return Failure(str(exc), remediation or None)
    return Failure(
        f"Unexpected {type(exc).__name__}: {exc}",
        "This is a bug in mg; please report it with what you did just before.",
    )


class EndpointMissing(Exception):
    """The gateway has no such route (yet): said plainly, not as an error."""

    def __init__(self, feature: str, method: str, path: str) -> None:
        self.feature, self.method, self.path = feature, method, path
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return f"This gateway does not offer {self.feature} yet ({self.method} {self.path} answered 404)."


def is_missing_route(exc: BaseException) -> bool:
    """A 404 for a route the gateway does not have (rather than for an id it does not know)."""
    return isinstance(exc, NotFoundError) and exc.message.startswith("No route for")


async def require_route(call: Awaitable[T], feature: str, method: str, path: str) -> T:
    """``await call``, turning a collection route's 404 into :class:`EndpointMissing`.

    Only collection routes (no id in the path) come here, so any 404 they answer means the
    gateway lacks the route, whatever words its envelope uses.
    """
    try:
        return await call
    except NotFoundError as exc:
        raise EndpointMissing(feature, method, path) from exc


def guarded(method: Callable[P, Awaitable[Any]]) -> Callable[P, Awaitable[Any]]:
    """Catch every failure of a worker and show it inline instead of ending the app."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        node: Any = args[0]
        try:
            return await method(*args, **kwargs)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            node.log.error(f"{method.__qualname__} failed: {exc!r}")
            show = getattr(node, "show_failure", None)
            if show is not None:
                show(exc)
            else:
                node.app.show_failure(exc)
            return None

    return wrapper
