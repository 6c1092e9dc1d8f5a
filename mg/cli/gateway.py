"""``mg gateway``: run the local gateway, in the foreground or the background, and operate it.

The only module of ``mg`` that imports ``local_gateway``, and only inside functions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mg.cli._app import JsonOption, command, new_group
from mg.cli._errors import CLIError, NotFound, UsageError
from mg.cli._gateway_env import EnvShell

if TYPE_CHECKING:
    from mg.cli._daemon import Daemon

app = new_group("Run the local gateway (offline, sandbox models) and operate it.", default="status")

LOCAL_PLAY_RPM = "600"

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        metavar="DIR",
        help="Gateway data dir [env: MG_DATA_DIR; default: user data dir].",
        show_default=False,
    ),
]


def gateway_environment() -> dict[str, str]:
    """Every ``MG_*`` variable the gateway reads: each setting, described where documented."""
    from dataclasses import MISSING, fields

    from local_gateway.settings import ENVIRONMENT, Settings

    out = dict(ENVIRONMENT)
    for f in fields(Settings):
        name = f"MG_{f.name.upper()}"
        if f.name == "environ" or name in out:
            continue
        default = f.default if f.default is not MISSING else None
        out[name] = f"gateway setting {f.name}" + (f" (default {default})" if default is not None else "")
    return out


def data_dir(explicit: Path | None = None) -> Path:
    from local_gateway.settings import Settings

    try:
        return Settings.load(data_dir=explicit).data_dir
    except ValueError as exc:
        raise UsageError(f"Bad gateway setting: {exc}.", "See `mg help environment`.") from exc


def _health(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    import httpx

    try:
        response = httpx.get(f"{url}/v1/health", timeout=timeout)
    except httpx.HTTPError:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) and "status" in body else None


def _passthrough(argv: list[str]) -> None:
    from local_gateway.cli import main

    code = main(argv)
    if code:
        raise typer.Exit(code)


def start_detached(
    host: str | None, port: int | None, directory: Path | None, extra_env: dict[str, str] | None = None
) -> tuple[Any, str]:
    from mg.cli import _daemon, _output

    target = data_dir(directory)
    try:
        with _output.spinner("Starting the local gateway…"):
            return _daemon.start(target, host=host, port=port, extra_env=extra_env)
    except _daemon.StartError as exc:
        detail = f"\n{exc.log_tail}" if exc.log_tail else ""
        raise CLIError(f"{exc}{detail}", f"See the whole log: mg gateway logs --data-dir {target}") from exc


def _first_start_lines(said: str) -> str:
    """The key announcement of a first start, out of what the gateway logged while starting."""
    lines = said.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("First start:")), None)
    if start is None:
        return ""
    block = []
    for line in lines[start:]:
        if not line.strip():
            break
        block.append(line)
    return "\n".join(block)


@app.command("serve", context_settings={"allow_extra_args": False})
@command
def gateway_serve(
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Address to listen on [env: MG_HOST; default 127.0.0.1].", show_default=False
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", help="Port [env: MG_PORT; default 8787; 0 = any free port].", show_default=False
        ),
    ] = None,
    directory: DataDirOption = None,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Run in the background; pid and log go to the data dir.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes sharing the port (SO_REUSEPORT); more than 1 needs PostgreSQL.",
        ),
    ] = 1,
    json_: JsonOption = False,
) -> None:
    """Run the local gateway: OpenAI-compatible, offline, sandbox models.

    In the foreground it runs until Ctrl-C. With --detach it starts in the
    background and returns once it listens; `mg gateway status`, `logs` and
    `stop` operate it. Its first start creates a test key and stores it in
    the 'local' profile, so `mg chat` works right away.

    \b
    Examples:
      mg gateway serve
      mg gateway serve --detach --port 9000
      mg gateway serve --data-dir ./game-data --detach
      MG_DATABASE_URL=postgresql://… mg gateway serve --workers 4
    """
    from mg.cli import _output

    if detach and workers > 1:
        raise UsageError(
            "--workers runs in the foreground.",
            "Run `mg gateway serve --workers N` under your process manager (systemd, a container).",
        )
    if not detach:
        argv = ["serve"] + (["--workers", str(workers)] if workers > 1 else [])
        if host:
            argv += ["--host", host]
        if port is not None:
            argv += ["--port", str(port)]
        if directory:
            argv += ["--data-dir", str(directory)]
        _passthrough(argv)
        return
    daemon, said = start_detached(host, port, directory)
    if json_:
        _output.print_json(daemon.as_dict())
        return
    _output.success(f"Gateway running at {daemon.url} (pid {daemon.pid}).")
    _output.info(f"  data: {daemon.data_dir}\n  log:  {daemon.log}\n  stop: mg gateway stop")
    announcement = _first_start_lines(said)
    if announcement:
        _output.info("\n" + announcement)


def _running(directory: Path | None) -> tuple[Daemon, str | None, dict[str, Any] | None]:
    """The data dir's background gateway, the URL of a gateway that runs (or None), its health.

    That is the background gateway when it runs, or else whatever answers at the 'local'
    profile's URL (a gateway run in the foreground, say).
    """
    from mg.cli import _daemon
    from mg.config import Config

    daemon = _daemon.find(data_dir(directory))
    url = daemon.url if daemon.running else Config.load().local_profile().base_url
    health = _health(url) if url else None
    return daemon, url if (daemon.running or health is not None) else None, health


@app.command("status")
@command
def gateway_status(directory: DataDirOption = None, json_: JsonOption = False) -> None:
    """Show whether the local gateway runs, where, and its health.

    That is the background gateway of the data dir, or else whatever answers
    at the 'local' profile's URL (a gateway run in the foreground, say).
    OpenAI clients take the "OpenAI base URL" it shows (the URL plus /v1);
    `mg gateway env` prints it with the key. Exits 0 when one runs and 1
    when none does.

    \b
    Examples:
      mg gateway status
      mg gateway status --json | jq .health.status
    """
    from mg.cli import _output

    daemon, url, health = _running(directory)
    running = url is not None
    result = dict(
        daemon.as_dict(),
        url=url if running else daemon.url,
        openai_base_url=f"{url}/v1" if running else None,
        running=running,
        managed=daemon.running,
        health=health,
    )
    if json_:
        _output.print_json(result)
    elif not running:
        _output.info(
            f"No local gateway runs (data dir {daemon.data_dir}). Start one: mg gateway serve --detach"
        )
    else:
        subsystems = (health or {}).get("subsystems", {})
        database = (subsystems.get("database") or {}).get("backend", "?")
        rows = [
            ["status", (health or {}).get("status", "not answering")],
            ["url", url],
            ["OpenAI base URL", f"{url}/v1"],
            ["pid", daemon.pid if daemon.running else "(not started by mg gateway serve --detach)"],
            ["version", (health or {}).get("version")],
            ["uptime", f"{(health or {}).get('uptime_seconds', 0):.0f} s"],
            ["database", database],
        ]
        if daemon.running:
            rows += [["data dir", str(daemon.data_dir)], ["log", str(daemon.log)]]
        _output.print_table(["", ""], rows)
    if not running:
        raise typer.Exit(1)


@app.command("env")
@command
def gateway_env(
    directory: DataDirOption = None,
    shell: Annotated[
        EnvShell | None,
        typer.Option("--shell", help="Syntax to print [default: from $SHELL].", show_default=False),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Print the variables that point OpenAI clients and mg at the local gateway.

    OPENAI_BASE_URL (the gateway's URL plus /v1) and OPENAI_API_KEY (the key
    the 'local' profile stores), and the same as MG_BASE_URL and MG_API_KEY.
    Exits 4 when no local gateway runs and 3 when the 'local' profile has no
    key, or one that gateway refuses.

    \b
    Examples:
      eval "$(mg gateway env)"
      mg gateway env --shell fish | source
      mg gateway env --shell powershell | Out-String | Invoke-Expression
      mg gateway env --json
    """
    from mg._client_base import normalize_base_url
    from mg.cli import _gateway_env, _output

    daemon, url, _ = _running(directory)
    if url is None:
        raise NotFound(
            f"No local gateway runs (data dir {daemon.data_dir}).", "Start one: mg gateway serve --detach"
        )
    url = normalize_base_url(url)
    key = _gateway_env.stored_local_key()
    _gateway_env.check_key(url, key)
    values = _gateway_env.variables(url, key)
    if json_:
        _output.print_json(values)
        return
    chosen = shell or _gateway_env.default_shell()
    sys.stdout.write(_gateway_env.render(values, chosen) + "\n")
    sys.stdout.flush()
    if _output.is_tty(sys.stdout):
        _output.note(f"to set these in this shell: {_gateway_env.how_to_apply(chosen)}")


