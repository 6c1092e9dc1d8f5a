"""``mg npc``: NPC templates, the personalities a thread can start from (built-in, or yours)."""

from __future__ import annotations

from typing import Annotated

import typer

from mg.cli._app import JsonOption, Session, command, new_group
from mg.cli.npc_templates import template_app

app = new_group(
    "NPC templates: ready-made personalities with actions and a response style.", default="templates"
)
app.add_typer(template_app, name="template")


@app.command("templates")
@command
def npc_templates(
    session: Session,
    tags: Annotated[
        str | None,
        typer.Option(
            "--tags", metavar="A,B", help="Only templates with every one of these tags.", show_default=False
        ),
    ] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only your own templates (needs a key).")] = False,
    json_: JsonOption = False,
) -> None:
    """List NPC templates: the built-in ones, then yours (without a key: the built-ins).

    \b
    Examples:
      mg npc templates
      mg npc templates --mine
      mg npc templates --tags rpg,trade
      mg npc templates --json | jq -r '.[].id'
    """
    from mg.cli import _output

    wanted = [t.strip() for t in (tags or "").split(",") if t.strip()]
    with session.client(need_key=mine, any_key=not mine) as client:
        templates = client.npc.templates.list(tags=wanted or None)
    if mine:
        templates = [t for t in templates if not t.get("builtin", True)]
    if json_:
        _output.print_json(templates)
        return
    if mine and not templates:
        _output.info("You have no templates of your own yet: `mg npc template init NAME` starts one.")
        return
    _output.print_table(
        ["template", "name", "tags", "style", "version", "description"],
        [
            [
                t.get("id"),
                t.get("name"),
                ", ".join(t.get("tags") or []),
                t.get("response_style"),
                "built-in" if t.get("builtin", True) else f"v{t.get('version')}",
                t.get("description"),
            ]
            for t in templates
        ],
    )
