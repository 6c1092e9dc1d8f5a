"""Profiles and where their keys are: the one place that resolves the CLI's and SDK's settings.

Precedence for each setting: flag > ``MG_*`` environment > config file > default.

- profile: ``--profile`` > ``MG_PROFILE`` > ``default_profile`` in the config > ``local``
- base URL: ``--base-url`` > ``MG_BASE_URL`` > the profile's ``base_url``
- API key: ``--api-key`` > ``MG_API_KEY`` > the profile's stored key (OS keyring, or
  ``credentials.toml`` where no keyring exists). With a key from a flag or the environment the
  keyring is not even imported.

The config is ``config.toml`` in ``$MG_CONFIG_DIR`` or the platform's user config dir::

    default_profile = "local"

    [profiles.local]
    base_url = "http://127.0.0.1:8787"
    credential = "keyring"          # where its key was stored: keyring or file
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mg._credentials import Credentials

LOCAL_PROFILE = "local"
LOCAL_BASE_URL = "http://127.0.0.1:8787"
HOSTED_BASE_URL = "https://api.monstergaming.ai"
DEFAULT_MODEL = "deepseek-chat"
KEY_PREFIXES = ("mg_live_", "mg_test_", "mg_pat_")


class ConfigError(Exception):
    """A problem with the local configuration (not with the API)."""

    remediation = ""

    def __init__(self, message: str, remediation: str | None = None) -> None:
        super().__init__(message)
        if remediation is not None:
            self.remediation = remediation


class ProfileNotFoundError(ConfigError):
    remediation = "List them with `mg profiles list`; add one with `mg profiles add NAME --base-url URL`."


class MissingKeyError(ConfigError):
    """No key for the profile in flags, environment or the credential store."""


class CredentialsError(ConfigError):
    """The credential store failed (a locked or broken keyring)."""

    remediation = "Unlock the keyring, or pass the key in MG_API_KEY (the keyring is then not used)."


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("MG_CONFIG_DIR"):
        return Path(env["MG_CONFIG_DIR"]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("mg", appauthor=False))


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where history and other non-essential state lives (``MG_STATE_DIR``)."""
    env = os.environ if environ is None else environ
    if env.get("MG_STATE_DIR"):
        return Path(env["MG_STATE_DIR"]).expanduser()
    if env.get("MG_CONFIG_DIR"):
        return Path(env["MG_CONFIG_DIR"]).expanduser() / "state"
    from platformdirs import user_state_dir

    return Path(user_state_dir("mg", appauthor=False))


@dataclass
class Profile:
    name: str
    base_url: str
    credential: str | None = None
    model: str | None = None

    def to_toml(self) -> dict[str, Any]:
        out = {"base_url": self.base_url, "credential": self.credential, "model": self.model}
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class Config:
    path: Path
    default_profile: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)
    notices: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path | None = None) -> Config:
        path = (directory or config_dir()) / "config.toml"
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            return cls(path)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}", "Fix or delete the file.") from exc
        profiles = {}
        for name, raw in (data.get("profiles") or {}).items():
            if isinstance(raw, dict) and isinstance(raw.get("base_url"), str):
                profiles[name] = Profile(name, raw["base_url"], raw.get("credential"), raw.get("model"))
        notices = data.get("notices")
        return cls(
            path, data.get("default_profile"), profiles, dict(notices) if isinstance(notices, dict) else {}
        )

    def save(self) -> None:
        import tomli_w

        data: dict[str, Any] = {}
        if self.default_profile:
            data["default_profile"] = self.default_profile
        data["profiles"] = {name: p.to_toml() for name, p in sorted(self.profiles.items())}
        if self.notices:
            data["notices"] = self.notices
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)

    def profile(self, name: str) -> Profile | None:
        """A configured profile; ``local`` always exists, at its default URL until configured."""
        if name == LOCAL_PROFILE:
            return self.local_profile()
        return self.profiles.get(name)

    def local_profile(self) -> Profile:
        """The ``local`` profile: as configured, else at its default URL."""
        return self.profiles.get(LOCAL_PROFILE) or Profile(LOCAL_PROFILE, LOCAL_BASE_URL)

    @property
    def credentials(self) -> Credentials:
        from mg._credentials import Credentials

        return Credentials(self.path.parent)


