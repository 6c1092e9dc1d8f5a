"""``mg npc``: NPC templates, the ready-made personalities a thread can start from."""

from __future__ import annotations

from typing import Annotated

import typer

from mg.cli._app import JsonOption, Session, command, new_group

app = new_group(
    "NPC templates: ready-made personalities with actions and a response style.", default="templates"
)


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
    json_: JsonOption = False,
) -> None:
    """List NPC templates (public: needs no key).

    \b
    Examples:
      mg npc templates
      mg npc templates --tags rpg,trade
      mg npc templates --json | jq -r '.[].id'
    """
    from mg.cli import _output

    wanted = [t.strip() for t in (tags or "").split(",") if t.strip()]
    with session.client(need_key=False) as client:
        templates = client.npc.templates.list(tags=wanted or None)
    if json_:
        _output.print_json(templates)
        return
    _output.print_table(
        ["template", "name", "tags", "style", "description"],
        [
            [
                t.get("id"),
                t.get("name"),
                ", ".join(t.get("tags") or []),
                t.get("response_style"),
                t.get("description"),
            ]
            for t in templates
        ],
    )


@app.command("template")
@command
def npc_template(
    session: Session,
    template_id: Annotated[
        str, typer.Argument(metavar="ID", help="Template id, e.g. merchant.", show_default=False)
    ],
    json_: JsonOption = False,
) -> None:
    """Show a template: system prompt, actions, response style and an example.

    \b
    Examples:
      mg npc template merchant
      mg npc template villain --json | jq -r .system_prompt
      mg chat --local --template merchant --npc blacksmith_01    # talk to one
    """
    import sys

    from mg.cli import _output
    from mg.cli._npc_view import ACTION_COLUMNS, action_rows

    with session.client(need_key=False) as client:
        template = client.npc.templates.get(template_id)
    if json_:
        _output.print_json(template)
        return
    out = sys.stdout
    out.write(f"{template.get('name')} ({template.get('id')})\n")
    out.write(
        f"tags: {', '.join(template.get('tags') or [])} · response style: {template.get('response_style')}\n"
    )
    if template.get("description"):
        out.write(f"\n{template['description']}\n")
    out.write(f"\nSystem prompt:\n{template.get('system_prompt') or ''}\n")
    actions = template.get("actions") or []
    out.write("\nActions:\n" if actions else "\nActions: none\n")
    out.flush()
    if actions:
        _output.print_table(ACTION_COLUMNS, action_rows(actions))
    example = template.get("example") or {}
    if example:
        out.write("\nExample:\n")
        for who, text in example.items():
            out.write(f"  {who}: {text}\n")
    out.flush()
