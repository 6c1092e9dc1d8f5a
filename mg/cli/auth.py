"""``mg login``, ``mg logout``, ``mg whoami``: the key of a profile."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command
from mg.cli._errors import UsageError


def _read_key(with_token: bool, profile: str, base_url: str) -> str:
    from mg.cli import _output

    if with_token:
        if _output.is_tty(sys.stdin):
            raise UsageError(
                "--with-token reads the key from stdin, which is a terminal.",
                'Pipe it in: echo "$MONSTER_API_KEY" | mg login --with-token',
            )
        return sys.stdin.read().strip()
    if not _output.interactive():
        raise UsageError(
            "No terminal to prompt for the key.",
            'Pipe it in instead: echo "$MONSTER_API_KEY" | mg login --with-token',
        )
    import getpass

    _output.info(f"Logging in to profile '{profile}' ({base_url}).")
    return getpass.getpass("Paste your API key (input is hidden): ").strip()


@command
def auth_login(
    session: Session,
    with_token: Annotated[
        bool, typer.Option("--with-token", help="Read the key from stdin (for CI).")
    ] = False,
    email: Annotated[
        str | None,
        typer.Option(
            "--email",
            metavar="EMAIL",
            help="Sign in by magic link (a new address signs up) and store a personal access token.",
        ),
    ] = None,
    accept_tos: Annotated[
        bool, typer.Option("--accept-tos", help="With --email: accept the Terms of Service.")
    ] = False,
    make_default: Annotated[
        bool, typer.Option("--default", help="Also make this the default profile.")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Store an API key for a profile (checked with the gateway first).

    Prompts for the key with hidden input; --with-token reads it from stdin
    instead. The key goes to the OS keyring (or, where none exists, to a file
    only you can read). A new profile needs --base-url.

    --email mails you a sign-in link: from a gateway on this machine it is read
    from the gateway's outbox, otherwise paste it from the mail. The profile
    then keeps a personal access token (mg_pat_…) of your account.

    \b
    Examples:
      mg login
      mg login --email you@studio.dev --accept-tos
      mg login --profile prod --base-url https://api.monstergaming.ai
      echo "$MONSTER_API_KEY" | mg login --with-token --profile ci
    """
    from mg.cli import _output
    from mg.cli._session import credentials_file_notice
    from mg.client import MonsterClient
    from mg.config import store_key

    target = session.resolved_without_key()
    if email is not None:
        from mg.cli._email_login import is_local, login_by_email

        outbox_dir = None
        if is_local(target.base_url):
            from mg.cli.gateway import data_dir

            outbox_dir = data_dir()
        key = login_by_email(target.base_url, email, outbox_dir, accept_tos=accept_tos)["token"]
    else:
        key = _read_key(with_token, target.profile, target.base_url)
    if not key:
        raise UsageError("No key given.")
    from mg.config import check_key_format

    key = check_key_format(key)
    with MonsterClient(key, target.base_url, retry=not session.options.no_retry) as client:
        who: dict[str, Any] = client.whoami()
    source = store_key(target.profile, key, base_url=target.base_url, make_default=make_default)
    result = {
        "profile": target.profile,
        "base_url": target.base_url,
        "credential": source,
        "email": who.get("email"),
        "developer_id": who.get("developer_id"),
        "key_id": who.get("key_id"),
        "tier": who.get("tier"),
        "environment": who.get("environment"),
        "tos_accepted": who.get("tos_accepted"),
    }
    if source == "file":
        credentials_file_notice()
    if json_:
        _output.print_json(result)
        return
    _output.success(
        f"Logged in to '{target.profile}' as {who.get('email')} "
        f"({who.get('tier')} tier, {who.get('environment')} key)."
    )
    if who.get("tos_accepted") is False:
        _output.note(
            "accept the Terms of Service before using the API: mg login --email … --accept-tos, or /portal."
        )


@command
def auth_logout(session: Session, json_: JsonOption = False) -> None:
    """Remove the stored key of a profile (the profile itself stays).

    \b
    Examples:
      mg logout
      mg logout --profile prod
    """
    from mg.cli import _output
    from mg.config import forget_key

    target = session.resolved_without_key()
    removed = forget_key(target.profile)
    if json_:
        _output.print_json({"profile": target.profile, "removed": removed})
    elif removed:
        _output.success(f"Removed the key of profile '{target.profile}'.")
    else:
        _output.note(f"profile '{target.profile}' had no stored key.")


@command
def auth_whoami(session: Session, json_: JsonOption = False) -> None:
    """Show who the current key belongs to, its tier and limits.

    Spends nothing from the key's rate limit.

    \b
    Examples:
      mg whoami
      mg whoami --profile prod --json
    """
    from mg.cli import _output

    with session.client() as client:
        who: dict[str, Any] = client.whoami()
    resolved = session.resolved
    result = {
        "profile": resolved.profile,
        "base_url": resolved.base_url,
        "key_source": resolved.key_source,
        **who,
    }
    if json_:
        _output.print_json(result)
        return
    limits = who.get("rate_limits") or {}
    _output.print_table(
        ["", ""],
        [
            ["profile", resolved.profile],
            ["gateway", resolved.base_url],
            ["email", who.get("email")],
            ["developer", who.get("developer_id")],
            ["key", f"{who.get('key')} ({who.get('key_id')}, from {resolved.key_source})"],
            ["environment", who.get("environment")],
            ["tier", who.get("tier")],
            ["requests/min", limits.get("requests_per_minute")],
        ],
    )
