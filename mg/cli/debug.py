"""``mg debug sessions``: debug sessions for Debug Adapter Protocol integrations."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group

app = new_group("Debug sessions for DAP integrations.", default=None)
sessions = new_group("Create, list, show and archive debug sessions.")
app.add_typer(sessions, name="sessions")


def _row(s: dict[str, Any]) -> list[Any]:
    return [s["id"], s["name"], s["platform"], s["engine"], s["created_at"]]


@sessions.command("list")
@command
def sessions_list(session: Session, json_: JsonOption = False) -> None:
    """List active (not archived) debug sessions, newest first."""
    from mg.cli import _output

    with session.client() as client:
        rows = client.debug.sessions.list(limit=100)
    if json_:
        _output.print_json(rows)
    else:
        _output.print_table(["id", "name", "platform", "engine", "created"], [_row(s) for s in rows])


@sessions.command("create")
@command
def sessions_create(
    session: Session,
    name: Annotated[str, typer.Argument(metavar="NAME", help="What is being debugged.", show_default=False)],
    platform: Annotated[str | None, typer.Option("--platform", help="Platform, e.g. windows or ps5.")] = None,
    engine: Annotated[str | None, typer.Option("--engine", help="Engine, e.g. unreal.")] = None,
    metadata: Annotated[str | None, typer.Option("--metadata", help="A JSON object to keep with it.")] = None,
    json_: JsonOption = False,
) -> None:
    """Create a debug session.

    \b
    Example:
      mg debug sessions create "boss fight repro" --platform windows --metadata '{"map": 3}'
    """
    from mg.cli import _output
    from mg.cli._errors import UsageError

    meta = None
    if metadata is not None:
        try:
            meta = json.loads(metadata)
        except ValueError:
            meta = None
        if not isinstance(meta, dict):
            raise UsageError("--metadata must be a JSON object.", "e.g. --metadata '{\"map\": 3}'")
    with session.client() as client:
        made = client.debug.sessions.create(name=name, platform=platform, engine=engine, metadata=meta)
    if json_:
        _output.print_json(made)
    else:
        _output.success(f"created {made['id']}")


@sessions.command("show")
@command
def sessions_show(
    session: Session,
    session_id: Annotated[str, typer.Argument(metavar="ID", help="Session id (dbg_…).", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Show one debug session."""
    from mg.cli import _output

    with session.client() as client:
        found = client.debug.sessions.get(session_id)
    if json_:
        _output.print_json(found)
    else:
        _output.print_table(["id", "name", "platform", "engine", "created"], [_row(found)])
        if found["metadata"]:
            _output.print_json(found["metadata"])


@sessions.command("archive")
@command
def sessions_archive(
    session: Session,
    session_id: Annotated[str, typer.Argument(metavar="ID", help="Session id (dbg_…).", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Archive a debug session (kept for the audit trail, hidden from lists)."""
    from mg.cli import _output

    with session.client() as client:
        archived = client.debug.sessions.archive(session_id)
    if json_:
        _output.print_json(archived)
    else:
        _output.success(f"archived {archived['id']}")
