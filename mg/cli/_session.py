"""The settings one command runs with (profile, URL, key, retries) and the client built from them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mg.cli import _output

if TYPE_CHECKING:
    from mg._client_base import RetryEvent
    from mg.client import MonsterClient
    from mg.config import Resolved


@dataclass(frozen=True)
class GlobalOptions:
    profile: str | None = None
    api_key: str | None = None
    base_url: str | None = None
    no_retry: bool = False

    def over(self, outer: GlobalOptions) -> GlobalOptions:
        """These options, falling back to ``outer`` (those given before the command name)."""
        return GlobalOptions(
            self.profile or outer.profile,
            self.api_key or outer.api_key,
            self.base_url or outer.base_url,
            self.no_retry or outer.no_retry,
        )


# Options given before the command name (`mg --profile prod models list`); one run per process.
root_options = GlobalOptions()


def set_root_options(options: GlobalOptions) -> None:
    global root_options
    root_options = options


def announce_retry(event: RetryEvent) -> None:
    err = event.error
    _output.warn(
        f"{err.code}: {err.message} Retrying in {event.delay:.1f} s ({event.attempt} of {event.max_retries})."
    )


def credentials_file_notice() -> None:
    """Say, once per machine, that keys are in a file because there is no keyring."""
    from mg.config import config_dir, mark_notice

    if mark_notice("credentials_file"):
        _output.note(
            f"no OS keyring is available here, so API keys are kept in "
            f"{config_dir() / 'credentials.toml'} (readable only by you)."
        )


class Session:
    """Lazily resolves configuration and builds the API client (httpx is imported only here)."""

    def __init__(self, options: GlobalOptions) -> None:
        self.options = options

    def with_options(self, **changes: Any) -> Session:
        return Session(replace(self.options, **changes))

    @cached_property
    def resolved(self) -> Resolved:
        from mg.config import resolve

        resolved = resolve(self.options.profile, self.options.api_key, self.options.base_url)
        if resolved.key_source == "file":
            credentials_file_notice()
        return resolved

    def resolved_without_key(self) -> Resolved:
        from mg.config import resolve

        return resolve(self.options.profile, self.options.api_key, self.options.base_url, need_key=False)

    def require_key(self) -> Resolved:
        from mg.config import LOCAL_PROFILE, MissingKeyError

        resolved = self.resolved
        if resolved.api_key:
            return resolved
        if resolved.profile == LOCAL_PROFILE:
            hint = (
                "Start the local gateway: `mg gateway serve --detach` (its first start stores a key in "
                "the 'local' profile), or just run `mg chat --local`. Or `mg login`, or set MG_API_KEY."
            )
        else:
            hint = f"Run `mg login --profile {resolved.profile}`, or set MG_API_KEY."
        raise MissingKeyError(f"No API key for profile '{resolved.profile}'.", hint)

    def resolved_any_key(self) -> Resolved:
        """With the profile's key when there is one (a public read shows more with it), without
        one when there is none or the keyring cannot give it."""
        from mg.config import CredentialsError

        try:
            return self.resolved
        except CredentialsError:
            return self.resolved_without_key()

    def client(
        self, *, need_key: bool = True, any_key: bool = False, timeout: float | None = None
    ) -> MonsterClient:
        """``need_key=False``: only a key given by flag or environment; ``any_key``: the stored
        one too, if there is one."""
        from mg.client import MonsterClient

        if any_key:
            resolved = self.resolved_any_key()
        else:
            resolved = self.require_key() if need_key else self.resolved_without_key()
        return MonsterClient(
            resolved.api_key,
            resolved.base_url,
            retry=not self.options.no_retry,
            on_retry=announce_retry,
            timeout=timeout,
        )
