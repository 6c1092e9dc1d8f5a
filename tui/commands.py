"""The command palette's entries: every action that has a key, wherever it is bound."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.actions import parse as parse_action
from textual.command import DiscoveryHit, Hit, Hits, Provider


class ActionsProvider(Provider):
    """Every action that has a key, on the app, the screen and its widgets, with that key."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        app, screen = self.app, self.screen
        seen: set[str] = set()
        for node in [screen, *screen.walk_children(), app]:
            for bindings in node._bindings.key_to_bindings.values():
                for binding in bindings:
                    if not binding.description or binding.system or not binding.show:
                        continue
                    _, name, params = parse_action(binding.action)
                    title = binding.description
                    if title in seen or node.check_action(name, params) is not True:
                        continue
                    seen.add(title)
                    key = app.get_key_display(binding)
                    run = partial(app.run_action, binding.action, node)
                    yield f"{title}  [{key}]", binding.tooltip or title, run

    async def discover(self) -> Hits:
        for title, help, run in self._commands():
            yield DiscoveryHit(title, run, help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help, run in self._commands():
            score = matcher.match(f"{title} {help}")
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help)
