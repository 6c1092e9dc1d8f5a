"""A thread's game state as a JSON tree that can be edited in place.

Edits become JSON Merge Patches (what ``POST /v1/threads/{id}/state`` takes): objects merge key
by key and ``null`` removes a key, but an array is replaced whole, so a change inside an array
sends the whole changed array.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

Path = tuple[str | int, ...]
DELETE = object()


def get_in(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def patch_for(state: Any, path: Path, new: Any) -> Any:
    """The merge patch that sets ``path`` to ``new`` (or removes it when ``new`` is DELETE)."""
    if not path:
        return None if new is DELETE else new
    head, rest = path[0], path[1:]
    if isinstance(state, dict):
        return (
            {head: patch_for(state.get(head), rest, new)} if rest else {head: None if new is DELETE else new}
        )
    # Inside an array: the patch replaces the array, so send it whole with the change made.
    changed = copy.deepcopy(state)
    parent = get_in(changed, path[:-1]) if len(path) > 1 else changed
    if new is DELETE:
        del parent[path[-1]]
    elif isinstance(parent, list) and path[-1] == len(parent):
        parent.append(new)
    else:
        parent[path[-1]] = new
    return changed


def parse_value(raw: str) -> Any:
    """What the user typed, as JSON when it is JSON (``42``, ``true``, ``{"a": 1}``), else text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def show_path(path: Path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "state"


def _scalar(value: Any) -> Text:
    style = {str: "green", bool: "magenta", type(None): "dim"}.get(type(value), "cyan")
    return Text(json.dumps(value, ensure_ascii=False), style=style)


class StateTree(Tree[Any]):
    """The state, every node's data its path; e edits, a adds, x removes (each a saved patch)."""

    BINDINGS = [
        Binding("e", "edit", "Edit value", tooltip="Change the value under the cursor"),
        Binding("a", "add", "Add key", tooltip="Add a key to the object under the cursor"),
        Binding("x,delete", "remove", "Remove", tooltip="Remove the key or item under the cursor"),
    ]

    class Edited(Message):
        """The user changed the state; ``patch`` is the merge patch to save."""

        def __init__(self, patch: dict[str, Any], summary: str) -> None:
            super().__init__()
            self.patch = patch
            self.summary = summary

    state: reactive[dict[str, Any] | None] = reactive(None, always_update=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("state", id=id)
        self.show_root = False
        self.guide_depth = 2

    def watch_state(self, state: dict[str, Any] | None) -> None:
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        self.clear()
        if state is None:
            return
        if not state:
            self.root.add_leaf(Text("empty: press a to add a key", style="dim italic"), data=None)
        self._add(self.root, state, ())
        self.root.expand_all()
        if cursor is not None:
            self._restore_cursor(cursor)

    def _restore_cursor(self, path: Path) -> None:
        def walk(node: TreeNode[Any]) -> TreeNode[Any] | None:
            if node.data == path:
                return node
            for child in node.children:
                if (found := walk(child)) is not None:
                    return found
            return None

        found = walk(self.root)
        if found is not None:
            self.call_after_refresh(self.move_cursor, found)

    def _add(self, node: TreeNode[Any], value: Any, path: Path) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            child_path = (*path, key)
            label = Text(str(key) if isinstance(key, str) else f"[{key}]", style="bold")
            if isinstance(child, dict | list):
                label.append(f" {'{…}' if isinstance(child, dict) else '[…]'} {len(child)}", style="dim")
                branch = node.add(label, data=child_path)
                self._add(branch, child, child_path)
            else:
                node.add_leaf(label + Text(": ") + _scalar(child), data=child_path)

    @property
    def path(self) -> Path | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def _emit(self, path: Path, new: Any, summary: str) -> None:
        patch = patch_for(self.state or {}, path, new)
        self.post_message(self.Edited(patch, summary))

    def action_edit(self) -> None:
        from tui.screens.modals import Field, FormModal

        path = self.path
        if path is None:
            return
        current = get_in(self.state, path)
        raw = current if isinstance(current, str) else json.dumps(current, ensure_ascii=False)
        modal = FormModal(
            f"Edit {show_path(path)}",
            [Field("value", "Value (JSON, or plain text)", raw)],
            hint='42, true, "text", [1, 2] or {"a": 1}; plain words are saved as text.',
        )

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                value = parse_value(values["value"])
                self._emit(path, value, f"{show_path(path)} = {json.dumps(value, ensure_ascii=False)}")

        self.app.push_screen(modal, done)

    def action_add(self) -> None:
        from tui.screens.modals import Field, FormModal

        path = self.path or ()
        target = get_in(self.state or {}, path) if path else self.state or {}
        if not isinstance(target, dict | list):
            path = path[:-1]
            target = get_in(self.state or {}, path) if path else self.state or {}
        fields = [Field("value", "Value (JSON, or plain text)", "")]
        if isinstance(target, dict):
            fields.insert(0, Field("key", "Key", ""))
        modal = FormModal(f"Add to {show_path(path)}", fields)

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            value = parse_value(values["value"])
            if isinstance(target, dict):
                key = values["key"].strip()
                if not key:
                    return
                new_path: Path = (*path, key)
            else:
                new_path = (*path, len(target))
            self._emit(new_path, value, f"{show_path(new_path)} = {json.dumps(value, ensure_ascii=False)}")

        self.app.push_screen(modal, done)

    def action_remove(self) -> None:
        path = self.path
        if path:
            self._emit(path, DELETE, f"removed {show_path(path)}")
