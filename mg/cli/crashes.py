"""``mg crashes``: crash reports — list, show the symbolicated stack, trends, stats, triage,
analysis, and submitting a minidump by hand.

Exit codes as everywhere (`mg help exit-codes`): 4 when a crash does not exist, 2 for bad usage.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group

STATUSES = ("new", "investigating", "resolved", "wont_fix")

app = new_group("Crash reports: list, show stacks, trends, stats, triage and AI analysis.")


def _short(fingerprint: str | None) -> str:
    return (fingerprint or "")[:12]


@app.command("list")
@command
def crashes_list(
    session: Session,
    game_id: Annotated[str | None, typer.Option("--game", help="Only this game id.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help=f"Only this status: {', '.join(STATUSES)}.")
    ] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="Only this platform.")] = None,
    version: Annotated[str | None, typer.Option("--version", help="Only this game version.")] = None,
    fingerprint: Annotated[str | None, typer.Option("--fingerprint", help="Only this group.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help="How many, newest first.")
    ] = 20,
    json_: JsonOption = False,
) -> None:
    """List crash reports, newest first.

    \b
    Examples:
      mg crashes list --game dungeon --status new
      mg crashes list --json | jq '.[].id'
    """
    from mg.cli import _output
    from mg.cli._errors import UsageError

    if status is not None and status not in STATUSES:
        raise UsageError(f"Unknown --status {status}.", f"Use one of: {', '.join(STATUSES)}.")
    rows: list[dict[str, Any]] = []
    after = None
    with session.client() as client:
        while len(rows) < limit:
            want = min(100, limit - len(rows))
            page = client.debug.crashes.list(
                game_id=game_id,
                status=status,
                platform=platform,
                version=version,
                fingerprint=fingerprint,
                limit=want,
                after=after,
            )
            rows += page
            if len(page) < want:
                break
            after = page[-1]["id"]
    if json_:
        _output.print_json(rows)
        return
    _output.print_table(
        ["id", "received", "game", "platform", "version", "status", "processing", "title"],
        [
            [c["id"], c["created_at"], c["game_id"], c["platform"], c["version"], c["status"],
             c["processing"], c["title"] or c["crash_reason"]]
            for c in rows
        ],
    )  # fmt: skip


@app.command("show")
@command
def crashes_show(
    session: Session,
    crash_id: Annotated[str, typer.Argument(metavar="ID", help="Crash id (crash_…).", show_default=False)],
    all_threads: Annotated[
        bool, typer.Option("--all-threads", help="Every thread's stack, not only the crashed one.")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Show a crash and its symbolicated stack (frame, module, function, file:line, how found).

    \b
    Example:
      mg crashes show crash_3k9x…
    """
    from mg.cli import _output
    from mg.cli._crash_render import print_crash

    with session.client() as client:
        crash = client.debug.crashes.get(crash_id)
    if json_:
        _output.print_json(crash)
    else:
        print_crash(crash, all_threads=all_threads)


@app.command("trends")
@command
def crashes_trends(
    session: Session,
    game_id: Annotated[str | None, typer.Option("--game", help="Only this game id.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date or time (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Before this date or time (ISO 8601).")] = None,
    json_: JsonOption = False,
) -> None:
    """Crash groups by fingerprint, most frequent first; ⚠ marks a regression.

    \b
    Example:
      mg crashes trends --game dungeon --since 2026-11-01
    """
    from mg.cli import _output

    with session.client() as client:
        groups = client.debug.crashes.trends(game_id=game_id, since=since, until=until)
    if json_:
        _output.print_json(groups)
        return
    _output.print_table(
        ["fingerprint", "count", "status", "regression", "title", "last seen", "platforms", "versions"],
        [
            [_short(g["fingerprint"]), g["count"], g["status"], "⚠" if g["regression"] else "", g["title"],
             g["last_seen"], ", ".join(g["platforms"]), ", ".join(g["versions"])]
            for g in groups
        ],
    )  # fmt: skip


