"""``mg symbols``: upload debug files from a build (made for CI scripts), inspect and manage them.

Exit codes: 0 everything needed is on the server; 1 an upload or API call failed, or a required
id was not found; 2 bad usage; 3 authentication; 4 not found; 5 retries exhausted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])
FILE_TYPES = ("sym", "pdb", "pe", "elf", "macho", "dsym")

app = typer.Typer(
    help="Upload debug symbols from a build, and list, look up or remove them.",
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of text.")]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", metavar="KEY", help="API key [env: MG_API_KEY].", show_default=False),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", metavar="URL", help="Gateway URL [env: MG_BASE_URL].", show_default=False),
]


class Failure(Exception):
    """A failure of the command itself: message, what to do, exit code."""

    def __init__(self, message: str, remediation: str | None = None, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message, self.remediation, self.exit_code = message, remediation, exit_code


def _exit_code(exc: BaseException) -> int:
    from mg.errors import AuthenticationError, MonsterError, NotFoundError, RateLimitError

    if isinstance(exc, Failure):
        return exc.exit_code
    if isinstance(exc, AuthenticationError):
        return 3
    if isinstance(exc, NotFoundError):
        return 4
    if isinstance(exc, RateLimitError) or (isinstance(exc, MonsterError) and exc.is_retryable):
        return 5
    return 1


def say(message: str) -> None:
    """Talk goes to stderr; stdout carries only data."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _handled(fn: F) -> F:
    """Print a known error as message + remediation on stderr and exit with its code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from mg.errors import MonsterError

        try:
            return fn(*args, **kwargs)
        except (Failure, MonsterError) as exc:
            say(f"error: {exc.message}")
            if exc.remediation:
                say(f"  {exc.remediation}")
            raise typer.Exit(_exit_code(exc)) from None

    return wrapper  # type: ignore[return-value]


def _api(api_key: str | None, base_url: str | None, need_key: bool = True):  # type: ignore[no-untyped-def]
    from mg.cli._symbols_api import SymbolsApi, from_environment

    url, key = from_environment(api_key, base_url)
    if need_key and not key:
        raise Failure("No API key.", "Pass --api-key or set MG_API_KEY (CI: a secret variable).", exit_code=3)
    return SymbolsApi(url, key)


def _print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@app.callback(invoke_without_command=True)
def _default(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        ctx.invoke(ctx.command.get_command(ctx, "list"))  # type: ignore[attr-defined]


@app.command("upload")
@_handled
def symbols_upload(
    paths: Annotated[list[Path], typer.Argument(help="Files and directories to search.", show_default=False)],
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
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
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
    from mg.cli._symbols_run import run_upload
    from mg.debugfiles import normalize_debug_id

    bad = sorted(set(types or ()) - set(FILE_TYPES))
    if bad:
        raise Failure(
            f"Unknown --type {', '.join(bad)}.", f"Use one of: {', '.join(FILE_TYPES)}.", exit_code=2
        )
    try:
        wanted = [normalize_debug_id(i) for i in ids or ()]
    except ValueError as exc:
        raise Failure(str(exc), "Give the debug id as printed by mg symbols check.", exit_code=2) from None
    if require_all and not wanted:
        raise Failure("--require-all needs at least one --id.", exit_code=2)
    with _api(api_key, base_url) as api:
        code = run_upload(
            api,
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
@_handled
def symbols_check(
    file: Annotated[Path, typer.Argument(help="The file to inspect.", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Inspect a debug file offline: type, architecture, debug id, code id, features.

    \b
    Examples:
      mg symbols check build/game.pdb
      mg symbols check --json build/game | jq -r '.[0].debug_id'
    """
    from mg.debugfiles import DebugFileError, detect_all

    if not file.is_file():
        raise Failure(f"{file}: no such file.", exit_code=4)
    try:
        infos = detect_all(file)
    except DebugFileError as exc:
        raise Failure(f"{file}: {exc}", "The file is damaged or cut; rebuild or copy it again.") from None
    if not infos:
        raise Failure(
            f"{file} is not a debug file.",
            "Debug files are Breakpad .sym, PDB, PE, ELF, Mach-O and zipped .dSYM bundles.",
        )
    if json_:
        _print_json([info.to_dict() for info in infos])
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
            ("Size", _size(info.size)),
        ]
        for name, value in rows:
            typer.echo(f"{name + ':':<12}{value}")


def _print_symbols(rows: list[dict[str, Any]]) -> None:
    for s in rows:
        typer.echo(
            "\t".join([s["id"], s["module_name"], s["debug_id"], s["kind"], s["platform"], _size(s["size"])])
        )


@app.command("list")
@_handled
def symbols_list(
    module: Annotated[str | None, typer.Option("--module", help="Only this module name.")] = None,
    debug_id: Annotated[str | None, typer.Option("--debug-id", help="Only this debug id.")] = None,
    file_type: Annotated[str | None, typer.Option("--type", help="Only this file type.")] = None,
    json_: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """List your uploaded symbol files, newest first (tab-separated: id, module, debug id, kind,
    platform, size).

    \b
    Examples:
      mg symbols list
      mg symbols list --module game.pdb --json
    """
    with _api(api_key, base_url) as api:
        rows = list(api.iter_all(module_name=module, debug_id=debug_id, file_type=file_type))
    if json_:
        _print_json(rows)
    else:
        _print_symbols(rows)


@app.command("lookup")
@_handled
def symbols_lookup(
    module: Annotated[
        str, typer.Argument(help="Module (debug file) name, e.g. game.pdb.", show_default=False)
    ],
    debug_id: Annotated[str, typer.Argument(help="Debug id, either form, any case.", show_default=False)],
    json_: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Show the stored files for a module and debug id (exit 4 when there are none).

    \b
    Example:
      mg symbols lookup crash.pdb 3249d99d-0c40-4931-8610-f4e4fb0b6936-1
    """
    with _api(api_key, base_url) as api:
        rows = api.lookup(module, debug_id)
    if json_:
        _print_json(rows)
    else:
        _print_symbols(rows)


@app.command("rm")
@_handled
def symbols_rm(
    symbol_ids: Annotated[list[str], typer.Argument(help="Symbol ids (sym_…).", show_default=False)],
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Remove symbol files by id.

    \b
    Example:
      mg symbols list --module old.pdb | cut -f1 | xargs mg symbols rm
    """
    with _api(api_key, base_url) as api:
        for symbol_id in symbol_ids:
            api.delete(symbol_id)
            say(f"removed {symbol_id}")


if __name__ == "__main__":  # until the mg entry point lands: python -m mg.cli.symbols …
    app(prog_name="mg symbols")
