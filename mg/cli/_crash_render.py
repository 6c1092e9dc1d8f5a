"""How ``mg crashes show`` prints a crash: facts first, then the stack as a debugger would."""

from __future__ import annotations

from typing import Any

from mg.cli import _output


def frame_rows(frames: list[dict[str, Any]]) -> list[list[Any]]:
    """``#``, module, function, file:line, how the frame was found; inlined calls first, as
    ``inlined`` rows under the frame number they belong to."""
    rows: list[list[Any]] = []
    for frame in frames:
        number = frame.get("index", frame.get("frame"))
        for call in frame.get("inlines") or []:
            rows.append([number, frame.get("module") or "?", call["function"], _where(call), "inlined"])
        offset = frame.get("module_offset") or frame.get("offset")
        function = frame.get("function") or (f"+{offset}" if offset else "??")
        rows.append([number, frame.get("module") or "?", function, _where(frame), frame.get("trust") or ""])
    return rows


def _where(frame: dict[str, Any]) -> str:
    if not frame.get("file"):
        return ""
    return f"{frame['file']}:{frame['line']}" if frame.get("line") is not None else str(frame["file"])


def facts(crash: dict[str, Any]) -> list[tuple[str, Any]]:
    thread = crash.get("crashing_thread")
    where = f" at {crash['crash_address']}" if crash.get("crash_address") else ""
    listed = [
        ("crash", crash["id"]),
        ("reason", f"{crash.get('crash_reason') or '—'}{where}"),
        ("game", crash.get("game_id")),
        ("platform", crash.get("platform")),
        ("version", crash.get("version")),
        ("status", crash["status"] + (" (regression)" if crash.get("regression") else "")),
        (
            "processing",
            crash["processing"] + (f": {crash['processing_error']}" if crash.get("processing_error") else ""),
        ),
        ("fingerprint", crash.get("fingerprint")),
        ("received", crash.get("created_at")),
    ]
    if thread is not None:
        listed.append(("thread", thread))
    if crash.get("duplicate_of"):
        listed.append(("duplicate of", crash["duplicate_of"]))
    if crash.get("missing_symbols"):
        listed.append(("missing symbols", ", ".join(crash["missing_symbols"][:8])))
    return [(name, value) for name, value in listed if value is not None]


def print_crash(crash: dict[str, Any], *, all_threads: bool = False) -> None:
    console = _output.console()
    width = max(len(name) for name, _ in facts(crash))
    for name, value in facts(crash):
        console.print(f"{name.rjust(width)}  {value}", markup=False, highlight=False)
    threads = crash.get("threads") or []
    shown: list[tuple[str, list[dict[str, Any]]]] = []
    if threads:
        for thread in threads:
            if all_threads or thread.get("crashed"):
                label = f"thread {thread['index']} (tid {thread['tid']})" + (
                    " — crashed" if thread.get("crashed") else ""
                )
                shown.append((label, thread.get("frames") or []))
        if not shown:
            shown.append((f"thread {threads[0]['index']}", threads[0].get("frames") or []))
    elif crash.get("stack"):
        shown.append(("stack", crash["stack"]))
    for label, frames in shown:
        console.print()
        _output.print_table(
            ["#", "module", "function", "file:line", "found by"], frame_rows(frames), title=label
        )
    if crash.get("analysis"):
        console.print()
        console.print(crash["analysis"], markup=False, highlight=False)
