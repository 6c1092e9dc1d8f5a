"""``mg chat``: talk to a model or an NPC, in a REPL or one prompt at a time."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from mg.cli._app import Session, command
from mg.cli._errors import AuthError, UsageError

if TYPE_CHECKING:
    from mg.cli._conversation import Conversation
    from mg.client import MonsterClient

NPC_PANEL = "NPC conversations"


def _compose(prompt: str | None) -> str | None:
    """The text to send: the prompt, what stdin pipes in, or both (prompt first)."""
    from mg.cli import _output

    piped = None if _output.is_tty(sys.stdin) else sys.stdin.read()
    if piped is not None:
        piped = piped.rstrip("\n") if piped.strip() else None
    if prompt and piped:
        return f"{prompt}\n\n{piped}"
    return prompt or piped


def _local_session(session: Session) -> Session:
    """`--local`: the `local` profile, its gateway running (started here if need be), a key."""
    from mg.cli import _output
    from mg.cli._local_play import create_local_key, ensure_local, managed_here
    from mg.config import LOCAL_PROFILE

    if session.options.profile not in (None, LOCAL_PROFILE):
        raise UsageError("--local uses the 'local' profile; leave out --profile.")
    session = session.with_options(profile=LOCAL_PROFILE)
    url, started = ensure_local(session.resolved_without_key().base_url)
    if started:
        _output.note(f"started the local gateway at {url} (it keeps running; `mg gateway stop` stops it).")
    session = session.with_options()  # the gateway's first start may have stored a key since
    if session.resolved.api_key:
        return session
    if not managed_here(url):
        raise AuthError(
            f"A gateway answers at {url}, but the 'local' profile has no key for it.",
            "Store one with `mg login --profile local`, or stop that gateway so mg can start its own.",
        )
    create_local_key(url)
    _output.note("created a new test key for the local gateway and stored it in the 'local' profile.")
    return session.with_options()


@command
def chat(
    session: Session,
    prompt: Annotated[
        str | None,
        typer.Argument(
            metavar="[PROMPT]",
            help="Send this and print the reply; without it, start a conversation.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            metavar="MODEL",
            help="Model [env: MG_MODEL; default: the profile's, else deepseek-chat].",
            show_default=False,
        ),
    ] = None,
    system: Annotated[
        str | None, typer.Option("--system", "-s", metavar="TEXT", help="System prompt.", show_default=False)
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(
            "--temperature",
            "-t",
            metavar="0-2",
            min=0,
            max=2,
            help="Sampling temperature, 0-2.",
            show_default=False,
        ),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option(
            "--max-tokens",
            metavar="N",
            min=1,
            max=128000,
            help="Longest reply, in tokens.",
            show_default=False,
        ),
    ] = None,
    npc: Annotated[
        str | None,
        typer.Option(
            "--npc",
            metavar="ID",
            help="NPC to talk to (npc_id).",
            rich_help_panel=NPC_PANEL,
            show_default=False,
        ),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="NAME",
            help="NPC template, e.g. merchant (npc_template).",
            rich_help_panel=NPC_PANEL,
            show_default=False,
        ),
    ] = None,
    player: Annotated[
        str | None,
        typer.Option(
            "--player",
            metavar="ID",
            help="Player, for per-player NPC memory (player_id).",
            rich_help_panel=NPC_PANEL,
            show_default=False,
        ),
    ] = None,
    thread: Annotated[
        str | None,
        typer.Option(
            "--thread",
            metavar="ID",
            help="Continue this NPC thread (thread_id).",
            rich_help_panel=NPC_PANEL,
            show_default=False,
        ),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            metavar="THREAD",
            help="Talk in this group scene: an NPC of it answers each line.",
            rich_help_panel=NPC_PANEL,
            show_default=False,
        ),
    ] = None,
    speaker: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="NPC",
            help="With --group: who speaks (id or name) [default: the one addressed, else whose turn it is].",
            rich_help_panel=NPC_PANEL,
            show_default=False,
        ),
    ] = None,
    local: Annotated[
        bool,
        typer.Option(
            "--local", help="Use the local gateway, starting it in the background if it is not running."
        ),
    ] = False,
    json_: Annotated[
        bool, typer.Option("--json", help="Print the completion object as JSON (one-shot only).")
    ] = False,
) -> None:
    """Talk to a model or an NPC: a conversation, or one prompt.

    Without PROMPT (and with a terminal) it opens a conversation: the reply
    streams as it arrives and is shown as markdown when it ends; /help lists
    the slash commands (/model /npc /template /system /state /clear /save
    /exit). A new line: end the line with \\ or press Esc then Enter. Ctrl-C
    stops a reply; Ctrl-D leaves. History is kept across sessions.

    With PROMPT, or text piped in, it prints the reply and exits.

    With --npc and --player the NPC remembers: the gateway keeps one thread
    per NPC and player, and the next run continues it. With --group an NPC
    of a scene answers (--as, or /as in a conversation, says who), each
    reply under its speaker's name.

    \b
    Examples:
      mg chat --local --template merchant --npc blacksmith_01
      mg chat --npc blacksmith_01 --player player_42 "Still got that sword?"
      mg chat --group thr_… --as mira "What happened here?"
      mg chat "Name three potions a healer would sell"
      git diff | mg chat "review this"
      mg chat --json -m deepseek-chat "hi" | jq -r '.choices[0].message.content'
    """
    from mg.cli import _output
    from mg.cli._conversation import ChatSettings, Conversation

    text = _compose(prompt)
    if text is None and not _output.interactive():
        raise UsageError(
            "Nothing to send, and no terminal for a conversation.",
            'Give a prompt (mg chat "…") or pipe text in (… | mg chat).',
        )
    if text is None and json_:
        raise UsageError("--json prints one reply: give a prompt.", 'mg chat --json "…"')
    _check_group(group, speaker, npc=npc, template=template, player=player, thread=thread)
    if local:
        session = _local_session(session)
    resolved = session.require_key()
    chosen_model = model or os.environ.get("MG_MODEL") or resolved.model
    settings = ChatSettings(
        # A scene keeps the model it was played with unless one is asked for.
        model=chosen_model if group else chosen_model or _default_model(),
        system=system,
        temperature=temperature,
        max_tokens=max_tokens,
        npc_id=npc,
        template=template,
        player_id=player,
        thread_id=thread or group,
        group=group,
    )
    with session.client() as client:
        if template and not chosen_model and not group:
            # The template's own model when nothing else names one, as speak does on the gateway.
            settings.model = _template_model(client, template) or settings.model
        conversation = Conversation(client, settings)
        if group:
            _enter_scene(conversation, speaker)
        if text is None:
            from mg.cli._repl import Repl

            Repl(conversation, banner=_banner(conversation, resolved.base_url, resolved.api_key or "")).run()
            return
        if json_:
            _output.print_json(conversation.complete(text).to_dict())
            return
        from mg.cli._render import new_reply

        conversation.stream(text, new_reply())


def _check_group(group: str | None, speaker: str | None, **npc_options: str | None) -> None:
    if speaker and not group:
        raise UsageError("--as picks who speaks in a group scene: give the scene with --group THREAD.")
    clashing = [f"--{name}" for name, value in npc_options.items() if value]
    if group and clashing:
        raise UsageError(
            f"--group talks in a scene, whose NPCs are set already; leave out {', '.join(clashing)}.",
            "Pick who speaks with --as NPC.",
        )


def _enter_scene(conversation: Conversation, speaker: str | None) -> None:
    conversation.load_scene()
    if speaker:
        try:
            conversation.settings.speaker = conversation.find_speaker(speaker)
        except ValueError as exc:
            raise UsageError(f"{exc}.", "Pick one of those with --as, or leave --as out.") from exc


def _template_model(client: MonsterClient, template: str) -> str | None:
    from mg.errors import NotFoundError

    try:
        found = client.npc.templates.get(template)
    except NotFoundError:
        return None  # the first turn answers with the gateway's list of templates
    model = found.get("default_model")
    return model if isinstance(model, str) and model else None


def _default_model() -> str:
    from mg.config import DEFAULT_MODEL

    return DEFAULT_MODEL


def _banner(conversation: Conversation, base_url: str, api_key: str) -> str:
    settings = conversation.settings
    where = f"offline sandbox, {base_url}" if api_key.startswith("mg_test_") else base_url
    first = f"Talking to {settings.describe()} ({where}).\n"
    if settings.group:
        names = ", ".join(str(n.get("name") or n["npc_id"]) for n in conversation.present())
        nxt = conversation.name_of(settings.speaker) if settings.speaker else "whoever you address"
        first += f"In the scene: {names}. Speaking next: {nxt} (/as NPC changes it).\n"
    return (
        first + "/help lists commands. New line: end it with \\ or Esc then Enter. "
        "Ctrl-C stops a reply; Ctrl-D leaves."
    )
