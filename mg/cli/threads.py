"""``mg threads``: NPC conversation threads: list, create, inspect, delete, export, populate."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group
from mg.cli.threads_bulk import threads_batch, threads_export
from mg.cli.threads_state import actions_app, state_app

app = new_group("Manage NPC threads: memory, game state, actions, batch population and export.")
app.add_typer(state_app, name="state")
app.add_typer(actions_app, name="actions")

ThreadArgument = Annotated[str, typer.Argument(metavar="ID", help="Thread id (thr_…).", show_default=False)]
NpcOption = Annotated[
    str | None, typer.Option("--npc", metavar="ID", help="Only this NPC's threads.", show_default=False)
]
PlayerOption = Annotated[
    str | None, typer.Option("--player", metavar="ID", help="Only this player's threads.", show_default=False)
]
LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-n",
        metavar="N",
        min=1,
        max=100,
        help="Page size, 1-100 [default: 20].",
        show_default=False,
    ),
]


# Enums, so that typer offers the choices (in --help, errors and completions) on every version.
class Style(StrEnum):
    terse = "terse"
    normal = "normal"
    verbose = "verbose"
    dramatic = "dramatic"


class Order(StrEnum):
    asc = "asc"
    desc = "desc"


THREAD_COLUMNS = ["id", "npc", "player", "template", "messages", "last message"]


def _thread_row(t: dict[str, Any]) -> list[Any]:
    from mg.cli._npc_view import thread_who

    return [
        t.get("id"),
        thread_who(t),
        t.get("player_id"),
        t.get("npc_template"),
        t.get("message_count"),
        t.get("last_message_at") or t.get("created_at"),
    ]


def _next_page_hint(command_words: str, flags: list[tuple[str, Any]]) -> str:
    given = " ".join(f"{flag} {value}" for flag, value in flags if value is not None)
    return f"more: mg {command_words} {given}".rstrip()


@app.command("list")
@command
def threads_list(
    session: Session,
    npc: NpcOption = None,
    player: PlayerOption = None,
    limit: LimitOption = None,
    before: Annotated[
        str | None,
        typer.Option(
            "--before", metavar="ID", help="The page after this thread (a cursor).", show_default=False
        ),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """List threads, newest first, a page at a time.

    When there are more, stderr says how to get the next page (--before
    the last id shown); --json has the cursor as next_before.

    \b
    Examples:
      mg threads list --npc blacksmith_01
      mg threads list --player player_42 --json | jq -r '.data[].id'
      mg threads list --limit 100 --before thr_…      # the next page
    """
    from mg.cli import _output

    with session.client() as client:
        page = client.threads.list_page(npc_id=npc, player_id=player, limit=limit, before=before)
    data, cursor = page.get("data", []), page.get("next_before")
    if json_:
        _output.print_json({"data": data, "has_more": bool(page.get("has_more")), "next_before": cursor})
        return
    _output.print_table(THREAD_COLUMNS, [_thread_row(t) for t in data])
    if cursor:
        flags = [("--npc", npc), ("--player", player), ("--limit", limit), ("--before", cursor)]
        _output.note(_next_page_hint("threads list", flags))


@app.command("create")
@command
def threads_create(
    session: Session,
    npc: Annotated[
        str | None, typer.Option("--npc", metavar="ID", help="The NPC (npc_id).", show_default=False)
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="NAME",
            help="NPC template, e.g. merchant (its actions come too).",
            show_default=False,
        ),
    ] = None,
    player: Annotated[
        str | None,
        typer.Option("--player", metavar="ID", help="The player, for per-player memory.", show_default=False),
    ] = None,
    system: Annotated[
        str | None,
        typer.Option(
            "--system", "-s", metavar="TEXT", help="The NPC's own system prompt.", show_default=False
        ),
    ] = None,
    style: Annotated[
        Style | None,
        typer.Option(
            "--style",
            metavar="STYLE",
            help="Response style: terse, normal, verbose or dramatic.",
            show_default=False,
        ),
    ] = None,
    metadata: Annotated[
        list[str] | None,
        typer.Option(
            "--metadata",
            "-m",
            metavar="KEY=VALUE|JSON",
            help="Metadata: key=value (repeat it) or a JSON object.",
            show_default=False,
        ),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Create a thread for an NPC (and a player); prints its id.

    Chatting with --npc and --player finds or creates the thread by itself;
    create one up front to give it a system prompt, metadata or a template.
    Values of --metadata key=value are JSON when they parse (5, true).

    \b
    Examples:
      mg threads create --npc blacksmith_01 --template merchant --player player_42
      mg threads create --npc guard_07 -s "You guard the north gate." -m location=gate -m level=3
      id=$(mg threads create --npc innkeeper_01)
    """
    from mg.cli import _output
    from mg.cli._input import object_from_options

    meta = object_from_options(metadata or [], "--metadata") if metadata else None
    with session.client() as client:
        thread = client.threads.create(
            npc_id=npc,
            system_prompt=system,
            metadata=meta,
            player_id=player,
            npc_template=template,
            response_style=style.value if style else None,
        )
    if json_:
        _output.print_json(thread)
        return
    sys.stdout.write(f"{thread['id']}\n")
    who = ", ".join(f"{k} {v}" for k, v in (("npc", npc), ("player", player), ("template", template)) if v)
    _output.success(f"Created thread {thread['id']}" + (f" ({who})." if who else "."))


