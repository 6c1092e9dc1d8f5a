"""``mg profiles``: named gateways, each a base URL with its own stored key."""

from __future__ import annotations

import re
import sys
from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group
from mg.cli._errors import NotFound, UsageError

app = new_group("Manage profiles: named gateways, each with its own key.")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="Profile name.", show_default=False)]


def _rows(session: Session) -> list[dict[str, Any]]:
    from mg.config import LOCAL_PROFILE, Config, active_profile_name

    config = Config.load()
    active = active_profile_name(session.options.profile, config)
    profiles = dict(config.profiles)
    if LOCAL_PROFILE not in profiles:
        profiles[LOCAL_PROFILE] = config.local_profile()
    return [
        {
            "name": p.name,
            "base_url": p.base_url,
            "credential": p.credential,
            "model": p.model,
            "default": p.name == config.default_profile,
            "active": p.name == active,
        }
        for p in sorted(profiles.values(), key=lambda p: p.name)
    ]


@app.command("list")
@command
def profiles_list(session: Session, json_: JsonOption = False) -> None:
    """List profiles; the one in use is marked with *.

    The credential column says where the key is: the OS keyring, a file
    readable only by you (where no keyring exists), or nowhere yet.

    \b
    Examples:
      mg profiles list
      mg profiles list --json
      mg profiles list | cut -f1      # names only, for scripts
    """
    from mg.cli import _output

    rows = _rows(session)
    if json_:
        _output.print_json(rows)
        return
    _output.print_table(
        ["name", "base URL", "key", "model", ""],
        [
            [
                ("* " if r["active"] and _output.is_tty(sys.stdout) else "") + r["name"],
                r["base_url"],
                r["credential"] or "none",
                r["model"] or "",
                "default" if r["default"] else "",
            ]
            for r in rows
        ],
    )


@app.command("use")
@command
def profiles_use(session: Session, name: NameArgument, json_: JsonOption = False) -> None:
    """Make NAME the default profile.

    \b
    Examples:
      mg profiles use prod
      MG_PROFILE=local mg chat      # or pick one for a single command
    """
    from mg.cli import _output
    from mg.config import Config

    config = Config.load()
    found = config.profile(name)
    if found is None:
        raise NotFound(f"There is no profile named '{name}'.", "List them with `mg profiles list`.")
    config.profiles.setdefault(name, found)
    config.default_profile = name
    config.save()
    if json_:
        _output.print_json(next(r for r in _rows(session) if r["name"] == name))
    else:
        _output.success(f"Default profile is now '{name}' ({config.profiles[name].base_url}).")


@app.command("add")
@command
def profiles_add(
    session: Session,
    name: NameArgument,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Default model for this profile.", show_default=False)
    ] = None,
    make_default: Annotated[
        bool, typer.Option("--default", help="Also make it the default profile.")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Add a profile, or change the URL or model of an existing one.

    Store its key afterwards with `mg login --profile NAME`.

    \b
    Examples:
      mg profiles add prod --base-url https://api.monstergaming.ai
      mg profiles add lan --base-url http://192.168.1.20:8787 --default
    """
    from mg._client_base import normalize_base_url
    from mg.cli import _output
    from mg.config import Config, Profile

    if not _NAME.match(name):
        raise UsageError(f"'{name}' is not a valid profile name.", "Use letters, digits, '_', '.' or '-'.")
    config = Config.load()
    existing = config.profile(name)
    was_configured = name in config.profiles
    base_url = session.options.base_url or (existing.base_url if existing else None)
    if base_url is None:
        raise UsageError("A new profile needs its gateway URL.", f"mg profiles add {name} --base-url URL")
    profile = Profile(
        name,
        normalize_base_url(base_url),
        existing.credential if existing else None,
        model or (existing.model if existing else None),
    )
    config.profiles[name] = profile
    if make_default or not config.default_profile:
        config.default_profile = name
    config.save()
    if json_:
        _output.print_json(next(r for r in _rows(session) if r["name"] == name))
        return
    verb = "Updated" if was_configured else "Added"
    _output.success(f"{verb} profile '{name}' → {profile.base_url}.")
    if not profile.credential:
        _output.info(f"Store its key with: mg login --profile {name}")


@app.command("remove")
@command
def profiles_remove(session: Session, name: NameArgument, json_: JsonOption = False) -> None:
    """Remove a profile and its stored key.

    \b
    Examples:
      mg profiles remove staging
    """
    from mg.cli import _output
    from mg.config import Config, forget_key

    config = Config.load()
    if name not in config.profiles:
        raise NotFound(f"There is no profile named '{name}'.", "List them with `mg profiles list`.")
    key_removed = forget_key(name)
    config = Config.load()
    del config.profiles[name]
    if config.default_profile == name:
        config.default_profile = None
    config.save()
    if json_:
        _output.print_json({"name": name, "removed": True, "key_removed": key_removed})
    else:
        _output.success(f"Removed profile '{name}'" + (" and its key." if key_removed else "."))
