"""Keyring backends for tests: one that never answers (a locked keyring), selected with
``PYTHON_KEYRING_BACKEND=tests.support.slow_keyring.StuckKeyring``."""

from __future__ import annotations

import time

from keyring.backend import KeyringBackend


class StuckKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(3600)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(3600)

    def delete_password(self, service: str, username: str) -> None:
        time.sleep(3600)
