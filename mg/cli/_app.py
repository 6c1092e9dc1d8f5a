"""Building blocks of every command group: the group class and the shared options.

A group module does::

    app = new_group("Manage profiles.")

    @app.command("list")
    @command
    def profiles_list(session: Session, json_: JsonOption = False) -> None:
        \"\"\"List profiles. ...\"\"\"

``@command`` adds ``--profile``, ``--api-key``, ``--base-url`` and ``--no-retry`` to the command
and hands it a :class:`Session` built from them (falling back to the same options given before
the command name). Keep module-level imports light: ``mg --help`` imports every group module.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from mg.cli._session import GlobalOptions, Session

F = TypeVar("F", bound=Callable[..., Any])

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts (stable field names) instead of a table.")
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile", "-p", metavar="NAME", help="Profile to use [env: MG_PROFILE].", show_default=False
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key", metavar="KEY", help="API key, over any stored one [env: MG_API_KEY].", show_default=False
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", metavar="URL", help="Gateway URL [env: MG_BASE_URL].", show_default=False),
]
NoRetryOption = Annotated[
    bool, typer.Option("--no-retry", help="Fail at once on retryable errors instead of backing off.")
]

_GLOBAL_PARAMS = [
    inspect.Parameter("profile", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ProfileOption),
    inspect.Parameter("api_key", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ApiKeyOption),
    inspect.Parameter("base_url", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=BaseUrlOption),
    inspect.Parameter("no_retry", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=NoRetryOption),
]
GLOBAL_OPTION_NAMES = {"profile", "api_key", "base_url", "no_retry"}

SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class DefaultCommandGroup(TyperGroup):
    """A group that runs its default command (usually ``list``) when given no command."""

    default_command: str | None = None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if self.default_command and (
            not args or (args[0].startswith("-") and args[0] not in ("-h", "--help"))
        ):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


class OrderedGroup(TyperGroup):
    """The root group: lists its commands in the order given, not by kind."""

    order: tuple[str, ...] = ()

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(self.commands)
        return sorted(names, key=lambda n: self.order.index(n) if n in self.order else len(self.order))


def ordered_group(*order: str) -> type[OrderedGroup]:
    return type("OrderedGroup", (OrderedGroup,), {"order": order})


def new_group(help: str, default: str | None = "list") -> typer.Typer:
    cls = type("DefaultCommandGroup", (DefaultCommandGroup,), {"default_command": default})
    return typer.Typer(
        help=help,
        cls=cls,
        rich_markup_mode=None,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings=SETTINGS,
    )


def command(fn: F) -> F:
    """Give a command the global options and a :class:`Session` as its ``session`` argument."""
    signature = inspect.signature(fn, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name != "session"]
    wants_session = "session" in signature.parameters

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = GlobalOptions(*(kwargs.pop(name) for name in ("profile", "api_key", "base_url", "no_retry")))
        if wants_session:
            kwargs["session"] = Session(given.over(root_options_now()))
        return fn(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*params, *_GLOBAL_PARAMS])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*params, *_GLOBAL_PARAMS]}
    return wrapper  # type: ignore[return-value]


def root_options_now() -> GlobalOptions:
    from mg.cli import _session

    return _session.root_options


__all__ = [
    "GLOBAL_OPTION_NAMES",
    "SETTINGS",
    "ApiKeyOption",
    "BaseUrlOption",
    "DefaultCommandGroup",
    "JsonOption",
    "NoRetryOption",
    "ProfileOption",
    "Session",
    "command",
    "new_group",
    "ordered_group",
]
