"""Operator entry points: ``serve`` runs the gateway, ``admin`` changes its accounts and jobs.

Kept on argparse so that ``python -m local_gateway`` starts without the CLI's dependencies;
``mg gateway …`` passes its arguments straight through to :func:`main`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_gateway import cli_billing, cli_status
from local_gateway.settings import Settings

if TYPE_CHECKING:
    from local_gateway.services.accounts.keys import KeyService
    from local_gateway.services.jobs import JobQueue, JobRecord

# Net container allocations between young-generation collections while serving (see serve()).
GC_YOUNG = 10_000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local_gateway", description="The mg local gateway.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gateway in the foreground")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, env MG_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8787, env MG_PORT; 0 picks a free one)")
    serve.add_argument("--data-dir", type=Path, help="data directory (env MG_DATA_DIR)")
    serve.add_argument(
        "--workers", type=int, default=1, help="processes sharing the port (needs PostgreSQL; default 1)"
    )
    serve.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    serve.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date, then exit")
    migrate.add_argument(
        "--check", action="store_true", help="only say whether it is current (exit 1 if not)"
    )
    migrate.add_argument("--data-dir", type=Path, help="data directory (env MG_DATA_DIR)")

    admin = sub.add_parser("admin", help="operator commands")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create-key", help="create an API key (and the developer if missing)")
    create.add_argument("--email", required=True)
    create.add_argument("--tier", default="free", help="free, payg, starter, pro, studio or enterprise")
    create.add_argument("--live", action="store_true", help="a live key (default: a test key)")
    create.add_argument("--pat", action="store_true", help="a personal access token")
    create.add_argument("--rpm", type=int, help="custom requests-per-minute limit")
    create.add_argument("--name", help="a label for the key")
    create.add_argument("--json", action="store_true", help="print JSON")
    create.add_argument("--data-dir", type=Path, help="data directory (env MG_DATA_DIR)")

    revoke = admin_sub.add_parser("revoke-key", help="revoke an API key by its id (key_…)")
    revoke.add_argument("key_id")
    revoke.add_argument("--json", action="store_true", help="print JSON")
    revoke.add_argument("--data-dir", type=Path, help="data directory (env MG_DATA_DIR)")

    cli_billing.add_parsers(admin_sub)
    cli_status.add_parsers(admin_sub)
    _jobs_parser(admin_sub)
    return parser


def _jobs_parser(admin_sub: Any) -> None:
    jobs = admin_sub.add_parser(
        "jobs",
        help="list background jobs; `jobs retry ID`, `jobs probe`",
        description="List background jobs, newest first (e.g. `admin jobs --status failed`).",
    )
    jobs.add_argument("--status", choices=["queued", "running", "done", "failed"])
    jobs.add_argument("--kind", help="e.g. npc.fold or jobs.probe")
    jobs.add_argument("--limit", type=int, default=50)
    jobs.add_argument("--json", action="store_true", help="print JSON")
    jobs.add_argument("--data-dir", type=Path, help="data directory (env MG_DATA_DIR)")
    jobs_sub = jobs.add_subparsers(dest="jobs_command")
    # Defaults suppressed: a sub-command must not reset what was given before its name.
    quiet = argparse.SUPPRESS
    retry = jobs_sub.add_parser("retry", help="run a failed (or done) job again now, with fresh attempts")
    retry.add_argument("job_id", type=int)
    probe = jobs_sub.add_parser(
        "probe",
        help="enqueue no-op probe jobs to check that workers take jobs",
        description="Enqueue probes; with --wait, wait for them and show which worker ran each.",
    )
    probe.add_argument("--count", type=int, default=1)
    probe.add_argument("--hold", type=float, default=0.0, help="seconds each probe keeps running")
    probe.add_argument("--fail", type=int, default=0, help="fail the first N attempts")
    probe.add_argument("--max-attempts", type=int)
    probe.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the probes to end")
    for leaf in (retry, probe):
        leaf.add_argument("--json", action="store_true", default=quiet, help="print JSON")
        leaf.add_argument("--data-dir", type=Path, default=quiet, help="data directory (env MG_DATA_DIR)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.load(data_dir=getattr(args, "data_dir", None))
        if args.command == "serve":
            _one_malloc_arena()
            settings = settings.with_overrides(host=args.host, port=args.port)
            if args.workers != 1:
                from local_gateway.workers import Supervisor, check_workers

                check_workers(settings, args.workers)
                return Supervisor(settings, args.workers).run(ready_file=args.ready_file)
            with asyncio.Runner(loop_factory=_loop_factory(settings)) as runner:
                return runner.run(serve(settings, ready_file=args.ready_file, worker=args.worker_index))
        if args.command == "migrate":
            return asyncio.run(_migrate(settings, check=args.check))
        return asyncio.run(_admin(settings, args))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _migrate(settings: Settings, *, check: bool) -> int:
    """Migrations as an explicit deploy step (each one expand-only: older processes keep serving)."""
    from local_gateway.store.migrate import database_heads, script_heads, upgrade_async

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    wanted = script_heads()
    before = await database_heads(settings.db_url)
    if check:
        current = before is not None and before == wanted
        print(f"schema {'current' if current else 'behind'}: {', '.join(sorted(before or [])) or 'none'}")
        return 0 if current else 1
    await upgrade_async(settings.db_url)
    after = await database_heads(settings.db_url)
    verb = "already at" if before == after else "migrated to"
    print(f"schema {verb} {', '.join(sorted(after or []))}")
    return 0


async def _admin(settings: Settings, args: argparse.Namespace) -> int:
    from local_gateway.services.accounts.keys import KeyService
    from local_gateway.services.core.clock import Clock
    from local_gateway.store.db import Database
    from local_gateway.store.migrate import upgrade_async

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await upgrade_async(settings.db_url)
    db = Database(settings.db_url)
    try:
        if args.admin_command == "jobs":
            return await _jobs(db, Clock(offset_file=settings.clock_offset_file), args)
        keys = KeyService(db, Clock())
        if args.admin_command == "revoke-key":
            from local_gateway.services.accounts.revocations import RedisRevocations

            # Running gateways drop the key from their caches at once when Redis is shared.
            if settings.redis_url:
                keys.revocations = RedisRevocations(settings.redis_url, settings.redis_prefix)
            try:
                key = await keys.revoke(args.key_id)
            finally:
                await keys.revocations.close()
            return _print(args, {"key_id": key.id, "revoked": True}, f"Revoked {key.id}.")
        maintenance = await cli_status.run(settings, db, args)
        if maintenance is not None:
            return _print(args, maintenance, cli_status.message(maintenance))
        billing = await cli_billing.run(settings, db, args)
        if billing is not None:
            return _print(args, billing, cli_billing.message(args, billing))
        return await _create_key(keys, args)
    finally:
        await db.close()


async def _jobs(db: Any, clock: Any, args: argparse.Namespace) -> int:
    from local_gateway.services.jobs import JobQueue, enqueue_probes, register_probe

    queue = JobQueue(db, clock)
    register_probe(queue)
    if args.jobs_command == "retry":
        job = await queue.retry(args.job_id)
        return _print(args, _job_dict(job), f"Job {job.id} ({job.kind}) is queued again.")
    if args.jobs_command == "probe":
        ids = await enqueue_probes(
            queue, args.count, hold=args.hold, fail=args.fail, max_attempts=args.max_attempts
        )
        return await _probe_report(queue, ids, args)
    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    jobs = await queue.list(status=args.status, kind=args.kind, limit=args.limit)
    if args.json:
        print(json.dumps([_job_dict(j) for j in jobs]))
    else:
        _print_jobs(jobs)
    return 0


async def _probe_report(queue: JobQueue, ids: list[int], args: argparse.Namespace) -> int:
    """Without --wait, the ids; with it, each probe's end (exit 1 if any did not end done)."""
    if args.wait <= 0:
        return _print(args, {"ids": ids}, f"Queued probe job(s) {', '.join(map(str, ids))}.")
    deadline = asyncio.get_running_loop().time() + args.wait
    while True:
        jobs = await queue.list(ids=ids, limit=len(ids))
        ended = all(j.status in ("done", "failed") for j in jobs)
        if ended or asyncio.get_running_loop().time() >= deadline:
            break
        await asyncio.sleep(0.2)
    if args.json:
        print(json.dumps([_job_dict(j) for j in jobs]))
    else:
        _print_jobs(jobs)
        if not ended:
            print(f"Not all probes ended within {args.wait:g}s: is a worker running (MG_JOBS_WORKER)?")
    return 0 if all(j.status == "done" for j in jobs) else 1


