"""``mg threads state`` and ``mg threads actions``: a thread's game state and registered actions."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group
from mg.cli._errors import UsageError

state_app = new_group("Show or change a thread's game state.", default="get", default_takes_args=True)
actions_app = new_group(
    "Show or register the game actions an NPC may trigger.", default="get", default_takes_args=True
)

ThreadArgument = Annotated[str, typer.Argument(metavar="ID", help="Thread id (thr_…).", show_default=False)]


class Scope(StrEnum):
    world = "world"
    player = "player"


def _show_state(state: dict[str, Any]) -> None:
    from mg.cli import _output
    from mg.cli._npc_view import value_text

    if not state:
        _output.info("(no game state)")
        return
    _output.print_table(["key", "value"], [[k, value_text(v)] for k, v in state.items()])


@state_app.command("get")
@command
def threads_state_get(session: Session, thread_id: ThreadArgument, json_: JsonOption = False) -> None:
    """Show a thread's game state: the NPC's world state (every player sees it) and, on a
    player's thread, that player's state. The NPC answers from both, the player's values first.

    \b
    Examples:
      mg threads state get thr_…
      mg threads state thr_…                 # the same
      mg threads state get thr_… --json | jq .world_state
    """
    from mg.cli import _output
    from mg.cli._state_view import LABELS, written_values

    with session.client() as client:
        state = client.threads.get_state(thread_id)
    if json_:
        _output.print_json(state)
        return
    own = state.get("scope") or "player"
    _output.info(f"{LABELS['world']}:")
    _show_state(written_values(state, "world"))
    if own == "player":
        _output.info(f"{LABELS['player']}:")
        _show_state(state.get("state") or {})


@state_app.command("set")
@command
def threads_state_set(
    session: Session,
    thread_id: ThreadArgument,
    pairs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[KEY=VALUE]... | -",
            help="Keys to set (values are JSON when they parse: 5, true, null, [1]); - reads a JSON object "
            "from stdin.",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            metavar="FILE",
            help="Read the state from a JSON file.",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Make this the whole state instead of merging it in.")
    ] = False,
    scope: Annotated[
        Scope | None,
        typer.Option(
            "--scope",
            help="world: the NPC's state every player sees; player: this player's thread only "
            "(default: the thread's own: world on an NPC's thread without a player, else player).",
            show_default=False,
        ),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Change a thread's game state: merged in by default, or --replace.

    Merging follows JSON Merge Patch: objects merge key by key, null removes
    a key, anything else (arrays too) replaces. The NPC's next reply sees
    the new state. --scope world on a player's thread sets the NPC's world
    state, which every player's thread sees.

    \b
    Examples:
      mg threads state set thr_… quest=talked_to_guard reputation=75
      mg threads state set thr_… inventory='["potion", "iron_sword"]' curse=null
      mg threads state set thr_… --file save.json --replace
      echo '{"time_of_day": "night"}' | mg threads state set thr_… -
      mg threads state set thr_… --scope world bridge=washed_out
    """
    from mg.cli import _output
    from mg.cli._input import STDIN, parse_pairs, read_json

    pairs = pairs or []
    what = "a JSON object of game state"
    if file is not None and pairs:
        raise UsageError("Give the state as KEY=VALUE words or --file, not both.")
    if file is not None or pairs == [STDIN]:
        update = read_json(str(file) if file is not None else STDIN, what)
        if not isinstance(update, dict):
            raise UsageError(
                f'The state must be a JSON object, like {{"gold": 5}}; {file or "stdin"} is not.'
            )
    elif pairs:
        try:
            update = parse_pairs(pairs)
        except ValueError as exc:
            raise UsageError(f"{exc}.", "Write each key as KEY=VALUE, e.g. gold=5 quest=find_ore.") from exc
    else:
        raise UsageError(
            "Nothing to set.", "Give KEY=VALUE words, --file FILE, or - to read JSON from stdin."
        )
    from mg.cli._state_view import LABELS, written_values

    with session.client() as client:
        state = client.threads.set_state(
            thread_id, update, replace=replace, scope=scope.value if scope is not None else None
        )
    if json_:
        _output.print_json(state)
        return
    written = scope.value if scope is not None else (state.get("scope") or "player")
    keys = ", ".join(update) or "(none)"
    what = LABELS[written]
    _output.success(
        f"Replaced the {what} of {thread_id}."
        if replace
        else f"Merged into the {what} of {thread_id}: {keys}."
    )
    _show_state(written_values(state, written))


def _show_actions(actions: list[dict[str, Any]]) -> None:
    from mg.cli import _output
    from mg.cli._npc_view import ACTION_COLUMNS, action_rows

    if not actions:
        _output.info("(no actions registered)")
        return
    _output.print_table(ACTION_COLUMNS, action_rows(actions))


@actions_app.command("get")
@command
def threads_actions_get(session: Session, thread_id: ThreadArgument, json_: JsonOption = False) -> None:
    """Show the actions registered on a thread.

    \b
    Examples:
      mg threads actions get thr_…
      mg threads actions thr_… --json > actions.json
    """
    from mg.cli import _output

    with session.client() as client:
        actions = client.threads.get_actions(thread_id)
    if json_:
        _output.print_json(actions)
        return
    _show_actions(actions.get("actions") or [])


@actions_app.command("set")
@command
def threads_actions_set(
    session: Session,
    thread_id: ThreadArgument,
    file: Annotated[
        str, typer.Argument(metavar="FILE", help='JSON file with {"actions": [...]}, or - for stdin.')
    ],
    json_: JsonOption = False,
) -> None:
    """Register the actions an NPC may trigger (replacing those it had).

    FILE holds {"actions": [{"name", "description", "parameters"}, …]};
    parameters is a JSON Schema, or a map of argument to schema (then every
    argument is required unless the action lists "required").

    \b
    Examples:
      mg threads actions set thr_… shop_actions.json
      mg threads actions get thr_a --json | mg threads actions set thr_b -
    """
    from mg.cli import _output
    from mg.cli._input import read_json

    shape = 'an object {"actions": [...]}'
    data = read_json(file, shape)
    if isinstance(data, list):
        data = {"actions": data}
    if not isinstance(data, dict) or not isinstance(data.get("actions"), list):
        raise UsageError(f"{file} does not hold {shape}.", 'Example: {"actions": [{"name": "open_shop"}]}')
    with session.client() as client:
        actions = client.threads.set_actions(thread_id, data["actions"])
    if json_:
        _output.print_json(actions)
        return
    registered = actions.get("actions") or []
    _output.success(f"Registered {len(registered)} actions on {thread_id}.")
    _show_actions(registered)
