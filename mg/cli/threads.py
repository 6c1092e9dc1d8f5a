"""``mg threads``: NPC conversation threads: list, create, inspect, delete, export, populate."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group
from mg.cli._errors import EXIT_API, CLIError, UsageError
from mg.cli.threads_state import actions_app, state_app

if TYPE_CHECKING:
    from mg.errors import MonsterError

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
FileArgument = Annotated[str, typer.Argument(metavar="FILE", help="JSON file, or - for stdin.")]


# Enums, so that typer offers the choices (in --help, errors and completions) on every version.
class Style(StrEnum):
    terse = "terse"
    normal = "normal"
    verbose = "verbose"
    dramatic = "dramatic"


class Order(StrEnum):
    asc = "asc"
    desc = "desc"


class Format(StrEnum):
    jsonl = "jsonl"
    json = "json"


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


@app.command("export")
@command
def threads_export(
    session: Session,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            metavar="jsonl|json",
            help="jsonl: OpenAI fine-tuning chat format, one example a line; json: threads whole.",
        ),
    ] = Format.jsonl,
    npc: NpcOption = None,
    player: PlayerOption = None,
    threads: Annotated[
        list[str] | None,
        typer.Option(
            "--thread", "-t", metavar="ID", help="Only this thread (repeat it).", show_default=False
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="TIME", help="Messages from this time on (ISO 8601, UTC).", show_default=False
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar="TIME", help="Messages before this time (ISO 8601, UTC).", show_default=False
        ),
    ] = None,
    no_system: Annotated[
        bool, typer.Option("--no-system", help="Leave the system prompt out of each example.")
    ] = False,
    max_messages: Annotated[
        int | None,
        typer.Option(
            "--max-messages",
            metavar="N",
            min=2,
            help="Split threads into examples of at most N messages.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here [default: stdout].",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="With -o: print what was written (path, bytes, examples) as JSON.")
    ] = False,
) -> None:
    """Export conversations for fine-tuning (JSONL) or as JSON.

    Streams: pieces are written as they arrive, so an export of any size
    runs in flat memory. With -o the file appears only once it is whole.

    \b
    Examples:
      mg threads export -o dialogue.jsonl
      mg threads export --npc blacksmith_01 --since 2026-05-01T00:00:00Z | wc -l
      mg threads export --format json --player player_42 -o player_42.json --json
    """
    if json_ and output is None:
        raise UsageError(
            "--json describes a file written with -o; without -o the export itself goes to stdout.",
            "mg threads export -o FILE --json",
        )
    filters = {
        "format": fmt.value,
        "npc_id": npc,
        "player_id": player,
        "thread_ids": threads or None,
        "since": since,
        "until": until,
        "include_system": False if no_system else None,
        "max_messages": max_messages,
    }
    with session.client() as client, client.threads.export_stream(**filters) as stream:
        if output is None:
            _to_stdout(stream)
            return
        written, lines = _to_file(stream, output)
    from mg.cli import _output

    examples = lines if fmt is Format.jsonl else None
    if json_:
        _output.print_json({"path": str(output), "format": fmt.value, "bytes": written, "examples": examples})
        return
    counted = f"{examples} example{'' if examples == 1 else 's'}, " if examples is not None else ""
    _output.success(f"Exported {counted}{_size(written)} to {output}.")


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _to_stdout(stream: Any) -> None:
    out = sys.stdout.buffer
    try:
        for piece in stream:
            out.write(piece)
        out.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as cat does.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _to_file(stream: Any, target: Path) -> tuple[int, int]:
    """Write beside the target and rename when whole: a failed export leaves no half file."""
    partial = target.with_name(target.name + ".partial")
    written = lines = 0
    try:
        with partial.open("wb") as f:
            for piece in stream:
                f.write(piece)
                written += len(piece)
                lines += piece.count(b"\n")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UsageError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written, lines


@app.command("batch")
@command
def threads_batch(session: Session, file: FileArgument, json_: JsonOption = False) -> None:
    """Create or update up to 50 NPC threads from a file, all or nothing.

    FILE holds {"npcs": [{"npc_id", "npc_template", "system_prompt",
    "metadata", "player_id", …}, …]}. An NPC that already has a thread (for
    the same player, or none) is updated, not duplicated, so a game can run
    this at every start. If one entry is wrong nothing changes, and the
    error names the entry.

    \b
    Examples:
      mg threads batch world.json
      jq '{npcs: .characters}' level1.json | mg threads batch -
    """
    from mg.cli import _output
    from mg.cli._input import read_json
    from mg.errors import InvalidRequestError

    shape = 'an object {"npcs": [...]}'
    data = read_json(file, shape)
    if isinstance(data, list):
        data = {"npcs": data}
    if not isinstance(data, dict) or not isinstance(data.get("npcs"), list):
        raise UsageError(f"{file} does not hold {shape}.", 'Example: {"npcs": [{"npc_id": "blacksmith_01"}]}')
    unknown = sorted(set(data) - {"npcs"})
    if unknown:
        raise UsageError(f"{file} has fields other than 'npcs': {', '.join(unknown)}.")
    npcs = data["npcs"]
    with session.client() as client:
        try:
            result = client.threads.batch(npcs)
        except InvalidRequestError as exc:
            raise _batch_error(exc, npcs, file) from exc
    if json_:
        _output.print_json(
            {
                "data": result.get("data", []),
                "created": result.get("created"),
                "updated": result.get("updated"),
            }
        )
        return
    _output.print_table(
        ["npc", "player", "thread", "result"],
        [
            [t.get("npc_id"), t.get("player_id"), t.get("id"), "created" if t.get("created") else "updated"]
            for t in result.get("data", [])
        ],
    )
    _output.success(f"{result.get('created', 0)} created, {result.get('updated', 0)} updated.")


def _batch_error(exc: MonsterError, npcs: list[Any], file: str) -> CLIError:
    """The gateway's error, with which entry of the file it is about and that nothing changed."""
    import re

    from mg.cli._errors import describe

    message, remediation = describe(exc)
    found = re.search(r"npcs\[(\d+)\]", exc.message)
    where = "the file"
    if found:
        index = int(found.group(1))
        entry = npcs[index] if index < len(npcs) else None
        npc_id = entry.get("npc_id") if isinstance(entry, dict) else None
        where = f"entry {index} of {file}" + (f" (npc_id {npc_id!r})" if npc_id else "")
    hint = f"Fix {where} and run it again: a batch is all or nothing, so nothing was created or updated."
    return CLIError(message, f"{hint} {remediation}" if remediation else hint, exit_code=EXIT_API)