@app.command("stop")
@command
def gateway_stop(directory: DataDirOption = None, json_: JsonOption = False) -> None:
    """Stop the background gateway (it finishes in-flight requests first).

    \b
    Examples:
      mg gateway stop
    """
    from mg.cli import _daemon, _output

    target = data_dir(directory)
    was = _daemon.find(target)
    with _output.spinner("Stopping the gateway…") if was.running else _nothing():
        daemon = _daemon.stop(target)
    if json_:
        _output.print_json({"stopped": was.running, "pid": daemon.pid, "data_dir": str(target)})
    elif was.running:
        _output.success(f"Stopped the gateway (pid {daemon.pid}).")
    else:
        _output.note(f"no background gateway was running from {target}.")


def _nothing() -> Any:
    from contextlib import nullcontext

    return nullcontext()


@app.command("logs")
@command
def gateway_logs(
    directory: DataDirOption = None,
    lines: Annotated[
        int, typer.Option("--lines", "-n", help="How many of the last lines to show (0 = all).")
    ] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Print the background gateway's log.

    \b
    Examples:
      mg gateway logs
      mg gateway logs -f
      mg gateway logs -n 0 --json
    """
    from mg.cli import _daemon, _output
    from mg.cli._errors import NotFound

    log = _daemon.find(data_dir(directory)).log
    if not log.exists():
        raise NotFound(
            f"There is no gateway log at {log}.", "Start a gateway with `mg gateway serve --detach`."
        )
    if json_:
        text = log.read_text(errors="replace").splitlines()
        _output.print_json({"path": str(log), "lines": text[-lines:] if lines else text})
        return
    if not follow:
        text = log.read_text(errors="replace").splitlines(keepends=True)
        sys.stdout.writelines(text[-lines:] if lines else text)
        return
    try:
        for line in _daemon.follow(log, lines):
            sys.stdout.write(line)
            sys.stdout.flush()
    except KeyboardInterrupt:
        return


@app.command("migrate")
@command
def gateway_migrate(
    directory: DataDirOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only say whether the schema is current (exit 1 if not).")
    ] = False,
) -> None:
    """Bring the gateway's database schema up to date (MG_DATABASE_URL or the data dir), then exit.

    Run it as its own deploy step before new processes start; migrations only add, so processes of
    the previous release keep serving meanwhile. `serve` also migrates at start.

    \b
    Examples:
      MG_DATABASE_URL=postgresql://mg@db/mg mg gateway migrate
      mg gateway migrate --check
    """
    _passthrough(
        ["migrate", *(["--check"] if check else []), *(["--data-dir", str(directory)] if directory else [])]
    )


@app.command("outbox")
@command
def gateway_outbox(
    directory: DataDirOption = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="EMAIL", help="Only mail to this address.")
    ] = None,
    last: Annotated[
        int, typer.Option("--last", "-n", help="How many of the newest messages (0 = all).")
    ] = 10,
    json_: JsonOption = False,
) -> None:
    """Print the mail the local gateway sent (sign-in links) when no SMTP server is set.

    \b
    Examples:
      mg gateway outbox
      mg gateway outbox --to you@studio.dev -n 1
    """
    from mg.cli import _output
    from mg.cli._outbox import outbox_path, read_outbox

    target = data_dir(directory)
    messages = [m for m in read_outbox(target) if to is None or str(m.get("to", "")).lower() == to.lower()]
    messages = messages[-last:] if last else messages
    if json_:
        _output.print_json({"path": str(outbox_path(target)), "messages": messages})
        return
    if not messages:
        _output.note(f"the outbox is empty ({outbox_path(target)}).")
        return
    for message in messages:
        sys.stdout.write(
            f"{message.get('sent_at')}  to {message.get('to')}: {message.get('subject')}\n"
            f"  {message.get('link')}\n"
        )


@app.command(
    "admin",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def gateway_admin(ctx: typer.Context) -> None:
    """Operator commands of the gateway (create-key, …); --help lists them.

    \b
    Examples:
      mg gateway admin create-key --email dev@studio.example --tier studio --json
      mg gateway admin create-key --email ci@studio.example --rpm 600
      mg gateway admin jobs --status failed       (background jobs; `jobs retry ID`)
      mg gateway admin jobs probe --wait 30       (are the workers taking jobs?)
    """
    _passthrough(["admin", *ctx.args])
