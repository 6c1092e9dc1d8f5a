"""``mg keys`` and ``mg tokens``: the account's API keys (list, create, rotate, revoke, health)
and personal access tokens. A new key or token is printed once: the gateway keeps only its hash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group

if TYPE_CHECKING:
    from mg.client import MonsterClient

app = new_group("API keys: list, create, rotate, revoke, and their health.")
tokens_app = new_group("Personal access tokens (mg_pat_…): act as your account, e.g. in CI.")

KeyIdArgument = Annotated[str, typer.Argument(metavar="KEY_ID", help="Key id (key_…).", show_default=False)]
NameOption = Annotated[
    str | None, typer.Option("--name", "-n", help="A name to tell it apart.", show_default=False)
]
COPY_HINT = "Copy it now: it is shown this once (the gateway keeps only a hash)."


def _key_row(key: dict[str, Any], current: str | None) -> list[Any]:
    mark = " (this one)" if key["id"] == current else ""
    return [
        key["id"] + mark,
        key.get("name") or "",
        key["display"],
        key["environment"],
        key["status"],
        key["health"],
        f"{key['age_days']}d",
        (key.get("last_used_at") or "never")[:10],
    ]


def _key_in_use(session: Session, client: MonsterClient) -> str | None:
    """The id of the key this command runs with; None when it runs with a token."""
    if (session.resolved.api_key or "").startswith("mg_pat_"):
        return None
    key_id = client.keys.me().get("key_id")
    return str(key_id) if key_id else None


def _show_secret(label: str, secret: str) -> None:
    from mg.cli import _output

    print(secret)
    _output.note(f"{label}: {COPY_HINT}")


@app.command("list")
@command
def keys_list(session: Session, json_: JsonOption = False) -> None:
    """List your account's keys, newest first: status, rotation health, age, last use.

    \b
    Examples:
      mg keys
      mg keys list --json | jq -r '.[] | select(.health != "healthy") | .id'
    """
    from mg.cli import _output

    with session.client() as client:
        keys = client.keys.list()
        current = _key_in_use(session, client)
    if json_:
        _output.print_json(keys)
        return
    _output.print_table(
        ["id", "name", "key", "env", "status", "health", "age", "last used"],
        [_key_row(k, current) for k in keys],
    )


@app.command("create")
@command
def keys_create(
    session: Session,
    live: Annotated[bool, typer.Option("--live", help="A live key (billed) instead of a test key.")] = False,
    name: NameOption = None,
    json_: JsonOption = False,
) -> None:
    """Create a key; prints it once (test keys use the sandbox and are never billed).

    \b
    Examples:
      mg keys create --name ci
      mg keys create --live --name "build server" --json | jq -r .key
    """
    from mg.cli import _output

    with session.client() as client:
        made = client.keys.create(environment="live" if live else "test", name=name)
    if json_:
        _output.print_json(made)
        return
    _output.success(
        f"Created {made['id']} ({made['environment']}{', ' + made['name'] if made.get('name') else ''})."
    )
    _show_secret("new key", made["key"])


@app.command("rotate")
@command
def keys_rotate(
    session: Session,
    key_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[KEY_ID]", help="Key to rotate [default: the one in use].", show_default=False
        ),
    ] = None,
    grace_hours: Annotated[
        float | None,
        typer.Option(
            "--grace-hours",
            min=0,
            max=168,
            help="How long the old key keeps working [default: 24].",
            show_default=False,
        ),
    ] = None,
    save: Annotated[
        bool,
        typer.Option(
            "--save/--no-save",
            help="When rotating the key in use, store the new one in its profile.",
        ),
    ] = True,
    json_: JsonOption = False,
) -> None:
    """Replace a key with a new one; the old one works until its grace period ends.

    Rotating the key in use (no KEY_ID) stores the new key in the profile it came
    from, unless --no-save (a key from --api-key or MG_API_KEY is never stored).

    \b
    Examples:
      mg keys rotate
      mg keys rotate key_3k9x --grace-hours 0
    """
    from mg.cli import _output
    from mg.config import store_key

    resolved = session.require_key()
    with session.client() as client:
        current = _key_in_use(session, client)
        in_use = current is not None and key_id in (None, current)
        made = client.keys.rotate(key_id, grace_hours=grace_hours)
    stored = in_use and save and resolved.key_source in ("keyring", "file")
    if stored:
        store_key(resolved.profile, made["key"], base_url=resolved.base_url)
    if json_:
        _output.print_json({**made, "saved_to_profile": resolved.profile if stored else None})
        return
    _output.success(
        f"Rotated {made['replaces']} → {made['id']}; the old key works until {made['old_key_expires_at']}."
    )
    _show_secret("new key", made["key"])
    if stored:
        _output.note(f"Stored the new key in profile '{resolved.profile}'.")
    elif in_use and not save:
        _output.note(
            f"Not stored (--no-save): profile '{resolved.profile}' keeps the old key until it expires."
        )
    elif in_use:
        _output.note(f"Not stored: update MG_API_KEY, or `mg login --profile {resolved.profile}`.")


@app.command("revoke")
@command
def keys_revoke(session: Session, key_id: KeyIdArgument, json_: JsonOption = False) -> None:
    """Revoke a key: it stops working at once, in every gateway process.

    \b
    Example:
      mg keys revoke key_3k9x
    """
    from mg.cli import _output

    with session.client() as client:
        key = client.keys.revoke(key_id)
    if json_:
        _output.print_json(key)
        return
    _output.success(f"Revoked {key['id']} ({key['display']}).")


@app.command("health")
@command
def keys_health(session: Session, json_: JsonOption = False) -> None:
    """Show each key's age and rotation advice: under 90 days healthy, 90-180 aging, then stale.

    \b
    Examples:
      mg keys health
      mg keys health --json | jq -r '.keys[] | select(.status == "stale") | .key_id'
    """
    from mg.cli import _output

    with session.client() as client:
        report = client.keys.health()
    if json_:
        _output.print_json(report)
        return
    _output.print_table(
        ["id", "key", "env", "age", "status", "last used", "advice"],
        [
            [
                h["key_id"],
                h["display"],
                h["environment"],
                f"{h['age_days']}d",
                h["status"],
                (h.get("last_used_at") or "never")[:10],
                h.get("recommendation") or "",
            ]
            for h in report.get("keys") or []
        ],
    )


@tokens_app.command("list")
@command
def tokens_list(session: Session, json_: JsonOption = False) -> None:
    """List your personal access tokens (never the token itself).

    \b
    Example:
      mg tokens
    """
    from mg.cli import _output

    with session.client() as client:
        tokens = client.tokens.list()
    if json_:
        _output.print_json(tokens)
    elif not tokens:
        _output.note("No tokens yet. Make one: mg tokens create --name ci")
    else:
        _output.print_table(
            ["id", "name", "token", "created", "last used", "revoked"],
            [
                [
                    t["id"],
                    t.get("name") or "",
                    t["display"],
                    t["created_at"][:10],
                    (t.get("last_used_at") or "never")[:10],
                    (t.get("revoked_at") or "")[:10],
                ]
                for t in tokens
            ],
        )


@tokens_app.command("create")
@command
def tokens_create(session: Session, name: NameOption = None, json_: JsonOption = False) -> None:
    """Create a personal access token; prints it once.

    \b
    Examples:
      mg tokens create --name ci
      mg tokens create --json | jq -r .token
    """
    from mg.cli import _output

    with session.client() as client:
        made = client.tokens.create(name=name)
    if json_:
        _output.print_json(made)
        return
    _output.success(f"Created {made['id']}{' (' + made['name'] + ')' if made.get('name') else ''}.")
    _show_secret("new token", made["token"])


@tokens_app.command("revoke")
@command
def tokens_revoke(
    session: Session,
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="Token id.", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Revoke a personal access token: it stops working at once.

    \b
    Example:
      mg tokens revoke pat_3k9x
    """
    from mg.cli import _output

    with session.client() as client:
        token = client.tokens.revoke(token_id)
    if json_:
        _output.print_json(token)
        return
    _output.success(f"Revoked {token['id']} ({token['display']}).")