def _time(moment: Any) -> str | None:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def _job_dict(job: JobRecord) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_at": _time(job.run_at),
        "locked_by": job.locked_by,
        "locked_until": _time(job.locked_until),
        "last_error": job.last_error,
        "dedupe_key": job.dedupe_key,
        "payload": job.payload,
        "created_at": _time(job.created_at),
        "finished_at": _time(job.finished_at),
    }


def _print_jobs(jobs: list[JobRecord]) -> None:
    if not jobs:
        print("No jobs.")
        return
    print(f"{'ID':>8}  {'KIND':<16} {'STATUS':<8} {'TRIES':>5}  {'RUN AT':<24} {'WORKER':<28} LAST ERROR")
    for j in jobs:
        error = (j.last_error or "").splitlines()[0][:60] if j.last_error else ""
        tries = f"{j.attempts}/{j.max_attempts}"
        worker = j.locked_by or ""
        print(f"{j.id:>8}  {j.kind:<16} {j.status:<8} {tries:>5}  {_time(j.run_at):<24} {worker:<28} {error}")


def _print(args: argparse.Namespace, result: dict[str, Any], text: str) -> int:
    print(json.dumps(result) if args.json else text)
    return 0


async def _create_key(keys: KeyService, args: argparse.Namespace) -> int:
    environment = "live" if args.live else "pat" if args.pat else "test"
    new = await keys.create_key(
        args.email, tier=args.tier, environment=environment, rpm=args.rpm, name=args.name
    )
    result = {
        "api_key": new.api_key,
        "key_id": new.key.id,
        "developer_id": new.developer.id,
        "email": new.developer.email,
        "tier": new.developer.tier,
        "environment": new.key.environment,
        "rpm": args.rpm,
        "developer_created": new.developer_created,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"Created {environment} key {new.key.id} for {new.developer.email} ({new.developer.tier} tier):"
        )
        print(f"  {new.api_key}")
        print("It is shown only once; store it now.")
    return 0


