"""The work of ``mg symbols upload``: scan, ask the server what it has, upload the rest in
parallel, report (a progress bar on a terminal, one plain line per file otherwise)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mg.cli._symbols_scan import Candidate, Scanner
from mg.errors import AuthenticationError, MonsterError

if TYPE_CHECKING:
    from mg.client import MonsterClient

DIRECT_LIMIT = 10 * 2**20
_CHUNK = 1 << 20


def _say(message: str) -> None:
    from mg.cli import _output

    _output.info(message)


def _live() -> bool:
    from mg.cli import _output

    return _output.live_allowed(sys.stderr)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _line(c: Candidate) -> str:
    return f"{c.label}  {c.primary.file_type}  {c.primary.debug_id}  ({_size(c.size)})"


def _describe(candidate: Candidate) -> dict[str, Any]:
    info = candidate.primary
    return {
        "file": candidate.label,
        "file_type": info.file_type,
        "debug_id": info.debug_id,
        "module_name": info.debug_file,
        "size": candidate.size,
        "sha256": candidate.sha256,
    }


def run_upload(
    client: MonsterClient,
    paths: Sequence[Path],
    *,
    types: Iterable[str],
    ids: Sequence[str],
    require_all: bool,
    platform: str | None,
    overwrite: bool,
    dry_run: bool,
    allow_failure: bool,
    jobs: int,
    as_json: bool,
) -> int:
    """Do the upload; the exit code (0 only when everything needed is on the server)."""
    started = time.perf_counter()
    with Scanner(types, ids) as scanner:
        scan = scanner.scan(paths)
        # One upload per content: the same file reached twice (a link, a copy) goes once.
        unique: dict[str, Candidate] = {}
        for candidate in scan.candidates:
            unique.setdefault(candidate.sha256, candidate)
        present = _present(client, list(unique))
        todo = [c for sha, c in unique.items() if sha not in present]
        have = [c for sha, c in unique.items() if sha in present]

        found_ids = {info.debug_id for c in scan.candidates for info in c.infos}
        missing_ids = [i for i in ids if i not in found_ids] if require_all else []

        uploaded: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = [{"file": label, "error": message} for label, message in scan.errors]
        if not dry_run and todo:
            uploaded, upload_failures = _upload_all(client, todo, platform, overwrite, jobs, quiet=as_json)
            failed += upload_failures

    summary = {
        "uploaded": uploaded if not dry_run else [_describe(c) for c in todo],
        "already_present": [_describe(c) for c in have],
        "failed": failed,
        "missing_ids": missing_ids,
        "skipped": scan.skipped,
        "dry_run": dry_run,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if as_json:
        import json

        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        _report(summary, todo, have)
    if missing_ids:
        return 1
    if failed and not allow_failure:
        return 1
    return 0


def _upload_all(
    client: MonsterClient,
    todo: list[Candidate],
    platform: str | None,
    overwrite: bool,
    jobs: int,
    quiet: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    uploaded: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    total = sum(c.size for c in todo)
    # Decided once: inside the progress display, sys.stderr is rich's proxy, not the terminal.
    lines = not quiet and not _live()
    progress, advance = _progress(total, len(todo), quiet)
    with progress, ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_upload_one, client, c, platform, overwrite, advance): c for c in todo}
        for future in as_completed(futures):
            candidate = futures[future]
            try:
                body = future.result()
            except MonsterError as exc:
                failed.append(dict(_describe(candidate), error=exc.message, code=exc.code))
                if not quiet:
                    _say(f"failed    {candidate.label}: {exc.message}")
                continue
            uploaded.append(dict(_describe(candidate), id=body["id"], status=body["status"]))
            if lines:
                _say(f"uploaded  {_line(candidate)}")
    return uploaded, failed


def _upload_one(
    client: MonsterClient,
    candidate: Candidate,
    platform: str | None,
    overwrite: bool,
    advance: Callable[[int], None],
) -> dict[str, Any]:
    info = candidate.primary
    declared = {"file_type": info.file_type, "debug_id": info.debug_id, "platform": platform or None}
    size = candidate.size
    if size <= DIRECT_LIMIT:
        with candidate.path.open("rb") as fh:
            body = client.symbols.upload(fh, file_name=candidate.name, overwrite=overwrite, **declared)
        advance(size)
        return body
    for attempt in (1, 2):
        signed = client.symbols.presign(size=size, overwrite=overwrite, file_name=candidate.name, **declared)
        try:
            answer = client.symbols.upload_presigned(signed["upload_url"], _Chunks(candidate.path, advance))
            if signed.get("complete_url"):  # the bytes went straight to S3
                answer = client.symbols.complete_presigned(signed["complete_url"])
            return answer
        except MonsterError as exc:
            # A presigned URL works once: a transfer that broke needs a new one.
            if attempt == 2 or not (exc.is_retryable or isinstance(exc, AuthenticationError)):
                raise
    raise AssertionError("unreachable")


class _Chunks:
    """A file's bytes for a streamed PUT, re-readable should the client resend them."""

    def __init__(self, path: Path, advance: Callable[[int], None]) -> None:
        self.path = path
        self.advance = advance

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                self.advance(len(chunk))
                yield chunk


def _present(client: MonsterClient, hashes: list[str]) -> set[str]:
    """Which content hashes the server already holds for this account (1,000 per request)."""
    present: set[str] = set()
    for start in range(0, len(hashes), 1000):
        present.update(client.symbols.check(hashes[start : start + 1000])["present"])
    return present


def _progress(
    total: int, count: int, quiet: bool
) -> tuple[AbstractContextManager[Any], Callable[[int], None]]:
    if quiet or not _live():
        return nullcontext(), lambda _n: None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    progress = Progress(
        TextColumn(f"uploading {count} file{'s' if count != 1 else ''}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )
    task = progress.add_task("upload", total=total)
    return progress, lambda n: progress.advance(task, n)


def _report(summary: dict[str, Any], todo: list[Candidate], have: list[Candidate]) -> None:
    skipped = summary["skipped"]
    tail = f"; {skipped} other file{'s' if skipped != 1 else ''} skipped" if skipped else ""
    if summary["dry_run"]:
        for c in todo:
            _say(f"would upload  {_line(c)}")
        _say(f"Dry run: {len(todo)} to upload, {len(have)} already on the server{tail}.")
    elif not todo and not summary["failed"]:
        n = len(have)
        if n:
            files = f"{n} debug file{'s are' if n != 1 else ' is'}"
            _say(f"Nothing to upload: all {files} already on the server{tail}.")
        else:
            _say(f"No debug files found{tail}.")
    else:
        done = summary["uploaded"]
        size = _size(sum(item["size"] for item in done))
        files = f"{len(done)} file{'s' if len(done) != 1 else ''} ({size})"
        _say(f"Uploaded {files} in {summary['seconds']:.1f}s; {len(have)} already on the server{tail}.")
    from mg.cli import _output

    for n, item in enumerate(summary["failed"], 1):
        last = n == len(summary["failed"])
        hint = "Fix or remove these files, or pass --allow-failure to let the build go on." if last else None
        _output.error(f"{item['file']}: {item['error']}", hint)
    for debug_id in summary["missing_ids"]:
        _output.error(f"no debug file with id {debug_id} was found under the given paths.")
