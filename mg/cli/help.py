"""``mg help``: topics (environment variables, exit codes) and help for any command."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, command
from mg.cli._errors import NotFound

TOPICS = {
    "environment": "every environment variable mg and the gateway read",
    "exit-codes": "what each exit code means",
}
ALIASES = {"env": "environment", "environ": "environment", "exit": "exit-codes", "codes": "exit-codes"}


def environment() -> list[dict[str, Any]]:
    from mg.cli._env import CLI_ENVIRONMENT, OTHER_ENVIRONMENT
    from mg.cli.gateway import gateway_environment

    rows = [{"name": k, "scope": "cli", "description": v} for k, v in CLI_ENVIRONMENT.items()]
    rows += [{"name": k, "scope": "gateway", "description": v} for k, v in gateway_environment().items()]
    rows += [{"name": k, "scope": "other", "description": v} for k, v in OTHER_ENVIRONMENT.items()]
    return rows


def exit_codes() -> list[dict[str, Any]]:
    from mg.cli._errors import EXIT_CODES

    return [{"code": code, "meaning": meaning} for code, meaning in EXIT_CODES]


@command
def help_topic(
    topic: Annotated[
        list[str] | None,
        typer.Argument(metavar="[TOPIC | COMMAND...]", help="A topic, or a command to show the help of."),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Help topics, or the help of a command.

    \b
    Topics:
      environment   every MG_* variable (CLI, SDK and gateway)
      exit-codes    what each exit code means

    \b
    Examples:
      mg help environment
      mg help exit-codes --json
      mg help gateway serve
    """
    from mg.cli import _output

    words = list(topic or [])
    name = ALIASES.get(words[0], words[0]) if words else None
    if name is None:
        if json_:
            _output.print_json([{"topic": k, "about": v} for k, v in TOPICS.items()])
            return
        _output.print_table(["topic", "about"], [[k, v] for k, v in TOPICS.items()])
        _output.info("\nmg help TOPIC shows a topic; mg help COMMAND (or mg COMMAND --help) a command.")
        return
    if name == "environment":
        rows = environment()
        if json_:
            _output.print_json(rows)
        else:
            _output.print_table(
                ["variable", "read by", "meaning"], [[r["name"], r["scope"], r["description"]] for r in rows]
            )
        return
    if name == "exit-codes":
        rows = exit_codes()
        if json_:
            _output.print_json(rows)
        else:
            _output.print_table(["code", "meaning"], [[r["code"], r["meaning"]] for r in rows])
        return
    from mg.cli.main import click_command, main

    node: Any = click_command()
    for word in words:
        node = node.get_command(None, word) if hasattr(node, "get_command") else None
        if node is None:
            raise NotFound(
                f"No help topic or command named '{' '.join(words)}'.", "See `mg help` for the topics."
            )
    main([*words, "--help"])