def _loop_factory(settings: Settings) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is wanted and installed; None means asyncio's default loop."""
    if not settings.uvloop or sys.platform == "win32":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


# glibc's mallopt(M_ARENA_MAX): how many malloc arenas the process's threads may use.
_M_ARENA_MAX = -8


def _one_malloc_arena() -> None:
    """Let the process's threads share the main malloc arena instead of up to eight per core:
    each arena a thread touches (the SQLite threads, libuv's resolver pool) keeps its own partly
    used pages, some 2.4 MiB of a gateway's RSS after load. Python's small objects come from
    pymalloc, not from malloc, and the threads mostly wait or run SQLite, so they hardly contend
    (req/s unchanged within noise, bench/run memory). Must run before the threads start. An
    explicit MALLOC_ARENA_MAX in the environment is left to glibc, and so is a libc without
    mallopt (musl, macOS)."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    import ctypes

    try:
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1)
    except (OSError, AttributeError):
        pass


def _configure_logging(settings: Settings) -> None:
    from local_gateway.services.core.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)


async def serve(settings: Settings, ready_file: Path | None = None, worker: int | None = None) -> int:
    """Run one gateway process; ``worker`` is its index among ``--workers N`` (its socket then
    shares the port with the others')."""
    from aiohttp import web

    from local_gateway.app import BOOTSTRAP_KEY, create_app, listening

    _configure_logging(settings)
    app = create_app(settings)
    runner = web.AppRunner(
        app, handler_cancellation=True, access_log=None, shutdown_timeout=settings.shutdown_timeout
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, backlog=1024, reuse_port=worker is not None)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        where = f"{settings.host}:{settings.port}"
        _say(settings, f"error: cannot listen on {where}: {exc.strerror}", logging.ERROR)
        return 1
    port = runner.addresses[0][1] if runner.addresses else settings.port
    # Everything built so far (modules, tables, catalog, pools) lives as long as the process:
    # moved out of the collector's sight, it no longer makes each full collection a pause of
    # tens of milliseconds in the middle of requests.
    gc.collect()
    gc.freeze()
    # The young generation is collected every GC_YOUNG net allocations of container objects
    # instead of Python's 700: sixteen requests in flight hold a few thousand between them, so
    # at 700 a young collection (about half a millisecond, it walks those requests' objects) ran
    # every twenty requests, 5-8% of the CPU, while nearly everything a request makes is freed by
    # reference counting anyway. Cycles still get collected, a little later.
    gc.set_threshold(GC_YOUNG, 20, 20)
    settings = settings.with_overrides(port=port)
    url = settings.base_url
    listening(app, url)
    who = "mg gateway" if worker is None else f"mg gateway worker {worker} (pid {os.getpid()})"
    _say(settings, f"{who} listening on {url} (data: {settings.data_dir})")
    new_key = app.get(BOOTSTRAP_KEY)
    if new_key is not None:
        _announce_first_key(new_key.api_key, url, settings)
    if ready_file is not None:
        # Written aside and renamed, so a watcher never reads a half-written file.
        partial = ready_file.with_name(ready_file.name + ".part")
        partial.write_text(json.dumps({"url": url, "port": port}))
        partial.replace(ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    orphaned = asyncio.create_task(_stop_when_orphaned(stop)) if worker is not None else None
    await stop.wait()
    if orphaned is not None:
        orphaned.cancel()
    _say(settings, "mg gateway shutting down: finishing in-flight requests")
    await runner.cleanup()
    return 0


async def _stop_when_orphaned(stop: asyncio.Event) -> None:
    """A worker whose supervisor died (kill -9) shuts down instead of serving on unsupervised."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    print("mg gateway worker: the supervisor is gone", file=sys.stderr, flush=True)
    stop.set()


def _announce_first_key(api_key: str, url: str, settings: Settings) -> None:
    saved = False
    if settings.save_bootstrap_key:
        saved = _save_to_local_profile(api_key, url)
    lines = [
        "",
        "First start: created a local developer and a sandbox test key (shown only this once):",
        f"    {api_key}",
        "Use it with any OpenAI SDK:",
        f'    OpenAI(base_url="{url}/v1", api_key="{api_key[:12]}…")',
    ]
    if saved:
        lines.append("It is saved in the mg CLI's 'local' profile: `mg chat` works right away.")
    _say(settings, "\n".join(lines) + "\n")


def _say(settings: Settings, message: str, level: int = logging.INFO) -> None:
    """A line for the operator: printed as is, or as a log line when every line must be JSON."""
    if settings.log_format == "json":
        logging.getLogger("mg.gateway").log(level, message.strip())
    else:
        print(message, file=sys.stderr, flush=True)


def _save_to_local_profile(api_key: str, url: str) -> bool:
    try:
        from mg.config import save_local_profile_key
    except ImportError:
        return False
    try:
        save_local_profile_key(api_key, base_url=url)
    except Exception as exc:  # the gateway runs fine without the CLI's profile
        logging.getLogger("mg.gateway").warning("could not save the key to the local profile: %s", exc)
        return False
    return True


def describe(settings: Settings) -> dict[str, Any]:
    return {"url": settings.base_url, "data_dir": str(settings.data_dir), "database": settings.db_url}
