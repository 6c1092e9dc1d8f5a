"""``mg gateway env``: the variables an OpenAI client (and ``mg``) needs for the local gateway.

The key is the one the ``local`` profile stores (the gateway's first start puts its test key
there); ``MG_API_KEY`` in the environment does not change what is printed, since that may be a
key of another gateway. Each shell gets its own syntax, quoted so that ``eval`` (or ``source``)
sets exactly these values.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from mg.cli._errors import AuthError, CLIError


class EnvShell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


# Values made of these characters need no quotes in any of the shells (URLs and keys are).
_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def default_shell(environ: Mapping[str, str] | None = None) -> EnvShell:
    """The shell of ``$SHELL`` when it is one we know; PowerShell on Windows; else bash syntax."""
    env = os.environ if environ is None else environ
    name = Path(env.get("SHELL", "")).name
    if name in EnvShell.__members__:
        return EnvShell(name)
    if os.name == "nt":
        return EnvShell.powershell
    return EnvShell.bash


def variables(url: str, api_key: str) -> dict[str, str]:
    """OpenAI clients want the ``/v1`` URL; ``mg`` takes the gateway's root."""
    return {
        "OPENAI_BASE_URL": f"{url}/v1",
        "OPENAI_API_KEY": api_key,
        "MG_BASE_URL": url,
        "MG_API_KEY": api_key,
    }


def _fish_quote(value: str) -> str:
    if _PLAIN.match(value):
        return value
    # Inside fish's single quotes only \\ and \' are escapes.
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell_quote(value: str) -> str:
    # Single-quoted strings are verbatim in PowerShell; a quote is written twice.
    return "'" + value.replace("'", "''") + "'"


def render(values: Mapping[str, str], shell: EnvShell) -> str:
    """Lines that set ``values`` in ``shell`` (one ``export`` line for bash and zsh)."""
    if shell in (EnvShell.bash, EnvShell.zsh):
        return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in values.items())
    if shell is EnvShell.fish:
        return "\n".join(f"set -gx {name} {_fish_quote(value)}" for name, value in values.items())
    return "\n".join(f"$env:{name} = {_powershell_quote(value)}" for name, value in values.items())


def how_to_apply(shell: EnvShell) -> str:
    """The line that puts the output into the current shell."""
    if shell is EnvShell.fish:
        return "mg gateway env --shell fish | source"
    if shell is EnvShell.powershell:
        return "mg gateway env --shell powershell | Out-String | Invoke-Expression"
    return f'eval "$(mg gateway env --shell {shell.value})"'


def stored_local_key() -> str:
    """The ``local`` profile's stored key; :class:`AuthError` when there is none."""
    from mg.config import LOCAL_PROFILE, Config

    config = Config.load()
    profile = config.profile(LOCAL_PROFILE)
    key: str | None
    try:
        key, _ = config.credentials.get(LOCAL_PROFILE, profile.credential if profile else None)
    except Exception as exc:  # a broken keyring: say so in one line, as every command does
        raise AuthError(
            f"Cannot read the key of the 'local' profile: {exc}.", "Unlock the OS keyring and try again."
        ) from exc
    if not key:
        raise AuthError(
            "The 'local' profile has no key stored.",
            "`mg chat --local` makes one for mg's own gateway; for another, `mg login --profile local`.",
        )
    return key


def check_key(url: str, api_key: str) -> None:
    """Refuse to print a key the gateway at ``url`` does not know (a stale profile, say)."""
    import httpx

    try:
        response = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {api_key}"}, timeout=5.0)
    except httpx.HTTPError as exc:
        raise CLIError(f"The gateway at {url} did not answer: {exc}.") from exc
    if response.status_code == 401:
        raise AuthError(
            f"The 'local' profile's key is not a key of the gateway at {url}.",
            "Drop it with `mg logout --profile local` and `mg chat --local` makes a new one for mg's own "
            "gateway; for another, `mg login --profile local`.",
        )
