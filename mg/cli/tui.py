"""``mg tui``: the terminal UI (the ``tui`` package, imported only when this command runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from mg.cli._app import Session, command
from mg.cli._errors import UsageError

SCREENS = ("dialogue", "crashes", "keys")


@command
def tui(
    session: Session,
    screen: Annotated[
        str,
        typer.Option(
            "--screen",
            metavar="|".join(SCREENS),
            help="Screen to open: the NPC dialogue explorer, crash triage, or keys and usage.",
        ),
    ] = "dialogue",
    thread: Annotated[
        str | None,
        typer.Option("--thread", metavar="THREAD_ID", help="Open this thread.", show_default=False),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", metavar="MODEL", help="Model of the replies.", show_default=False),
    ] = None,
    local: Annotated[
        bool, typer.Option("--local", help="Use the local gateway, starting it if nothing answers.")
    ] = False,
) -> None:
    """Open the terminal UI: NPC dialogue explorer, crash triage, keys and usage.

    \b
    Keys: F1 dialogue, F2 crashes, F3 keys, ctrl+p every action, ctrl+q quit.
    Example: mg tui --local
    """
    if screen not in SCREENS:
        raise UsageError(f"--screen must be one of {', '.join(SCREENS)}, not {screen!r}.")
    try:
        import textual  # noqa: F401
    except ImportError as exc:
        raise UsageError("mg tui needs Textual.", "Install it with: pip install 'mg[tui]'") from exc
    if local:
        from mg.cli.chat import _local_session

        session = _local_session(session)
    resolved = session.require_key()
    from mg.config import state_dir
    from tui.app import run

    run(
        api_key=resolved.api_key,
        base_url=resolved.base_url,
        retry=not session.options.no_retry,
        profile=resolved.profile,
        connection=f"{resolved.profile} · {resolved.base_url}",
        screen=screen,
        thread_id=thread,
        model=model or resolved.model,
        history_path=state_dir() / "tui-history",
    )
