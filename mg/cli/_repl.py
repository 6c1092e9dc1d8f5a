"""The interactive side of ``mg chat``: prompt, history, slash commands, Ctrl-C and Ctrl-D.

Input: Enter sends. For a new line, end the line with a backslash, or press Esc then Enter
(Alt+Enter in most terminals); pasted text keeps its line breaks. Up and down walk the history,
which is kept across sessions. Ctrl-C while a reply streams stops it (the connection is dropped,
so the gateway stops too) and keeps the session; Ctrl-C at the prompt clears the line; Ctrl-D
on an empty line leaves.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mg.cli import _output
from mg.cli._conversation import Conversation, parse_state, route_missing
from mg.cli._state_view import show_state, split_scope
from mg.errors import MonsterError

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

PROMPT = "you> "

# name -> (arguments, what it does)
SLASH_COMMANDS: dict[str, tuple[str, str]] = {
    "/model": ("[ID]", "show the model, list the others, or switch to ID"),
    "/npc": ("[ID | off]", "show or change the NPC you talk to (a new NPC starts a new conversation)"),
    "/template": ("[NAME | off]", "list NPC templates, or give the NPC one"),
    "/system": ("[TEXT | off]", "show or set the system prompt"),
    "/state": (
        "[world | player] [JSON | key=value …]",
        "show the NPC's world state and your player state, or update one (world: every player sees it)",
    ),
    "/as": ("[NPC | auto]", "group scene: who speaks next (auto: the one addressed, else whose turn it is)"),
    "/next": ("", "group scene: let the next NPC speak without saying anything"),
    "/clear": ("", "forget the conversation so far (settings stay)"),
    "/save": ("FILE", "save the conversation: .md as a transcript, anything else as JSON"),
    "/help": ("", "list these commands"),
    "/exit": ("", "leave (Ctrl-D does too)"),
}
ALIASES = {"/quit": "/exit", "/q": "/exit", "/?": "/help"}


class Repl:
    def __init__(self, conversation: Conversation, *, banner: str) -> None:
        self.conv = conversation
        self.banner = banner
        self.handlers: dict[str, Callable[[str], bool]] = {
            "/model": self.cmd_model,
            "/npc": self.cmd_npc,
            "/template": self.cmd_template,
            "/system": self.cmd_system,
            "/state": self.cmd_state,
            "/as": self.cmd_as,
            "/next": self.cmd_next,
            "/clear": self.cmd_clear,
            "/save": self.cmd_save,
            "/help": self.cmd_help,
            "/exit": lambda arg: False,
        }

    # --- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        session = _prompt_session()
        say = _output.console()
        say.print(self.banner, highlight=False, markup=False)
        while True:
            try:
                text = session.prompt(PROMPT)
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            text = text.strip()
            if not text:
                continue
            if text.startswith("/"):
                if not self.slash(text):
                    break
                continue
            self.send(text)

    def send(self, text: str | None) -> None:
        from mg.cli._errors import describe
        from mg.cli._render import new_reply

        try:
            with _typeahead_kept():
                self.conv.stream(text, new_reply(), label=self.conv.settings.npc_id)
        except KeyboardInterrupt:
            return
        except MonsterError as exc:
            message, remediation = describe(exc)
            _output.error(message, remediation)

    def slash(self, line: str) -> bool:
        name, _, arg = line.partition(" ")
        name = ALIASES.get(name.lower(), name.lower())
        handler = self.handlers.get(name)
        if handler is None:
            _output.warn(f"unknown command {name}; /help lists them.")
            return True
        try:
            return handler(arg.strip())
        except MonsterError as exc:
            from mg.cli._errors import describe

            message, remediation = describe(exc)
            _output.error(message, remediation)
        except KeyboardInterrupt:
            pass
        return True

    # --- slash commands ---------------------------------------------------------------------------

    def cmd_help(self, arg: str) -> bool:
        rows = [[f"{name} {args}".strip(), what] for name, (args, what) in SLASH_COMMANDS.items()]
        _output.print_table(["command", ""], rows)
        _output.info("New line: end it with \\ or press Esc then Enter. Ctrl-C stops a reply; Ctrl-D leaves.")
        return True

    def _chat_models(self) -> list[str]:
        """The models this key can chat with (the catalog tells chat from embedding models)."""
        client = self.conv.client
        ids = [m.id for m in client.models.list()]
        try:
            kinds = {m.get("id"): m.get("kind", "chat") for m in client.models.catalog().get("data", [])}
        except MonsterError:
            return ids
        return [i for i in ids if kinds.get(i, "chat") == "chat"]

    def cmd_model(self, arg: str) -> bool:
        settings = self.conv.settings
        ids = self._chat_models()
        if not arg:
            _output.info(f"model: {settings.model or '(the scene chooses)'}\navailable: {', '.join(ids)}")
            return True
        if arg not in ids:
            _output.warn(f"your key cannot use a model named '{arg}'; /model lists those it can.")
            return True
        settings.model = arg
        _output.info(f"model: {arg}")
        return True

    def _not_in_scene(self, name: str) -> bool:
        if self.conv.settings.group:
            _output.warn(f"{name} does not apply in a group scene; /as NPC picks who speaks next.")
            return True
        return False

    def _only_in_scene(self, name: str) -> bool:
        if not self.conv.settings.group:
            _output.warn(f"{name} is for group scenes (mg chat --group THREAD); /npc picks whom you talk to.")
            return True
        return False

    def cmd_as(self, arg: str) -> bool:
        if self._only_in_scene("/as"):
            return True
        settings, conv = self.conv.settings, self.conv
        if arg.lower() in ("auto", "off", "none"):
            settings.speaker = None
        elif arg:
            try:
                settings.speaker = conv.find_speaker(arg)
            except ValueError as exc:
                _output.warn(f"{exc}.")
                return True
        present = ", ".join(f"{n.get('name') or n['npc_id']} ({n['npc_id']})" for n in conv.present())
        nxt = (
            conv.name_of(settings.speaker)
            if settings.speaker
            else "whoever you address, else whose turn it is"
        )
        _output.info(f"speaking next: {nxt}\nin the scene: {present}")
        return True

    def cmd_next(self, arg: str) -> bool:
        if not self._only_in_scene("/next"):
            self.send(None)
        return True

    def cmd_npc(self, arg: str) -> bool:
        if self._not_in_scene("/npc"):
            return True
        settings = self.conv.settings
        if not arg:
            _output.info(
                f"npc: {settings.npc_id or '(none)'}"
                + (f", thread {settings.thread_id}" if settings.thread_id else "")
            )
            return True
        new = None if arg.lower() in ("off", "none") else arg
        if new != settings.npc_id:
            settings.npc_id, settings.thread_id = new, None
            self.conv.clear()
        _output.info(f"npc: {new or '(none)'}; a new conversation starts.")
        return True

    def cmd_template(self, arg: str) -> bool:
        if arg and self._not_in_scene("/template"):
            return True
        settings = self.conv.settings
        templates = self.conv.client.npc.templates
        if arg.lower() in ("off", "none"):
            settings.template = None
            _output.info("template: (none)")
            return True
        if not arg:
            try:
                found = templates.list()
            except MonsterError as exc:
                if not route_missing(exc):
                    raise
                _output.note(
                    f"this gateway has no NPC templates yet (GET /v1/npc/templates answered 404); "
                    f"template: {settings.template or '(none)'}."
                )
                return True
            rows = [
                [
                    ("* " if t.get("id") == settings.template else "") + str(t.get("id")),
                    t.get("name"),
                    ", ".join(t.get("tags") or []),
                ]
                for t in found
            ]
            _output.print_table(["template", "name", "tags"], rows)
            return True
        try:
            templates.get(arg)
        except MonsterError as exc:
            if not route_missing(exc):
                raise
            _output.note("this gateway cannot list NPC templates yet, so the name is not checked.")
        settings.template = arg
        _output.info(f"template: {arg}")
        return True

    def cmd_system(self, arg: str) -> bool:
        settings = self.conv.settings
        if not arg:
            _output.info(f"system: {settings.system or '(none)'}")
            return True
        settings.system = None if arg.lower() in ("off", "none") else arg
        _output.info(f"system: {settings.system or '(none)'}")
        return True

    def cmd_state(self, arg: str) -> bool:
        scope, rest = split_scope(arg)
        try:
            update = parse_state(rest) if rest else None
        except ValueError as exc:
            _output.warn(f'{exc}. Use /state [world|player] key=value … or /state {{"json": "object"}}.')
            return True
        if scope and update is None:
            _output.warn(f"/state {scope} needs what to set, e.g. /state {scope} gold=12")
            return True
        try:
            thread = self.conv.find_thread()
            if thread is None:
                _output.note("no NPC thread yet: talk to an NPC first (/npc ID), or start with --thread ID.")
                return True
            threads = self.conv.client.threads
            if update is None:
                state = threads.get_state(thread)
            else:
                state = threads.set_state(thread, update, scope=scope)
        except MonsterError as exc:
            if route_missing(exc):
                _output.note("this gateway has no NPC threads yet (GET /v1/threads answered 404).")
                return True
            if exc.status == 400:
                _output.warn(str(exc))
                return True
            raise
        show_state(thread, state, scope, changed=update is not None)
        return True

    def cmd_clear(self, arg: str) -> bool:
        self.conv.clear()
        if self.conv.npc_turns:
            _output.info("Conversation cleared here; the NPC's thread on the gateway keeps its memory.")
        else:
            _output.info("Conversation cleared.")
        return True

    def cmd_save(self, arg: str) -> bool:
        if not arg:
            _output.warn("/save needs a file name, e.g. /save chat.md")
            return True
        try:
            path = self.conv.save(Path(shlex.split(arg)[0]))
        except (OSError, ValueError) as exc:
            _output.error(f"could not save: {exc}")
            return True
        _output.info(f"Saved {len(self.conv.history)} messages to {path}.")
        return True


@contextmanager
def _typeahead_kept() -> Iterator[None]:
    """While a reply streams, keys typed are neither echoed into it nor lost.

    Between prompts the terminal is back in cooked mode: it would echo keystrokes into the reply
    and turn Ctrl-D into a bare end-of-file that the next prompt never sees. With echo and line
    mode off, they wait as typeahead for the next prompt; Ctrl-C still interrupts (ISIG stays).
    """
    try:
        import termios

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError):  # no terminal (or no termios): nothing to guard
        yield
        return
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~(termios.ECHO | termios.ICANON)
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def _prompt_session() -> PromptSession[str]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    from mg.config import state_dir

    class SlashCompleter(Completer):
        def get_completions(self, document: Any, complete_event: Any) -> Iterator[Completion]:
            text = document.text_before_cursor
            if text.startswith("/") and " " not in text:
                for name, (_args, what) in SLASH_COMMANDS.items():
                    if name.startswith(text):
                        yield Completion(name, start_position=-len(text), display_meta=what)

    keys = KeyBindings()

    @keys.add("enter")
    def _send_or_continue(event: Any) -> None:
        buffer = event.current_buffer
        if buffer.document.text_before_cursor.endswith("\\") and buffer.document.is_cursor_at_the_end:
            buffer.delete_before_cursor(1)
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    @keys.add("escape", "enter")
    def _new_line(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    history = state_dir() / "chat_history"
    history.parent.mkdir(parents=True, exist_ok=True)
    return PromptSession(
        history=FileHistory(str(history)),
        key_bindings=keys,
        multiline=True,
        prompt_continuation="...  ",
        completer=SlashCompleter(),
        complete_while_typing=True,
        enable_open_in_editor=False,
    )
