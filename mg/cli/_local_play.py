"""The local gateway of `mg chat --local` and `scripts/play`: found, or started in the background,
with a test key saved for the ``local`` profile."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from mg.cli._errors import CLIError, UsageError
from mg.cli.gateway import LOCAL_PLAY_RPM, _health, data_dir, start_detached


def _loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise UsageError(
            f"The local profile points at {url}, which is not this machine.",
            "Point it here: mg profiles add local --base-url http://127.0.0.1:8787",
        )
    return host, parts.port or 8787


def ensure_local(url: str) -> tuple[str, bool]:
    """A healthy gateway at ``url``: the one answering there, or a new background one.

    A gateway started here is for play on a developer's own machine, so its test keys get a
    higher rate limit than the default (``MG_TEST_KEY_RPM``, 600 unless set).
    """
    if _health(url, timeout=1.0) is not None:
        return url, False
    host, port = _loopback(url)
    rpm = os.environ.get("MG_TEST_KEY_RPM") or LOCAL_PLAY_RPM
    daemon, _ = start_detached(host, port, None, extra_env={"MG_TEST_KEY_RPM": rpm})
    return daemon.url, True


def managed_here(url: str) -> bool:
    """Whether ``url`` is the background gateway of the user data dir (so mg may add keys to it)."""
    from mg._client_base import normalize_base_url
    from mg.cli import _daemon

    daemon = _daemon.find(data_dir())
    return (
        daemon.running
        and daemon.url is not None
        and normalize_base_url(daemon.url) == normalize_base_url(url)
    )


def create_local_key(url: str) -> str:
    """A new test key from the gateway's own database, saved as the ``local`` profile's key."""
    import json
    import subprocess

    from local_gateway.app import LOCAL_EMAIL
    from mg.config import save_local_profile_key

    out = subprocess.run(
        [sys.executable, "-m", "local_gateway", "admin", "create-key", "--email", LOCAL_EMAIL,
         "--tier", "studio", "--name", "local", "--json", "--data-dir", str(data_dir())],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if out.returncode != 0:
        raise CLIError(f"Could not create a local key: {out.stderr.strip()}")
    key = str(json.loads(out.stdout)["api_key"])
    save_local_profile_key(key, base_url=url)
    return key