@dataclass(frozen=True)
class Resolved:
    """The settings one command runs with, and where each came from."""

    profile: str
    base_url: str
    api_key: str | None
    key_source: str | None  # flag, env, keyring, file or None
    model: str | None = None
    profile_configured: bool = False


def active_profile_name(profile: str | None = None, config: Config | None = None) -> str:
    return (
        profile or os.environ.get("MG_PROFILE") or (config or Config.load()).default_profile or LOCAL_PROFILE
    )


def resolve(
    profile: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    *,
    need_key: bool = True,
) -> Resolved:
    """The profile, base URL and key a command should use (see the module docstring)."""
    env_key = os.environ.get("MG_API_KEY") or None
    config = Config.load()
    name = active_profile_name(profile, config)
    found = config.profile(name)
    url = base_url or os.environ.get("MG_BASE_URL") or (found.base_url if found else None)
    if found is None and url is None:
        raise ProfileNotFoundError(f"There is no profile named '{name}'.")
    key, source = (api_key, "flag") if api_key else (env_key, "env") if env_key else (None, None)
    if key is None and need_key and found is not None:
        try:
            key, source = config.credentials.get(name, found.credential)
        except Exception as exc:
            raise CredentialsError(f"Cannot read the key of profile '{name}': {exc}.") from exc
    return Resolved(
        profile=name,
        base_url=url or LOCAL_BASE_URL,
        api_key=key,
        key_source=source,
        model=found.model if found else None,
        profile_configured=name in config.profiles,
    )


def check_key_format(api_key: str) -> str:
    api_key = api_key.strip()
    if not api_key.startswith(KEY_PREFIXES) or any(c.isspace() for c in api_key):
        raise ConfigError(
            "That does not look like an mg API key.",
            "Keys start with mg_live_, mg_test_ or mg_pat_ (a local gateway prints one on first start).",
        )
    return api_key


def store_key(profile: str, api_key: str, *, base_url: str | None = None, make_default: bool = False) -> str:
    """Create or update ``profile`` and store its key; answers ``keyring`` or ``file``."""
    config = Config.load()
    current = config.profile(profile)
    url = base_url or (current.base_url if current else None)
    if url is None:
        raise ProfileNotFoundError(
            f"There is no profile named '{profile}'.",
            f"Give its URL: --base-url {HOSTED_BASE_URL} (or mg profiles add {profile} --base-url URL).",
        )
    source = config.credentials.set(profile, api_key)
    model = current.model if current else None
    config.profiles[profile] = Profile(profile, url, source, model)
    if make_default or not config.default_profile:
        config.default_profile = profile
    config.save()
    return source


def forget_key(profile: str) -> bool:
    """Remove a profile's stored key; True when there was one."""
    config = Config.load()
    found = config.profiles.get(profile)
    removed = config.credentials.delete(profile, found.credential if found else None)
    if found is not None and found.credential:
        found.credential = None
        config.save()
    return removed


def save_local_profile_key(api_key: str, *, base_url: str) -> str:
    """Called by the local gateway on its first start: its test key becomes the ``local`` key.

    Creates or updates the ``local`` profile with the gateway's URL and stores the key; ``local``
    becomes the default profile when none is set. Answers where the key went.
    """
    from mg._client_base import normalize_base_url

    return store_key(LOCAL_PROFILE, api_key, base_url=normalize_base_url(base_url))


def mark_notice(name: str) -> bool:
    """True the first time ``name`` is marked: for things the CLI should say only once."""
    config = Config.load()
    if config.notices.get(name):
        return False
    config.notices[name] = True
    config.save()
    return True
