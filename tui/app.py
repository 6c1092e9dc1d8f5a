"""``mg tui``: the Textual app. Three screens (modes), one client, every action in the palette
(:class:`tui.commands.ActionsProvider`).

The app talks to the gateway only through :class:`mg.client.AsyncMonsterClient`; a screen reaches
it as ``self.app.client``. Screens are imported when first shown, so that the first paint waits
only for the dialogue explorer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from tui.errors import describe

if TYPE_CHECKING:
    from mg._client_base import RetryEvent
    from mg.client import AsyncMonsterClient

SCREENS = ("dialogue", "crashes", "keys")


def _dialogue() -> Screen[Any]:
    from tui.screens.dialogue import DialogueScreen

    return DialogueScreen()


def _crashes() -> Screen[Any]:
    from tui.screens.crashes import CrashesScreen

    return CrashesScreen()


def _keys() -> Screen[Any]:
    from tui.screens.keys import KeysScreen

    return KeysScreen()


def _actions_provider() -> type[Any]:
    # The palette's module is imported when the palette first opens, not before the first paint.
    from tui.commands import ActionsProvider

    return ActionsProvider


class MgApp(App[None]):
    """The mg TUI. ``client`` may be given (tests); otherwise one is built from key and URL."""

    CSS_PATH = "app.tcss"
    TITLE = "mg"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    COMMANDS = App.COMMANDS | {_actions_provider}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    MODES = {"dialogue": _dialogue, "crashes": _crashes, "keys": _keys}
    BINDINGS = [
        Binding("f1", "switch_mode('dialogue')", "Dialogue", tooltip="NPC dialogue explorer"),
        Binding("f2", "switch_mode('crashes')", "Crashes", tooltip="Crash triage"),
        Binding("f3", "switch_mode('keys')", "Keys", tooltip="Keys, credits and usage"),
        Binding("f4", "change_theme", "Theme", tooltip="Pick a colour theme"),
        Binding("ctrl+q", "quit", "Quit", tooltip="Leave mg tui", priority=True),
    ]

    def __init__(
        self,
        *,
        client: AsyncMonsterClient | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        retry: bool = True,
        profile: str | None = None,
        connection: str | None = None,
        screen: str = "dialogue",
        thread_id: str | None = None,
        model: str | None = None,
        history_path: Path | None = None,
        refresh_seconds: float = 5.0,
    ) -> None:
        super().__init__()
        self._client = client
        self._api_key, self._base_url, self._retry = api_key, base_url, retry
        self.profile = profile
        self.sub_title = connection or profile or ""
        self.start_screen = screen if screen in SCREENS else "dialogue"
        self.start_thread = thread_id
        self.start_model = model
        self.history_path = history_path
        self.refresh_seconds = refresh_seconds

    @property
    def client(self) -> AsyncMonsterClient:
        """The API client (httpx is imported when it is first needed, after the first paint)."""
        if self._client is None:
            from mg.client import AsyncMonsterClient

            self._client = AsyncMonsterClient(
                self._api_key, self._base_url, retry=self._retry, on_retry=self._announce_retry
            )
        return self._client

    def _announce_retry(self, event: RetryEvent) -> None:
        err = event.error
        self.notify(
            f"{err.message} Retrying in {event.delay:.1f} s ({event.attempt} of {event.max_retries}).",
            title=err.code,
            severity="warning",
        )

    def on_mount(self) -> None:
        self.switch_mode(self.start_screen)

    @property
    def cursor_blink(self) -> bool:
        """Whoever turns animations off does not want a blinking cursor either (and a snapshot
        must not catch one mid-blink)."""
        return self.animation_level != "none"

    def show_failure(self, exc: BaseException) -> None:
        """A failure with no inline place to go: a notification with the remediation."""
        failure = describe(exc)
        self.notify(failure.remediation or " ", title=failure.message, severity="error", timeout=8)

    async def on_unmount(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def run(**options: Any) -> None:
    """Run the app in this terminal until the user quits."""
    MgApp(**options).run()
