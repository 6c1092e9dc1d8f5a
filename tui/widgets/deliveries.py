"""The Webhooks tab of the side panel: what the gateway sent about the open thread's events,
to which endpoint, and how each delivery went (``GET /v1/webhooks/deliveries?thread_id=``)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.errors import is_missing_route

STATUS_STYLE = {"delivered": "green", "pending": "yellow", "failed": "bold red"}
NONE_YET = "No webhook deliveries for this thread yet (mg webhooks add URL, or mg webhooks listen)."


def deliveries_view(rows: list[dict[str, Any]]) -> Table | Text:
    if not rows:
        return Text(NONE_YET, style="dim italic")
    table = Table.grid(padding=(0, 1))
    for style in ("", "", "dim", "dim"):
        table.add_column(style=style, no_wrap=True)
    for row in rows:
        status = str(row.get("status") or "")
        code = row.get("last_status_code")
        outcome = Text(status, style=STATUS_STYLE.get(status, ""))
        if code is not None:
            outcome.append(f" {code}", style="dim")
        tries = f"{row.get('attempts', 0)}×"
        table.add_row(str(row.get("event") or ""), outcome, tries, str(row.get("created_at") or "")[11:19])
        if row.get("last_error") and status != "delivered":
            table.add_row(Text("  " + str(row["last_error"])[:80], style="dim italic"), "", "", "")
    return table


class Deliveries(VerticalScroll):
    """Loads on demand: when a thread opens, after a reply, when the tab is shown."""

    def compose(self) -> Any:
        yield Static("", id="deliveries-view")

    @work(exclusive=True, group="deliveries")
    async def load(self, client: Any, thread_id: str) -> None:
        view = self.query_one("#deliveries-view", Static)
        try:
            rows = await client.webhooks.deliveries(thread_id=thread_id, limit=20)
        except Exception as exc:
            if is_missing_route(exc):
                view.update(Text("This gateway does not offer webhooks.", style="dim italic"))
            else:
                view.update(Text(f"Deliveries could not be read: {exc}", style="red"))
            return
        view.update(deliveries_view(rows))
