"""The left column of the dialogue explorer: NPCs, their threads, and a filter."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static, Tree
from textual.widgets.tree import TreeNode

SCENES = "Group scenes"
_FIELDS = {"npc": "npc_id", "player": "player_id", "template": "npc_template"}


def speakers(thread: dict[str, Any]) -> str:
    """Who a thread's NPC side is: its npc_id, or the names of a scene's NPCs."""
    if thread.get("type") == "group":
        return ", ".join(p.get("name") or p["npc_id"] for p in thread.get("npcs") or [])
    return str(thread.get("npc_id") or "(no NPC)")


def matches(thread: dict[str, Any], query: str) -> bool:
    """Every word of ``query`` must match: ``npc:``, ``player:`` and ``template:`` name a field,
    a bare word may match any of them (substrings, any case)."""
    npcs = [p.get("npc_id", "") for p in thread.get("npcs") or []]
    templates = [p.get("npc_template") or "" for p in thread.get("npcs") or []]
    values = {
        "npc_id": [thread.get("npc_id") or "", *npcs],
        "player_id": [thread.get("player_id") or ""],
        "npc_template": [thread.get("npc_template") or "", *templates],
    }
    for word in query.lower().split():
        field, _, wanted = word.rpartition(":")
        fields = [_FIELDS[field]] if field in _FIELDS else list(values)
        if not any(wanted in v.lower() for f in fields for v in values[f]):
            return False
    return True


def _thread_label(thread: dict[str, Any]) -> Text:
    """``  4 player_1 · merchant``: the count first, where a narrow column cannot cut it off."""
    player = thread.get("player_id") or "no player"
    text = Text(f"{thread.get('message_count', 0):>3} ", style="bold")
    text.append(speakers(thread) if thread.get("type") == "group" else player)
    if thread.get("type") == "group":
        text.append(f" · {player}", style="dim")
    elif thread.get("npc_template"):
        text.append(f" · {thread['npc_template']}", style="dim")
    return text


class ThreadList(Vertical):
    """NPCs (and group scenes) with their threads; a thread chosen with Enter is announced."""

    class ThreadSelected(Message):
        """The user opened a thread."""

        def __init__(self, thread: dict[str, Any]) -> None:
            super().__init__()
            self.thread = thread

    threads: reactive[list[dict[str, Any]]] = reactive(list, always_update=True)
    """Every thread of the account, newest activity first (set by the screen)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._npc_nodes: dict[str, TreeNode[Any]] = {}
        self._thread_nodes: dict[str, TreeNode[Any]] = {}

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: npc: player: template:", id="thread-filter")
        tree: Tree[Any] = Tree("threads", id="thread-tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree
        yield Static("", id="thread-count")

    @property
    def thread_tree(self) -> Tree[Any]:
        return self.query_one("#thread-tree", Tree)

    @property
    def query_text(self) -> str:
        return self.query_one("#thread-filter", Input).value

    def on_mount(self) -> None:
        self.query_one("#thread-filter", Input).cursor_blink = getattr(self.app, "cursor_blink", True)

    def watch_threads(self) -> None:
        self._rebuild()

    @on(Input.Changed, "#thread-filter")
    def _filter_changed(self) -> None:
        self._rebuild()

    @on(Input.Submitted, "#thread-filter")
    def _filter_done(self) -> None:
        self.thread_tree.focus()

    def _rebuild(self) -> None:
        if not self.is_mounted:
            return
        visible = [t for t in self.threads if matches(t, self.query_text)]
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for thread in visible:
            groups[SCENES if thread.get("type") == "group" else speakers(thread)].append(thread)
        tree = self.thread_tree
        for key in [k for k in self._npc_nodes if k not in groups]:
            gone = self._npc_nodes.pop(key)
            for child in gone.children:
                if isinstance(child.data, dict):
                    self._thread_nodes.pop(child.data["id"], None)
            gone.remove()
        seen: set[str] = set()
        for key in sorted(groups, key=lambda k: (k == SCENES, k.lower())):
            threads = groups[key]
            node = self._npc_nodes.get(key)
            if node is None:
                node = self._npc_nodes[key] = tree.root.add("", expand=True)
            label = Text(key, style="italic" if key == SCENES else "bold")
            label.append(f"  {len(threads)}", style="dim")
            node.set_label(label)
            for thread in threads:
                seen.add(thread["id"])
                leaf = self._thread_nodes.get(thread["id"])
                if leaf is not None and leaf.parent is not node:
                    leaf.remove()
                    leaf = None
                if leaf is None:
                    leaf = self._thread_nodes[thread["id"]] = node.add_leaf("", data=thread)
                leaf.data = thread
                leaf.set_label(_thread_label(thread))
        for thread_id in [t for t in self._thread_nodes if t not in seen]:
            self._thread_nodes.pop(thread_id).remove()
        total = len(self.threads)
        shown = f"{len(visible)} of {total} threads" if len(visible) != total else f"{total} threads"
        self.query_one("#thread-count", Static).update(shown)

    def select(self, thread_id: str) -> bool:
        """Move the cursor to a thread and open it; False when it is not shown."""
        node = self._thread_nodes.get(thread_id)
        if node is None or node.data is None:
            return False
        self.call_after_refresh(self.thread_tree.move_cursor, node)
        self.post_message(self.ThreadSelected(node.data))
        return True

    def focus_filter(self) -> None:
        self.query_one("#thread-filter", Input).focus()

    @on(Tree.NodeSelected, "#thread-tree")
    def _node_selected(self, event: Tree.NodeSelected[Any]) -> None:
        event.stop()
        if isinstance(event.node.data, dict):
            self.post_message(self.ThreadSelected(event.node.data))
