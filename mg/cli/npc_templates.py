"""``mg npc template``: show a template; write, create, update, diff and remove your own.

Your templates live as files in your repository (TOML, or YAML or JSON): ``init`` writes a
commented starter, ``create`` and ``update`` send a file, ``diff`` shows what an update would
change. ``mg npc template ID`` is ``mg npc template show ID``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group
from mg.cli._errors import NotFound, UsageError

if TYPE_CHECKING:
    from mg.client import MonsterClient

template_app = new_group(
    "Show an NPC template; write, create, update, diff or remove your own.",
    default="show",
    default_takes_args=True,
)

TemplateArgument = Annotated[
    str, typer.Argument(metavar="ID", help="Template id, e.g. merchant.", show_default=False)
]
FileArgument = Annotated[
    Path,
    typer.Argument(metavar="FILE", help="A template file: .toml, .yaml/.yml or .json.", show_default=False),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Check the file with the gateway and store nothing.")
]


def _read(path: Path) -> dict[str, Any]:
    from mg.template_files import TemplateFileError, read_template

    if not path.is_file():
        raise NotFound(f"{path}: no such file.", "Start one with `mg npc template init NAME`.")
    try:
        return read_template(path)
    except TemplateFileError as exc:
        raise UsageError(exc.message, exc.remediation) from exc


def _fetch(client: MonsterClient, template_id: str) -> dict[str, Any] | None:
    from mg.errors import NotFoundError

    try:
        return client.npc.templates.get(template_id)
    except NotFoundError:
        return None


def _owner(template: dict[str, Any]) -> str:
    if template.get("builtin", True):
        return "built-in"
    return f"yours, version {template.get('version')} (updated {template.get('updated_at')})"


@template_app.command("show")
@command
def template_show(
    session: Session,
    template_id: TemplateArgument,
    toml: Annotated[
        bool, typer.Option("--toml", help="Print it as a template file (to keep or change in your repo).")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Show a template: system prompt, actions, response style and examples.

    \b
    Examples:
      mg npc template merchant
      mg npc template show iron_smith --toml > npcs/iron_smith.toml
      mg npc template villain --json | jq -r .system_prompt
      mg chat --local --template merchant --npc blacksmith_01    # talk to one
    """
    import sys

    from mg.cli import _output
    from mg.cli._npc_view import ACTION_COLUMNS, action_rows

    with session.client(need_key=False, any_key=True) as client:
        template = client.npc.templates.get(template_id)
    if json_:
        _output.print_json(template)
        return
    if toml:
        from mg.template_files import TemplateFileError, dumps_toml

        try:
            sys.stdout.write(dumps_toml(template))
        except TemplateFileError as exc:
            raise UsageError(exc.message, exc.remediation) from exc
        return
    out = sys.stdout
    out.write(f"{template.get('name')} ({template.get('id')}) · {_owner(template)}\n")
    out.write(
        f"tags: {', '.join(template.get('tags') or [])} · response style: {template.get('response_style')}"
        + (f" · default model: {template['default_model']}" if template.get("default_model") else "")
        + "\n"
    )
    if template.get("description"):
        out.write(f"\n{template['description']}\n")
    out.write(f"\nSystem prompt:\n{(template.get('system_prompt') or '').rstrip()}\n")
    actions = template.get("actions") or []
    out.write("\nActions:\n" if actions else "\nActions: none\n")
    out.flush()
    if actions:
        _output.print_table(ACTION_COLUMNS, action_rows(actions))
    examples = template.get("examples") or ([template["example"]] if template.get("example") else [])
    if examples:
        out.write("\nExample:\n" if len(examples) == 1 else "\nExamples:\n")
        for example in examples:
            for who, text in example.items():
                out.write(f"  {who}: {text}\n")
    if template.get("state_schema"):
        import json

        out.write(f"\nState schema:\n{json.dumps(template['state_schema'], indent=2)}\n")
    out.flush()


