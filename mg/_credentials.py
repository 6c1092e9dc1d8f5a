"""API keys at rest: the OS keyring, or a file only the user can read where there is none.

Every keyring call (the import included: backends probe D-Bus and friends) runs in a worker
thread with a deadline, so a locked or wedged keyring costs at most ``MG_KEYRING_TIMEOUT``
seconds, never a hung terminal.
"""

from __future__ import annotations

import os
import threading
import tomllib
from pathlib import Path
from typing import Any

SERVICE = "mg"
KEYRING = "keyring"
FILE = "file"
DEFAULT_TIMEOUT = 5.0


class CredentialStoreError(Exception):
    """The keyring failed or did not answer in time."""


class NoKeyringBackend(Exception):
    """This machine has no usable keyring backend (headless CI, containers)."""


def keyring_timeout() -> float:
    try:
        return float(os.environ.get("MG_KEYRING_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        return DEFAULT_TIMEOUT


def _backend() -> Any:
    import keyring
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or (
        isinstance(backend, chainer.ChainerBackend) and not backend.backends
    ):
        raise NoKeyringBackend(type(backend).__name__)
    # Priority below 1 is keyring's "not recommended" (plain files of keyrings.alt, say): our own
    # 0600 file is no worse and says what it is. A backend chosen on purpose is still used.
    if backend.priority < 1 and not os.environ.get("PYTHON_KEYRING_BACKEND"):
        raise NoKeyringBackend(type(backend).__name__)
    return backend


def _keyring_call(method: str, *args: str) -> Any:
    timeout = keyring_timeout()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = getattr(_backend(), method)(*args)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="mg-keyring", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise CredentialStoreError(f"the OS keyring did not answer within {timeout:g} s (is it locked?)")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, NoKeyringBackend):
            raise error
        raise CredentialStoreError(f"the OS keyring failed: {error}") from error
    return outcome.get("value")


class CredentialFile:
    """``credentials.toml``: one table per profile, mode 0600, rewritten atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        try:
            with self.path.open("rb") as fh:
                return tomllib.load(fh)
        except FileNotFoundError:
            return {}
        except tomllib.TOMLDecodeError as exc:
            raise CredentialStoreError(f"{self.path} is not valid TOML: {exc}") from exc

    def get(self, profile: str) -> str | None:
        entry = self._read().get(profile)
        key = entry.get("api_key") if isinstance(entry, dict) else None
        return key if isinstance(key, str) and key else None

    def set(self, profile: str, api_key: str) -> None:
        data = self._read()
        data[profile] = {"api_key": api_key}
        self._write(data)

    def delete(self, profile: str) -> bool:
        data = self._read()
        if data.pop(profile, None) is None:
            return False
        self._write(data)
        return True

    def _write(self, data: dict[str, Any]) -> None:
        import tomli_w

        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        # Created 0600 from the first byte: never readable by others, not even for a moment.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(tomli_w.dumps(data).encode("utf-8"))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)


class Credentials:
    """Where the keys of the profiles live; ``hint`` is where the config says a key was put."""

    def __init__(self, config_dir: Path) -> None:
        self.file = CredentialFile(config_dir / "credentials.toml")

    def get(self, profile: str, hint: str | None = None) -> tuple[str | None, str | None]:
        """The stored key and where it came from (``keyring`` or ``file``)."""
        if hint != FILE:
            try:
                key = _keyring_call("get_password", SERVICE, profile)
            except NoKeyringBackend:
                key = None
            except CredentialStoreError:
                key = self.file.get(profile)
                if key is None:
                    raise
                return key, FILE
            if key:
                return key, KEYRING
        key = self.file.get(profile)
        return (key, FILE) if key else (None, None)

    def set(self, profile: str, api_key: str) -> str:
        """Store a key; answers ``keyring`` or ``file`` (when no keyring could take it)."""
        try:
            _keyring_call("set_password", SERVICE, profile, api_key)
        except (NoKeyringBackend, CredentialStoreError):
            self.file.set(profile, api_key)
            return FILE
        # A key that moved into the keyring must not linger in the file.
        self.file.delete(profile)
        return KEYRING

    def delete(self, profile: str, hint: str | None = None) -> bool:
        removed = self.file.delete(profile)
        if hint == FILE:
            return removed
        try:
            _keyring_call("delete_password", SERVICE, profile)
        except NoKeyringBackend:
            return removed
        except CredentialStoreError as exc:
            # keyring raises PasswordDeleteError for a missing entry.
            if "PasswordDelete" in type(exc.__cause__).__name__:
                return removed
            raise
        return True
