"""The right column of the dialogue explorer: state, actions, prompt, facts and webhook
deliveries of the thread."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, Select, Static, TabbedContent, TabPane, TextArea

from tui.widgets.deliveries import Deliveries
from tui.widgets.state_tree import StateTree


def actions_view(actions: list[dict[str, Any]]) -> Group | Text:
    if not actions:
        return Text("No actions registered.", style="dim italic")
    parts: list[Any] = []
    for action in actions:
        parts.append(Text.assemble(("⚡ ", ""), (action.get("name", "?"), "bold")))
        if action.get("description"):
            parts.append(Text(action["description"], style="italic"))
        params = action.get("parameters") or {}
        props = params.get("properties", params) if params.get("type") == "object" else params
        required = set(action.get("required") or params.get("required") or props)
        for name, schema in props.items():
            kind = schema.get("type", "any") if isinstance(schema, dict) else "any"
            if isinstance(schema, dict) and schema.get("enum"):
                kind = " | ".join(json.dumps(v) for v in schema["enum"])
            mark = "" if name in required else "?"
            parts.append(Text.assemble(("  " + name + mark, "cyan"), (f": {kind}", "dim")))
        parts.append(Text(""))
    return Group(*parts)


def info_view(thread: dict[str, Any]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    rows = [
        ("id", thread.get("id")),
        ("type", thread.get("type")),
        ("npc", thread.get("npc_id")),
        ("player", thread.get("player_id")),
        ("template", thread.get("npc_template")),
        ("style", thread.get("response_style")),
        ("model", thread.get("last_model")),
        ("messages", thread.get("message_count")),
        ("created", thread.get("created_at")),
        ("updated", thread.get("updated_at")),
        ("last message", thread.get("last_message_at")),
    ]
    for name, value in rows:
        if value is not None:
            table.add_row(name, str(value))
    for npc in thread.get("npcs") or ():
        here = "" if npc.get("present", True) else " (left)"
        table.add_row("npc", f"{npc.get('name')} · {npc['npc_id']} · {npc.get('npc_template') or '-'}{here}")
    memory = thread.get("memory")
    if isinstance(memory, dict):
        for key, value in memory.items():
            table.add_row(f"memory.{key}", json.dumps(value))
    if thread.get("metadata"):
        table.add_row("metadata", json.dumps(thread["metadata"], ensure_ascii=False, indent=1))
    return table


class PromptEditor(Vertical):
    """The thread's template (a choice) and its own system prompt (free text)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save prompt", tooltip="Save the thread's system prompt"),
        Binding("ctrl+e", "edit_template", "Edit template", tooltip="Open an NPC template in an editor tab"),
    ]

    class TemplateChosen(Message):
        def __init__(self, template: str | None) -> None:
            super().__init__()
            self.template = template

    class PromptEdited(Message):
        def __init__(self, system_prompt: str) -> None:
            super().__init__()
            self.system_prompt = system_prompt

    class TemplateEditRequested(Message):
        """Open a template in the editor tab (``template``: the one chosen here, if any)."""

        def __init__(self, template: str | None) -> None:
            super().__init__()
            self.template = template

    def compose(self) -> ComposeResult:
        yield Label("Template", classes="field-label")
        yield Select[str]([], prompt="no template", id="template-select")
        yield Static("", id="template-prompt", markup=False)
        yield Button("Edit a template… (ctrl+e)", id="edit-template", compact=True)
        yield Label("System prompt of this thread (ctrl+s saves)", classes="field-label")
        yield TextArea("", id="system-prompt", soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        self.query_one("#system-prompt", TextArea).cursor_blink = getattr(self.app, "cursor_blink", True)

    def set_templates(self, templates: list[dict[str, Any]], current: str | None) -> None:
        select = self.query_one("#template-select", Select)
        with self.prevent(Select.Changed):
            select.set_options([(t.get("name") or t["id"], t["id"]) for t in templates])
            select.value = current if current in {t["id"] for t in templates} else Select.NULL

    def set_thread(self, thread: dict[str, Any]) -> None:
        group = thread.get("type") == "group"
        self.query_one("#template-select", Select).disabled = group
        area = self.query_one("#system-prompt", TextArea)
        area.load_text(thread.get("system_prompt") or "")

    def set_template_prompt(self, text: str) -> None:
        self.query_one("#template-prompt", Static).update(Text(text, style="dim italic"))

    @on(Select.Changed, "#template-select")
    def _template_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        self.post_message(self.TemplateChosen(value))

    def action_save(self) -> None:
        self.post_message(self.PromptEdited(self.query_one("#system-prompt", TextArea).text))

    @on(Button.Pressed, "#edit-template")
    def action_edit_template(self) -> None:
        value = self.query_one("#template-select", Select).value
        self.post_message(self.TemplateEditRequested(None if value is Select.NULL else str(value)))


class SidePanel(Vertical):
    """Tabs: State (editable tree), Actions, Prompt (editable), Info, Webhooks; Template once one
    is opened."""

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="tab-state", id="side-tabs"):
            with TabPane("State", id="tab-state"):
                yield StateTree(id="state-tree")
            with TabPane("Actions", id="tab-actions"), VerticalScroll():
                yield Static("", id="actions-view")
            with TabPane("Prompt", id="tab-prompt"), VerticalScroll():
                yield PromptEditor(id="prompt-editor")
            with TabPane("Info", id="tab-info"), VerticalScroll():
                yield Static("", id="info-view")
            with TabPane("Webhooks", id="tab-webhooks"):
                yield Deliveries(id="deliveries")

    @property
    def state_tree(self) -> StateTree:
        return self.query_one(StateTree)

    @property
    def prompt_editor(self) -> PromptEditor:
        return self.query_one(PromptEditor)

    def set_thread(self, thread: dict[str, Any]) -> None:
        self.query_one("#info-view", Static).update(info_view(thread))
        self.prompt_editor.set_thread(thread)

    def set_state(self, state: dict[str, Any]) -> None:
        self.state_tree.state = state

    def set_actions(self, actions: list[dict[str, Any]]) -> None:
        self.query_one("#actions-view", Static).update(actions_view(actions))

    def load_deliveries(self, client: Any, thread_id: str) -> None:
        """Read the thread's webhook deliveries again (also each time the tab is shown)."""
        self._deliveries_of = (client, thread_id)
        self.query_one(Deliveries).load(client, thread_id)

    @on(TabbedContent.TabActivated, pane="#tab-webhooks")
    def _webhooks_shown(self) -> None:
        if (target := getattr(self, "_deliveries_of", None)) is not None:
            self.query_one(Deliveries).load(*target)

    def show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"

    async def open_template(self, text: str, origin: dict[str, Any] | None, heading: str) -> None:
        """Show a template's text in the Template tab (added the first time)."""
        from tui.widgets.template_editor import TemplateEditor

        tabs = self.query_one(TabbedContent)
        if not self.query("#template-editor"):
            await tabs.add_pane(TabPane("Template", TemplateEditor(id="template-editor"), id="tab-template"))
        editor = self.query_one(TemplateEditor)
        editor.load(text, origin, heading)
        tabs.active = "tab-template"
        editor.query_one(TextArea).focus()