@template_app.command("init")
@command
def template_init(
    session: Session,
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="The NPC's name; its id is made from it.", show_default=False),
    ],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="ID", help="Start from this template (built-in or yours).", show_default=False
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Where to write it ('-': stdout) [default: ID.toml]."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
) -> None:
    """Write a commented starter template file (TOML) for your repository.

    \b
    Examples:
      mg npc template init "Tavern Bard"           # writes tavern_bard.toml
      mg npc template init iron_smith --from merchant -o npcs/iron_smith.toml
      mg npc template create tavern_bard.toml      # then add it to your account
    """
    import sys

    from mg.cli import _output
    from mg.template_files import TemplateFileError, dumps_toml, slug, starter

    if not slug(name):
        raise UsageError(f"{name!r} makes no template id: use letters and digits.")
    base = None
    if from_ is not None:
        with session.client(need_key=False, any_key=True) as client:
            base = client.npc.templates.get(from_)
    fields = starter(name, base)
    target = output or Path(f"{fields['id']}.toml")
    try:
        text = dumps_toml(fields, target.name if str(target) != "-" else None)
    except TemplateFileError as exc:
        raise UsageError(exc.message, exc.remediation) from exc
    if str(target) == "-":
        sys.stdout.write(text)
        return
    if target.exists() and not force:
        raise UsageError(
            f"{target} exists already.", "Pass --force to overwrite it, or -o to write elsewhere."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    _output.success(f"Wrote {target}: edit it, then `mg npc template create {target}`.")


def _saved(template: dict[str, Any], json_: bool, message: str) -> None:
    from mg.cli import _output

    if json_:
        _output.print_json(template)
    else:
        _output.success(message)


@template_app.command("create")
@command
def template_create(
    session: Session, file: FileArgument, dry_run: DryRunOption = False, json_: JsonOption = False
) -> None:
    """Add the template in FILE to your account (version 1).

    \b
    Examples:
      mg npc template create npcs/iron_smith.toml
      mg npc template create npcs/tavern_bard.yaml --dry-run
    """
    body = _read(file)
    with session.client() as client:
        template = client.npc.templates.create(body, dry_run=dry_run)
    what = f"template {template['id']} (version {template['version']})"
    _saved(template, json_, f"{'Checked' if dry_run else 'Created'} {what}.")


@template_app.command("update")
@command
def template_update(
    session: Session,
    file: FileArgument,
    template_id: Annotated[
        str | None,
        typer.Option(
            "--id", metavar="ID", help="The template to update [default: the id in FILE].", show_default=False
        ),
    ] = None,
    dry_run: DryRunOption = False,
    json_: JsonOption = False,
) -> None:
    """Make FILE the new version of your template (the whole template: fields left out reset).

    Threads made from earlier versions keep theirs; new threads get this one.

    \b
    Examples:
      mg npc template update npcs/iron_smith.toml
      mg npc template diff iron_smith npcs/iron_smith.toml    # first see what would change
    """
    body = _read(file)
    template_id = template_id or body.get("id")
    if not isinstance(template_id, str):
        raise UsageError(f"{file} has no id.", 'Add `id = "..."` to the file, or pass --id.')
    with session.client() as client:
        before = None if dry_run else _fetch(client, template_id)
        template = client.npc.templates.replace(template_id, body, dry_run=dry_run)
    if dry_run:
        message = f"Checked: template {template_id} would be version {template['version']}."
    elif before is not None and before.get("version") == template["version"]:
        message = f"Template {template_id} is unchanged (version {template['version']})."
    else:
        message = f"Updated template {template_id} to version {template['version']}."
    _saved(template, json_, message)


@template_app.command("rm")
@command
def template_rm(
    session: Session,
    template_id: TemplateArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (only a terminal is asked).")] = False,
    json_: JsonOption = False,
) -> None:
    """Delete one of your templates. Threads made from it keep working with their copy.

    \b
    Examples:
      mg npc template rm tavern_bard
    """
    from mg.cli import _output

    with session.client() as client:
        asked = not yes and _output.interactive()
        if asked and not typer.confirm(f"Delete your template {template_id}?", default=False, err=True):
            _output.info("Nothing deleted.")
            return
        result = client.npc.templates.delete(template_id)
    if json_:
        _output.print_json(result)
        return
    _output.success(f"Deleted template {template_id}; threads made from it keep their copy.")


@template_app.command("diff")
@command
def template_diff(session: Session, template_id: TemplateArgument, file: FileArgument) -> None:
    """Show what `update FILE` would change in your template ID (a unified diff).

    The gateway checks the file (a dry run), so the diff shows what it would store.

    \b
    Examples:
      mg npc template diff iron_smith npcs/iron_smith.toml
    """
    import difflib
    import sys

    from mg.cli import _output
    from mg.template_files import TemplateFileError, dumps_toml

    body = _read(file)
    with session.client() as client:
        current = _fetch(client, template_id)
        if current is not None and current.get("builtin", True):
            raise UsageError(
                f"{template_id} is a built-in template; built-ins cannot be updated.",
                f"Make your own from it: mg npc template init NAME --from {template_id}",
            )
        if current is None:
            would = client.npc.templates.create(dict(body, id=body.get("id", template_id)), dry_run=True)
        else:
            would = client.npc.templates.replace(template_id, body, dry_run=True)
    try:
        old = dumps_toml(current, comments=False) if current is not None else ""
        new = dumps_toml(would, comments=False)
    except TemplateFileError as exc:
        raise UsageError(exc.message, exc.remediation) from exc
    if current is not None and current.get("version") == would.get("version"):
        _output.info(f"No changes: {template_id} stays at version {current['version']}.")
        return
    before = (
        f"{template_id} (version {current['version']})" if current else f"{template_id} (does not exist yet)"
    )
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=before,
        tofile=f"{file} (would be version {would['version']})",
    )
    sys.stdout.writelines(lines)
    sys.stdout.flush()