@app.command("group")
@command
def threads_group(
    session: Session,
    npcs: Annotated[
        list[str],
        typer.Argument(
            metavar="NPC[:TEMPLATE]...",
            help="2 to 20 NPCs, each an npc_id with an optional template: guard_07:guard.",
            show_default=False,
        ),
    ],
    player: Annotated[
        str | None,
        typer.Option("--player", metavar="ID", help="The player in the scene.", show_default=False),
    ] = None,
    system: Annotated[
        str | None,
        typer.Option("--system", "-s", metavar="TEXT", help="The scene's setting.", show_default=False),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Start a group scene with several NPCs; prints its id.

    Then direct who speaks with `mg chat --group ID --as NPC`.

    \b
    Examples:
      mg threads group innkeeper_01:merchant guard_07:guard --player player_42
      id=$(mg threads group bard_01 villain_01:villain -s "A tense feast in the great hall.")
    """
    from mg.cli import _output

    participants = []
    for spec in npcs:
        npc_id, _, template = spec.partition(":")
        participants.append({"npc_id": npc_id, **({"npc_template": template} if template else {})})
    fields = {k: v for k, v in (("player_id", player), ("system_prompt", system)) if v}
    with session.client() as client:
        thread = client.threads.create_group(npcs=participants, **fields)
    if json_:
        _output.print_json(thread)
        return
    sys.stdout.write(f"{thread['id']}\n")
    names = ", ".join(p["npc_id"] for p in participants)
    _output.success(f"Started group scene {thread['id']} with {names}.")


@app.command("show")
@command
def threads_show(session: Session, thread_id: ThreadArgument, json_: JsonOption = False) -> None:
    """Show a thread: its NPC, player, prompt, metadata, counts and memory.

    \b
    Examples:
      mg threads show thr_…
      mg threads show thr_… --json | jq .memory
    """
    from mg.cli import _output
    from mg.cli._npc_view import thread_fields

    with session.client() as client:
        thread = client.threads.get(thread_id)
    if json_:
        _output.print_json(thread)
        return
    _output.print_table(["field", "value"], thread_fields(thread))


@app.command("messages")
@command
def threads_messages(
    session: Session,
    thread_id: ThreadArgument,
    limit: LimitOption = None,
    order: Annotated[
        Order | None,
        typer.Option(
            "--order",
            metavar="asc|desc",
            help="Oldest first (asc, the default) or newest first.",
            show_default=False,
        ),
    ] = None,
    after: Annotated[
        str | None,
        typer.Option("--after", metavar="MSG_ID", help="Only messages after this one.", show_default=False),
    ] = None,
    before: Annotated[
        str | None,
        typer.Option("--before", metavar="MSG_ID", help="Only messages before this one.", show_default=False),
    ] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Every page, not just the first.")] = False,
    json_: JsonOption = False,
) -> None:
    """Show a thread's messages, a page at a time (--all for every page).

    When there are more, stderr says how to get the next page.

    \b
    Examples:
      mg threads messages thr_…
      mg threads messages thr_… --order desc --limit 5
      mg threads messages thr_… --all --json | jq -r '.data[].content'
    """
    from mg.cli import _output
    from mg.cli._npc_view import message_row

    order_by = order.value if order else None
    descending = order_by == "desc"
    rows: list[dict[str, Any]] = []
    with session.client() as client:
        while True:
            page = client.threads.messages_page(
                thread_id, limit=100 if all_pages else limit, order=order_by, after=after, before=before
            )
            rows += page.get("data", [])
            more, last = bool(page.get("has_more")), page.get("last_id")
            if not (all_pages and more and last):
                break
            after, before = (after, last) if descending else (last, before)
    if json_:
        _output.print_json(
            {
                "data": rows,
                "first_id": rows[0]["id"] if rows else None,
                "last_id": rows[-1]["id"] if rows else None,
                "has_more": more,
            }
        )
        return
    _output.print_table(["id", "who", "text", "at"], [message_row(m) for m in rows])
    if more and last:
        cursor = ("--before", last) if descending else ("--after", last)
        _output.note(
            _next_page_hint(
                f"threads messages {thread_id}", [("--order", order_by), ("--limit", limit), cursor]
            )
        )


@app.command("rm")
@command
def threads_rm(
    session: Session,
    thread_id: ThreadArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (only a terminal is asked).")] = False,
    json_: JsonOption = False,
) -> None:
    """Delete a thread and all its messages and memories.

    On a terminal it asks first, unless --yes; in scripts it does not ask.

    \b
    Examples:
      mg threads rm thr_…
      mg threads list --npc old_npc | cut -f1 | xargs -n1 mg threads rm
    """
    from mg.cli import _output
    from mg.cli._npc_view import thread_who

    with session.client() as client:
        if not yes and _output.interactive():
            thread = client.threads.get(thread_id)
            what = ", ".join(
                x
                for x in (
                    thread_who(thread),
                    thread.get("player_id") and f"player {thread['player_id']}",
                    f"{thread.get('message_count', 0)} messages",
                )
                if x
            )
            if not typer.confirm(f"Delete thread {thread_id} ({what})?", default=False, err=True):
                _output.info("Nothing deleted.")
                return
        result = client.threads.delete(thread_id)
    if json_:
        _output.print_json(result)
        return
    _output.success(f"Deleted thread {thread_id}.")


app.command("export")(threads_export)
app.command("batch")(threads_batch)
