"""``mg symbols``: upload debug files from a build (made for CI scripts), inspect and manage them.

Exit codes as everywhere (`mg help exit-codes`); ``upload`` exits 0 only when every debug file it
found is on the server (and every ``--id`` given with ``--require-all`` was found).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group

FILE_TYPES = ("sym", "pdb", "pe", "elf", "macho", "dsym")

app = new_group("Upload debug symbols from a build; list, look up or remove them.")


@app.command("upload")
@command
def symbols_upload(
    session: Session,
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH", help="Files and directories to search.", show_default=False),
    ],
    types: Annotated[
        list[str] | None, typer.Option("--type", "-t", help=f"Only these types: {', '.join(FILE_TYPES)}.")
    ] = None,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="Only files with this debug id (repeat for several).")
    ] = None,
    require_all: Annotated[
        bool, typer.Option("--require-all", help="Fail when a debug id given with --id is not found.")
    ] = False,
    platform: Annotated[
        str | None,
        typer.Option("--platform", help="Declare the platform (e.g. ps5); default: from each file."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace stored files with the same module and id.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be uploaded; upload nothing.")
    ] = False,
    allow_failure: Annotated[
        bool, typer.Option("--allow-failure", help="Exit 0 even when uploads fail (never break the build).")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=32, help="Parallel uploads.")] = 4,
    json_: JsonOption = False,
) -> None:
    """Upload every debug file under PATHS that the server does not have yet.

    Files are recognised by content (Breakpad .sym, PDB, PE, ELF, Mach-O, .dSYM bundles, and
    one level into .zip files); anything else is skipped. The server is asked which files it
    already holds (by content hash), so a second run uploads nothing.

    \b
    Examples:
      mg symbols upload build/
      mg symbols upload --type pdb --type pe out/Release
      mg symbols upload --id 3249D99D0C4049318610F4E4FB0B69361 --require-all build/
      mg symbols upload --json build/ | jq '.uploaded | length'
    """
    from mg.cli._errors import UsageError
    from mg.cli._symbols_run import run_upload
    from mg.debugfiles import normalize_debug_id

    bad = sorted(set(types or ()) - set(FILE_TYPES))
    if bad:
        raise UsageError(f"Unknown --type {', '.join(bad)}.", f"Use one of: {', '.join(FILE_TYPES)}.")
    try:
        wanted = [normalize_debug_id(i) for i in ids or ()]
    except ValueError as exc:
        raise UsageError(str(exc), "Give the debug id as mg symbols check prints it.") from None
    if require_all and not wanted:
        raise UsageError("--require-all needs at least one --id.")
    with session.client() as client:
        code = run_upload(
            client,
            paths,
            types=types or (),
            ids=wanted,
            require_all=require_all,
            platform=platform,
            overwrite=overwrite,
            dry_run=dry_run,
            allow_failure=allow_failure,
            jobs=jobs,
            as_json=json_,
        )
    raise typer.Exit(code)


@app.command("check")
def symbols_check(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The file to inspect.", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Inspect a debug file offline: type, architecture, debug id, code id, features.

    \b
    Examples:
      mg symbols check build/game.pdb
      mg symbols check --json build/game | jq -r '.[0].debug_id'
    """
    from mg.cli import _output
    from mg.cli._errors import CLIError, NotFound
    from mg.debugfiles import DebugFileError, detect_all

    if not file.is_file():
        raise NotFound(f"{file}: no such file.")
    try:
        infos = detect_all(file)
    except DebugFileError as exc:
        raise CLIError(f"{file}: {exc}", "The file is damaged or cut; rebuild it or copy it again.") from None
    if not infos:
        raise CLIError(
            f"{file} is not a debug file.",
            "Debug files are Breakpad .sym, PDB, PE, ELF, Mach-O and zipped .dSYM bundles.",
        )
    if json_:
        _output.print_json([info.to_dict() for info in infos])
        return
    for n, info in enumerate(infos):
        if n:
            typer.echo("")
        rows = [
            ("File", str(file)),
            ("Type", info.file_type),
            ("Arch", info.arch or "unknown"),
            ("OS", info.os or "unknown"),
            ("Debug ID", f"{info.debug_id} ({info.debug_id_uuid})"),
            ("Code ID", info.code_id or "none"),
            ("Debug file", info.debug_file or "none"),
            ("Code file", info.code_file or "none"),
            ("Features", ", ".join(sorted(info.features)) or "none"),
            ("Size", f"{info.size:,} bytes"),
        ]
        for name, value in rows:
            typer.echo(f"{name + ':':<12}{value}")


def _table(rows: list[dict[str, Any]]) -> None:
    from mg.cli import _output

    _output.print_table(
        ["id", "module", "debug id", "kind", "platform", "size"],
        [[s["id"], s["module_name"], s["debug_id"], s["kind"], s["platform"], s["size"]] for s in rows],
    )


@app.command("list")
@command
def symbols_list(
    session: Session,
    module: Annotated[str | None, typer.Option("--module", help="Only this module name.")] = None,
    debug_id: Annotated[str | None, typer.Option("--debug-id", help="Only this debug id.")] = None,
    file_type: Annotated[str | None, typer.Option("--type", help="Only this file type.")] = None,
    json_: JsonOption = False,
) -> None:
    """List your uploaded symbol files, newest first.

    \b
    Examples:
      mg symbols list
      mg symbols list --module game.pdb --json
      mg symbols list | cut -f1        # ids only
    """
    from mg.cli import _output

    rows: list[dict[str, Any]] = []
    after = None
    with session.client() as client:
        while True:
            page = client.symbols.list(
                limit=100, after=after, module_name=module, debug_id=debug_id, file_type=file_type
            )
            rows += page["data"]
            if not page["has_more"] or not page["data"]:
                break
            after = page["data"][-1]["id"]
    if json_:
        _output.print_json(rows)
    else:
        _table(rows)


@app.command("lookup")
@command
def symbols_lookup(
    session: Session,
    module: Annotated[
        str,
        typer.Argument(metavar="MODULE", help="Module (debug file) name, e.g. game.pdb.", show_default=False),
    ],
    debug_id: Annotated[
        str, typer.Argument(metavar="DEBUG_ID", help="Debug id, either form, any case.", show_default=False)
    ],
    json_: JsonOption = False,
) -> None:
    """Show the stored files of a module and debug id (exit 4 when there are none).

    \b
    Example:
      mg symbols lookup crash.pdb 3249d99d-0c40-4931-8610-f4e4fb0b6936-1
    """
    from mg.cli import _output

    with session.client() as client:
        rows = client.symbols.lookup(module, debug_id)
    if json_:
        _output.print_json(rows)
    else:
        _table(rows)


@app.command("rm")
@command
def symbols_rm(
    session: Session,
    symbol_ids: Annotated[
        list[str], typer.Argument(metavar="ID", help="Symbol ids (sym_…).", show_default=False)
    ],
    json_: JsonOption = False,
) -> None:
    """Remove symbol files by id.

    \b
    Example:
      mg symbols list --module old.pdb | cut -f1 | xargs mg symbols rm
    """
    from mg.cli import _output

    removed = []
    with session.client() as client:
        for symbol_id in symbol_ids:
            client.symbols.delete(symbol_id)
            removed.append(symbol_id)
            if not json_:
                _output.info(f"removed {symbol_id}")
    if json_:
        _output.print_json({"removed": removed})