@app.command("stats")
@command
def crashes_stats(
    session: Session,
    game_id: Annotated[str | None, typer.Option("--game", help="Only this game id.")] = None,
    json_: JsonOption = False,
) -> None:
    """Totals: crashes, unique fingerprints, by status, last 24 h / 7 d, platforms, games, dedup."""
    from mg.cli import _output

    with session.client() as client:
        stats = client.debug.crashes.stats(game_id=game_id)
    if json_:
        _output.print_json(stats)
        return

    def counts(mapping: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(mapping.items(), key=lambda kv: -kv[1])) or "—"

    _output.print_table(
        ["", ""],
        [
            ["crashes", stats["total"]],
            ["unique fingerprints", stats["unique_fingerprints"]],
            ["last 24 h", stats["last_24h"]],
            ["last 7 days", stats["last_7d"]],
            ["by status", counts(stats["by_status"])],
            ["by platform", counts(stats["by_platform"])],
            ["by game", counts(stats["by_game"])],
            ["duplicate dumps", f"{stats['duplicates']} ({stats['bytes_saved']:,} bytes not stored twice)"],
        ],
    )


@app.command("status")
@command
def crashes_status(
    session: Session,
    crash_id: Annotated[str, typer.Argument(metavar="ID", help="Crash id (crash_…).", show_default=False)],
    status: Annotated[
        str, typer.Argument(metavar="STATUS", help=f"One of: {', '.join(STATUSES)}.", show_default=False)
    ],
    json_: JsonOption = False,
) -> None:
    """Set the triage status of a crash and of every crash in its group.

    \b
    Example:
      mg crashes status crash_3k9x… resolved
    """
    from mg.cli import _output
    from mg.cli._errors import UsageError

    if status not in STATUSES:
        raise UsageError(f"Unknown status {status}.", f"Use one of: {', '.join(STATUSES)}.")
    with session.client() as client:
        crash = client.debug.crashes.update(crash_id, status=status)
    if json_:
        _output.print_json(crash)
    else:
        _output.success(f"{crash['id']} is {crash['status']}")


@app.command("analyze")
@command
def crashes_analyze(
    session: Session,
    crash_id: Annotated[str, typer.Argument(metavar="ID", help="Crash id (crash_…).", show_default=False)],
    question: Annotated[
        str | None, typer.Option("--question", "-q", help="A question about it (≤ 500 chars).")
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Analyse a crash: root cause, severity, fix, prevention, related groups.

    Test keys and the local gateway answer with the rule-based analyser; live keys ask the model.
    """
    from mg.cli import _output

    with session.client() as client:
        answer = client.debug.analyze(crash_id=crash_id, question=question)
    if json_:
        _output.print_json(answer)
        return
    _output.console().print(answer["analysis"], markup=False, highlight=False)
    _output.note(f"{answer['model']} · {answer['analyzed_at']}")


@app.command("submit")
@command
def crashes_submit(
    session: Session,
    path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.dmp", help="A minidump.", show_default=False, exists=True, dir_okay=False
        ),
    ],
    game_id: Annotated[str | None, typer.Option("--game", help="Game id.")] = None,
    version: Annotated[str | None, typer.Option("--version", help="Game version.")] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="Platform (default: from the dump).")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait for processing and show the stack.")
    ] = True,
    json_: JsonOption = False,
) -> None:
    """Submit a minidump (a game's crash handler does this by itself; this is for by hand).

    \b
    Example:
      mg crashes submit crash.dmp --game dungeon --version 1.4.3
    """
    from mg.cli import _output
    from mg.cli._crash_render import print_crash

    with session.client() as client:
        with path.open("rb") as fh:
            crash = client.debug.crashes.submit_minidump(
                fh, file_name=path.name, game_id=game_id, version=version, platform=platform
            )
        if crash["deduplicated"] and not json_:
            _output.note(f"the same dump was sent before ({crash['duplicate_of']}); stored once")
        deadline = time.monotonic() + 120
        while wait and crash["processing"] == "processing" and time.monotonic() < deadline:
            time.sleep(0.25)
            crash = client.debug.crashes.get(crash["id"])
    if json_:
        _output.print_json(crash)
    elif wait:
        print_crash(crash)
    else:
        _output.success(f"submitted {crash['id']} (processing: mg crashes show {crash['id']})")
