"""``mg threads export`` and ``mg threads batch``: conversations out, NPC definitions in, in bulk.

Registered on the ``threads`` group by :mod:`mg.cli.threads`.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command
from mg.cli._errors import EXIT_API, CLIError, UsageError

if TYPE_CHECKING:
    from mg.errors import MonsterError

NpcOption = Annotated[
    str | None, typer.Option("--npc", metavar="ID", help="Only this NPC's conversations.", show_default=False)
]
PlayerOption = Annotated[
    str | None,
    typer.Option("--player", metavar="ID", help="Only this player's conversations.", show_default=False),
]
FileArgument = Annotated[str, typer.Argument(metavar="FILE", help="JSON file, or - for stdin.")]


class Format(StrEnum):
    jsonl = "jsonl"
    json = "json"


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
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


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
