"""The NPC dialogue explorer: threads on the left, the conversation, the thread's insides."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tui.errors import guarded
from tui.screens import dialogue_forms as forms
from tui.widgets.conversation import Conversation
from tui.widgets.history_input import HistoryInput
from tui.widgets.notice import Notice
from tui.widgets.thread_list import ThreadList, speakers

if TYPE_CHECKING:
    from mg.client import AsyncMonsterClient
    from tui.app import MgApp
    from tui.widgets.side_panel import SidePanel

PAGES = 10  # threads listed at most: PAGES × 100


class DialogueScreen(Screen[None]):
    """Talk to NPCs and see (and change) what they know."""

    BINDINGS = [
        Binding("ctrl+n", "new_thread", "New thread", tooltip="Create a thread from an NPC template"),
        Binding("ctrl+g", "new_scene", "Scene", tooltip="Start a group scene of several NPCs"),
        Binding("ctrl+t", "choose_speaker", "Next speaker", tooltip="Direct which NPC of the scene speaks"),
        Binding("ctrl+s", "speak_now", "Speak", tooltip="Have the chosen NPC speak without a player line"),
        Binding("ctrl+o", "choose_model", "Model", tooltip="Switch the model of the next replies"),
        Binding("ctrl+l", "export", "Export", tooltip="Export the thread to a JSONL file"),
        Binding("ctrl+f", "filter", "Filter", tooltip="Filter threads by npc, player or template"),
        Binding("ctrl+b", "toggle_side", "Panel", tooltip="Show or hide the state, actions and prompt"),
        Binding("ctrl+r", "refresh", "Refresh", tooltip="Reload threads and the open thread"),
        Binding("escape", "stop_reply", "Stop", tooltip="Stop the reply that is streaming"),
    ]

    def __init__(self, *, thread_id: str | None = None, model: str | None = None) -> None:
        super().__init__()
        self.thread: dict[str, Any] | None = None
        self.state: dict[str, Any] = {}
        self.model = model or "deepseek-chat"
        self.model_chosen = model is not None
        self.next_speaker: str | None = None
        self.wanted_thread = thread_id
        self.templates: list[dict[str, Any]] = []
        self.replying = False

    @property
    def client(self) -> AsyncMonsterClient:
        return cast("MgApp", self.app).client

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="dialogue-body"):
            yield ThreadList(id="threads")
            with Vertical(id="centre"):
                yield Static("", id="thread-heading", markup=False)
                yield Conversation(id="conversation")
                yield Notice(id="dialogue-notice")
                yield HistoryInput(
                    history_path=getattr(self.app, "history_path", None),
                    placeholder="Open a thread, then say something (Enter sends)",
                    id="prompt",
                )
            # Filled after the first paint (it is hidden on narrow terminals anyway): tabs, a
            # text area and a tree cost a tenth of a second of start-up.
            yield Vertical(id="side")
        yield Footer()

    def on_mount(self) -> None:
        app: Any = self.app
        self.wanted_thread = self.wanted_thread or getattr(app, "start_thread", None)
        if getattr(app, "start_model", None) and not self.model_chosen:
            self.model, self.model_chosen = app.start_model, True
        self.query_one("#threads", ThreadList).loading = True
        self.call_after_refresh(self._start)
        interval = getattr(self.app, "refresh_seconds", 0)
        if interval:
            self.set_interval(interval, self._poll)

    async def _start(self) -> None:
        from tui.widgets.side_panel import SidePanel

        await self.query_one("#side").mount(SidePanel(id="side-panel"))
        self.load_threads()
        self.load_templates()

    def _poll(self) -> None:
        if not self.replying and self.app.screen is self:
            self.load_threads(quiet=True)

    # -- showing failures and news ------------------------------------------------------------

    def show_failure(self, exc: BaseException) -> None:
        self.query_one("#dialogue-notice", Notice).show_failure(exc)

    def say(self, message: str) -> None:
        self.query_one("#dialogue-notice", Notice).show_info(message)

    def _clear_notice(self) -> None:
        self.query_one("#dialogue-notice", Notice).clear()

    # -- threads --------------------------------------------------------------------------------

    @work(exclusive=True, group="threads")
    @guarded
    async def load_threads(self, quiet: bool = False, open_id: str | None = None) -> None:
        thread_list = self.query_one("#threads", ThreadList)
        try:
            threads: list[dict[str, Any]] = []
            before = None
            for _ in range(PAGES):
                page = await self.client.threads.list(limit=100, before=before)
                threads.extend(page)
                if len(page) < 100:
                    break
                before = page[-1]["id"]
        finally:
            thread_list.loading = False
        threads.sort(key=lambda t: t.get("last_message_at") or t.get("created_at") or "", reverse=True)
        thread_list.threads = threads
        if open_id or self.wanted_thread:
            thread_list.select(open_id or self.wanted_thread or "")
            self.wanted_thread = None
        elif self.thread is None and threads:
            thread_list.select(threads[0]["id"])
        elif self.thread is None:
            await self.query_one(Conversation).show(
                [], empty="No threads yet: ctrl+n creates one from a template."
            )
        elif self.thread is not None:
            fresh = next((t for t in threads if t["id"] == self.thread["id"]), None)
            if fresh is not None and not quiet:
                self.thread.update(fresh)
                self._show_heading()

    @work(exclusive=True, group="templates")
    @guarded
    async def load_templates(self) -> None:
        self.templates = await self.client.npc.templates.list()
        if self.thread is not None:
            self._side.prompt_editor.set_templates(self.templates, self.thread.get("npc_template"))

    @on(ThreadList.ThreadSelected)
    def _thread_selected(self, event: ThreadList.ThreadSelected) -> None:
        self.open_thread(event.thread)

    @work(exclusive=True, group="thread")
    @guarded
    async def open_thread(self, thread: dict[str, Any]) -> None:
        self._clear_notice()
        self.thread = dict(thread)
        self.next_speaker = None
        if not self.model_chosen:
            self.model = thread.get("last_model") or self.model
        self._show_heading()
        conversation = self.query_one(Conversation)
        conversation.loading = True
        side = self.query_one("#side")
        side.loading = True
        client, tid = self.client, thread["id"]
        try:
            full, messages, state, actions = await asyncio.gather(
                client.threads.get(tid),
                client.threads.messages(tid, limit=100, order="desc"),
                client.threads.get_state(tid),
                client.threads.get_actions(tid),
            )
        finally:
            conversation.loading = False
            side.loading = False
        self.thread = full
        conversation.player = full.get("player_id") or "player"
        conversation.names = {p["npc_id"]: p.get("name") or p["npc_id"] for p in full.get("npcs") or []}
        await conversation.show(list(reversed(messages)), empty="No messages yet: say something below.")
        self.state = state.get("state") or {}
        panel = self._side
        panel.set_thread(full)
        panel.set_state(self.state)
        panel.set_actions(actions.get("actions") or [])
        panel.load_deliveries(client, tid)
        panel.prompt_editor.set_templates(self.templates, full.get("npc_template"))
        self._show_heading()
        prompt = self.query_one("#prompt", HistoryInput)
        prompt.placeholder = f"Say something to {speakers(full)} (Enter sends, ↑ earlier lines)"
        prompt.focus()
        if full.get("npc_template"):
            self.load_template_prompt(full["npc_template"])
        else:
            panel.prompt_editor.set_template_prompt("")

    @work(exclusive=True, group="template")
    @guarded
    async def load_template_prompt(self, template_id: str) -> None:
        detail = await self.client.npc.templates.get(template_id)
        text = detail.get("system_prompt") or ""
        made_from = (self.thread or {}).get("npc_template_version")
        if made_from is not None and made_from != detail.get("version"):
            now = detail["version"]
            text = f"(This thread keeps version {made_from}; the template is now at {now}.)\n{text}"
        self._side.prompt_editor.set_template_prompt(text)
        if (
            not self.model_chosen
            and not (self.thread or {}).get("last_model")
            and detail.get("default_model")
        ):
            self.model = detail["default_model"]
            self._show_heading()

    @property
    def _side(self) -> SidePanel:
        return cast("SidePanel", self.query_one("#side-panel"))

    def _show_heading(self) -> None:
        heading = self.query_one("#thread-heading", Static)
        thread = self.thread
        if thread is None:
            heading.update("")
            return
        parts = [speakers(thread), thread.get("player_id") or "no player"]
        if thread.get("type") == "group":
            names = {p["npc_id"]: p.get("name") or p["npc_id"] for p in thread.get("npcs") or []}
            parts.append(f"next: {names.get(self.next_speaker or '', 'whoever is addressed')}")
        elif thread.get("npc_template"):
            parts.append(thread["npc_template"])
        heading.update(" · ".join(parts))
        self.query_one("#prompt", HistoryInput).border_title = self.model

    # -- talking --------------------------------------------------------------------------------

    @on(HistoryInput.Sent, "#prompt")
    def _sent(self, event: HistoryInput.Sent) -> None:
        if self.thread is None:
            self.say("Open a thread first (Enter on a thread at the left), or create one with ctrl+n.")
            return
        if self.replying:
            self.say("A reply is still streaming: wait, or stop it with Escape.")
            return
        self.reply(event.text)

    @work(exclusive=True, group="reply")
    @guarded
    async def reply(self, text: str | None) -> None:
        """Send the player's line (None: no line, an NPC of the scene just speaks) and stream the reply."""
        assert self.thread is not None
        self._clear_notice()
        thread, conversation = self.thread, self.query_one(Conversation)
        group = thread.get("type") == "group"
        messages = [{"role": "user", "content": text}] if text is not None else None
        if text is not None:
            await conversation.add_message(conversation.player, text, "user")
        speaker = conversation.names.get(self.next_speaker or "", "…") if group else speakers(thread)
        reply_view = await conversation.begin_reply(speaker)
        self.replying = True
        self.refresh_bindings()
        try:
            if group:
                stream = await self.client.threads.speak(
                    thread["id"], npc_id=self.next_speaker, messages=messages, model=self.model, stream=True
                )
            else:
                stream = await self.client.chat.completions.create(
                    model=self.model, messages=messages or [], thread_id=thread["id"], stream=True
                )
            await conversation.stream_reply(stream, reply_view)
        except asyncio.CancelledError:
            await reply_view.append("\n\n*(stopped)*")
            raise
        finally:
            await reply_view.finish()
            self.replying = False
            self.refresh_bindings()
        self.load_threads(quiet=False)
        self._side.load_deliveries(self.client, thread["id"])

    def action_stop_reply(self) -> None:
        self.workers.cancel_group(self, "reply")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_reply":
            return self.replying
        group = self.thread is not None and self.thread.get("type") == "group"
        if action in ("choose_speaker", "speak_now"):
            return True if group else None
        if action == "export":
            return True if self.thread is not None else None
        return True

    def action_speak_now(self) -> None:
        if self.thread is not None and not self.replying:
            self.reply(None)

    def action_choose_speaker(self) -> None:
        if self.thread is None or self.thread.get("type") != "group":
            self.say("Only a group scene has several NPCs to choose from (ctrl+g starts one).")
            return

        def chosen(npc_id: str | None) -> None:
            if npc_id is not None:
                self.next_speaker = npc_id or None
                self._show_heading()

        self.app.push_screen(forms.speaker_choice(self.thread, self.next_speaker), chosen)

    # -- changing the thread --------------------------------------------------------------------

    def on_state_tree_edited(self, event: Any) -> None:
        self.save_state(event.patch, event.summary)

    @work(exclusive=True, group="state")
    @guarded
    async def save_state(self, patch: dict[str, Any], summary: str) -> None:
        assert self.thread is not None
        answer = await self.client.threads.set_state(self.thread["id"], patch)
        self.state = answer.get("state") or {}
        self._side.set_state(self.state)
        self.say(f"State saved: {summary}. The next reply sees it.")

    def on_prompt_editor_prompt_edited(self, event: Any) -> None:
        self.update_thread({"system_prompt": event.system_prompt or None}, "System prompt saved.")

    def on_prompt_editor_template_chosen(self, event: Any) -> None:
        if self.thread is not None and event.template != self.thread.get("npc_template"):
            self.update_thread({"npc_template": event.template}, f"Template is now {event.template}.")

    @work(exclusive=True, group="update")
    @guarded
    async def update_thread(self, fields: dict[str, Any], done: str) -> None:
        if self.thread is None:
            return
        updated = await self.client.threads.update(self.thread["id"], **fields)
        self.thread.update(updated)
        self._side.set_thread(self.thread)
        self._show_heading()
        if "npc_template" in fields:
            if updated.get("npc_template"):
                self.load_template_prompt(updated["npc_template"])
            self.load_threads(quiet=True)
        self.say(done)

    # -- templates of the studio -----------------------------------------------------------------

    def on_prompt_editor_template_edit_requested(self, event: Any) -> None:
        def chosen(template_id: str | None) -> None:
            if template_id is not None:
                self.open_template(None if template_id == forms.NEW_TEMPLATE else template_id)

        self.app.push_screen(forms.template_choice(self.templates, event.template), chosen)

    @work(exclusive=True, group="template-edit")
    @guarded
    async def open_template(self, template_id: str | None) -> None:
        """Show a template in the editor tab: yours as it is, a built-in as a copy to save as yours."""
        from mg.template_files import dumps_toml, starter

        origin = None
        if template_id is None:
            fields = starter("New NPC")
            heading = "A new template: ctrl+s adds it to your account."
        else:
            detail = await self.client.npc.templates.get(template_id)
            if detail.get("builtin", True):
                fields = starter(f"My {detail.get('name') or template_id}", detail)
                heading = (
                    f"A copy of the built-in {template_id}: ctrl+s saves it as your template {fields['id']}."
                )
            else:
                fields, origin = detail, detail
                heading = (
                    f"Your template {template_id}, version {detail['version']}: ctrl+s saves a new version."
                )
        self.side_panel_open()
        await self._side.open_template(dumps_toml(fields), origin, heading)

    def on_template_editor_save_requested(self, event: Any) -> None:
        self.save_template(event.text, event.origin)

    @work(exclusive=True, group="template-save")
    @guarded
    async def save_template(self, text: str, origin: dict[str, Any] | None) -> None:
        """Create the template, or (one of yours, same id) replace the version it was opened at."""
        from mg.template_files import dumps_toml, loads_template

        fields = loads_template(text, "toml", "The template")
        templates = self.client.npc.templates
        if origin is not None and fields.get("id", origin["id"]) == origin["id"]:
            saved = await templates.replace(origin["id"], fields, version=origin["version"])
            done = (
                f"Template {saved['id']} is unchanged (version {saved['version']})."
                if saved["version"] == origin["version"]
                else f"Saved template {saved['id']} as version {saved['version']}; "
                "threads made before keep the version they were made from."
            )
        else:
            saved = await templates.create(fields)
            done = (
                f"Created template {saved['id']} (version {saved['version']}): ctrl+n makes threads from it."
            )
        heading = f"Your template {saved['id']}, version {saved['version']}: ctrl+s saves a new version."
        await self._side.open_template(dumps_toml(saved), saved, heading)
        self.say(done)
        self.load_templates()

    def side_panel_open(self) -> None:
        """Show the side panel (a narrow terminal hides it until asked)."""
        self.add_class("-side-open")

    def action_new_thread(self) -> None:
        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.create_thread(forms.thread_body(values))

        self.app.push_screen(forms.new_thread_form(self.templates), done)

    @work(group="create")
    @guarded
    async def create_thread(self, body: dict[str, Any]) -> None:
        thread = await self.client.threads.create(**body)
        self.say(f"Created a thread with {thread.get('npc_id')}.")
        self.load_threads(open_id=thread["id"])

    def action_new_scene(self) -> None:
        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.create_scene(forms.scene_body(values))

        self.app.push_screen(forms.new_scene_form(), done)

    @work(group="create")
    @guarded
    async def create_scene(self, body: dict[str, Any]) -> None:
        npcs = body.pop("npcs")
        thread = await self.client.threads.create_group(npcs=npcs, **body)
        self.say(f"Scene created with {speakers(thread)}: ctrl+t chooses who speaks next.")
        self.load_threads(open_id=thread["id"])

    def action_choose_model(self) -> None:
        self.pick_model()

    @work(exclusive=True, group="models")
    @guarded
    async def pick_model(self) -> None:
        models = await self.client.models.list()

        def chosen(model: str | None) -> None:
            if model:
                self.model, self.model_chosen = model, True
                self._show_heading()

        self.app.push_screen(forms.model_choice([m.id for m in models], self.model), chosen)

    def action_export(self) -> None:
        if self.thread is None:
            return
        thread = self.thread

        def done(values: dict[str, str] | None) -> None:
            if values and values.get("path", "").strip():
                self.export(thread, Path(values["path"].strip()).expanduser())

        self.app.push_screen(forms.export_form(thread), done)

    @work(group="export")
    @guarded
    async def export(self, thread: dict[str, Any], path: Path) -> None:
        text = await self.client.threads.export(format="jsonl", thread_ids=[thread["id"]])
        await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        lines = sum(1 for line in text.splitlines() if line.strip())
        self.say(f"Exported {lines} example{'s' if lines != 1 else ''} to {path}.")

    def action_filter(self) -> None:
        self.remove_class("-side-open")
        self.query_one("#threads", ThreadList).focus_filter()

    def action_toggle_side(self) -> None:
        self.toggle_class("-side-open")

    def action_refresh(self) -> None:
        self.load_threads()
        if self.thread is not None:
            self.open_thread(self.thread)
