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
from typing import Annotated, Any, TypeVar, cast

import typer
from typer.core import TyperGroup

from mg.cli import _session
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

SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class DefaultCommandGroup(TyperGroup):
    """A group that runs its default command (usually ``list``) when given no command.

    With ``default_takes_args`` a first word that is no command is the default command's
    argument: ``mg threads state thr_1`` is ``mg threads state get thr_1``.
    """

    default_command: str | None = None
    default_takes_args: bool = False

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if self.default_command and (
            not args
            or (args[0].startswith("-") and args[0] not in ("-h", "--help"))
            or (self.default_takes_args and not args[0].startswith("-") and args[0] not in self.commands)
        ):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


class LazyGroup(TyperGroup):
    """The root group: each command's module is imported only when that command is used.

    ``entries`` maps a command name to ``(module, attribute, summary)``; the attribute is a group
    (a ``typer.Typer``) or a command function, and the summary is its help's first line, shown by
    ``mg --help`` without importing anything (a test keeps the two equal).
    """

    entries: dict[str, tuple[str, str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Names known up front, so "did you mean" suggestions work before anything is loaded;
        # each value stays None until get_command loads it.
        self.commands = dict.fromkeys(self.entries)  # type: ignore[assignment]

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.entries)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.entries:
            return None
        if self.commands.get(cmd_name) is None:
            module, attribute, _ = self.entries[cmd_name]
            self.commands[cmd_name] = load_command(cmd_name, module, attribute)
        return self.commands[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, _, summary) in self.entries.items()])


def load_command(name: str, module: str, attribute: str) -> Any:
    """The click command of a group (``typer.Typer``) or of a command function."""
    from importlib import import_module

    target = getattr(import_module(module), attribute)
    if not isinstance(target, typer.Typer):
        single = typer.Typer(rich_markup_mode=None, add_completion=False, context_settings=SETTINGS)
        single.command(name)(target)
        target = single
    command = typer.main.get_command(target)
    command.name = name
    return command


def lazy_group(entries: dict[str, tuple[str, str, str]]) -> type[LazyGroup]:
    return type("LazyGroup", (LazyGroup,), {"entries": entries})


def subcommands(group: Any) -> list[tuple[str, Any]]:
    """A group's commands, loaded (``group.commands`` may hold names not yet loaded)."""
    return [(name, group.get_command(None, name)) for name in group.list_commands(None)]


def new_group(help: str, default: str | None = "list", *, default_takes_args: bool = False) -> typer.Typer:
    cls = type(
        "DefaultCommandGroup",
        (DefaultCommandGroup,),
        {"default_command": default, "default_takes_args": default_takes_args},
    )
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
            kwargs["session"] = Session(given.over(_session.root_options))
        return fn(*args, **kwargs)

    # typer reads the signature inspect finds; typeshed's function type has no __signature__.
    wrapper.__signature__ = signature.replace(parameters=[*params, *_GLOBAL_PARAMS])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*params, *_GLOBAL_PARAMS]}
    return cast(F, wrapper)


__all__ = [
    "SETTINGS",
    "ApiKeyOption",
    "BaseUrlOption",
    "DefaultCommandGroup",
    "JsonOption",
    "NoRetryOption",
    "ProfileOption",
    "Session",
    "command",
    "lazy_group",
    "new_group",
    "subcommands",
]
