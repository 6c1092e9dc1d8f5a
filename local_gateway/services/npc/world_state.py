"""World state and player state on NPC threads.

An NPC's player-less thread (``POST /v1/threads`` or ``/v1/threads/batch`` without a
``player_id``) is the NPC's definition, and its game state is **world state**: what is true for
every player (the forge is hot, the bridge is out). A player's thread with that NPC has its own
**player state** (this player's gold, quest step, reputation). The NPC sees both on a player's
thread, the player's values over the world's; a player's values live on that player's thread
only, so they never reach another player's conversation, and a player's thread starts with no
player state of its own (world state is read when the NPC speaks, not copied). Group scenes keep
one state of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local_gateway.store import threads as thread_store
from local_gateway.store.thread_records import ThreadRecord
from mg.errors import InvalidRequestError

__all__ = [
    "PLAYER",
    "SCOPES",
    "WORLD",
    "StateView",
    "check_scope",
    "own_scope",
    "view_of",
    "world_thread_of",
]

WORLD = "world"
PLAYER = "player"
SCOPES = (WORLD, PLAYER)


def own_scope(thread: ThreadRecord) -> str:
    """The scope of a thread's own state: ``world`` on an NPC's player-less thread, else ``player``."""
    return WORLD if not thread.is_group and thread.npc_id and thread.player_id is None else PLAYER


@dataclass
class StateView:
    """A thread's own state and the world state that applies to it (its NPC's player-less thread)."""

    thread: ThreadRecord
    world: ThreadRecord | None

    @property
    def scope(self) -> str:
        return own_scope(self.thread)

    @property
    def world_state(self) -> dict[str, Any]:
        return self.world.state if self.world is not None else {}

    @property
    def world_keys(self) -> list[str]:
        """The keys of :attr:`visible` that come from world state (the player set no value)."""
        if self.world is None:
            return []
        if self.world.id == self.thread.id:
            return sorted(self.thread.state)
        return sorted(k for k in self.world.state if k not in self.thread.state)

    @property
    def visible(self) -> dict[str, Any]:
        """What the NPC sees: world state, with the player's values over it."""
        if self.world is None or self.world.id == self.thread.id:
            return self.thread.state
        return {**self.world.state, **self.thread.state}


async def world_thread_of(
    session: Any, thread: ThreadRecord, for_update: bool = False
) -> ThreadRecord | None:
    """The player-less thread of ``thread``'s NPC (itself when it is one); None for a group scene
    or an NPC nobody defined without a player."""
    if thread.is_group or not thread.npc_id:
        return None
    if thread.player_id is None:
        return thread
    found = await thread_store.find_thread(session, thread.developer_id, thread.npc_id, None)
    if found is not None and for_update:
        return await thread_store.get_thread(session, thread.developer_id, found.id, for_update=True)
    return found


async def view_of(session: Any, thread: ThreadRecord) -> StateView:
    """The state the NPC of ``thread`` answers from (see :attr:`StateView.visible`)."""
    return StateView(thread, await world_thread_of(session, thread))


def check_scope(thread: ThreadRecord, scope: str | None) -> str:
    """The scope a state write goes to (the thread's own when ``scope`` is None), or a 400."""
    own = own_scope(thread)
    if scope is None:
        return own
    if scope not in SCOPES:
        raise InvalidRequestError(f"'scope' must be 'world' or 'player', got {scope!r}.")
    if scope == PLAYER and own == WORLD:
        raise InvalidRequestError(
            f"Thread '{thread.id}' is {thread.npc_id}'s thread without a player: its state is world "
            "state, shared by every player. Set player state on a player's thread, or leave out "
            "'scope' (or send scope=world)."
        )
    if scope == WORLD and thread.is_group:
        raise InvalidRequestError(
            f"Thread '{thread.id}' is a group scene: its state is its own. World state lives on "
            "each NPC's thread without a player."
        )
    return scope
