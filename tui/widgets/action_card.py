"""An action the NPC called (a tool call): its name and arguments, set apart from the dialogue."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static


def _arguments(raw: str) -> dict[str, Any] | str:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return raw  # still streaming in, or not JSON at all: show it as it is
    return value if isinstance(value, dict) else raw


class ActionCard(Static):
    """``⚡ offer_trade`` with one ``argument  value`` line per argument."""

    def __init__(self, name: str, arguments: str = "") -> None:
        super().__init__("")
        self.call_name = name
        self.arguments = arguments

    def on_mount(self) -> None:
        self.set_call(self.call_name, self.arguments)

    def set_call(self, name: str, arguments: str) -> None:
        self.call_name, self.arguments = name, arguments
        title = Text.assemble(("⚡ ", ""), (name or "…", "bold"))
        args = _arguments(arguments)
        if isinstance(args, str):
            self.update(Group(title, Text(args, style="dim")))
            return
        if not args:
            self.update(Group(title, Text("no arguments", style="dim italic")))
            return
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column()
        for key, value in args.items():
            table.add_row(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        self.update(Group(title, table))
