"""``mg login --email``: ask the gateway for a sign-in link, take it from the local gateway's
outbox (or from the mail, pasted), follow it, and trade the session it opens for a personal
access token; the session is signed out again, the token is what the profile keeps."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from mg.cli._errors import UsageError
from mg.errors import APIConnectionError, from_envelope


def _check(response: httpx.Response, *ok: int) -> Any:
    if response.status_code not in ok:
        try:
            body = response.json()
        except ValueError:
            body = None
        raise from_envelope(response.status_code, body)
    return (
        response.json() if response.headers.get("Content-Type", "").startswith("application/json") else None
    )


def is_local(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host in ("127.0.0.1", "localhost", "::1")


def token_from(text: str) -> str:
    """A pasted link (or bare token) as the token it carries."""
    text = text.strip()
    if "token=" in text:
        tokens = parse_qs(urlsplit(text).query).get("token") or []
        text = tokens[0] if tokens else ""
    if not text or any(c.isspace() for c in text):
        raise UsageError(
            "That is not a sign-in link.", "Paste the whole link from the mail (…/v1/auth/verify?token=…)."
        )
    return text


def _wait_for_outbox(outbox_dir: Path, email: str, seen: int, timeout: float = 10.0) -> str | None:
    """The link once the gateway wrote it (it mails off the request path). No outbox file after
    a moment means this is not the gateway's data dir: ask for the link instead of waiting on."""
    from mg.cli._outbox import newest_link, outbox_path

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        link = newest_link(outbox_dir, email, seen)
        if link is not None:
            return link
        if time.monotonic() - started > 2.0 and not outbox_path(outbox_dir).exists():
            return None
        time.sleep(0.1)
    return None


def _paste() -> str:
    from mg.cli import _output

    if _output.is_tty(sys.stdin):
        return input("Paste the sign-in link from the mail: ")
    line = sys.stdin.readline()
    if not line.strip():
        raise UsageError(
            "No sign-in link given.",
            "Pipe it in: echo 'https://…/v1/auth/verify?token=…' | mg login --email …",
        )
    return line


def login_by_email(base_url: str, email: str, outbox_dir: Path | None, *, accept_tos: bool) -> dict[str, Any]:
    """Sign in by magic link; answers the new PAT and whether the terms are (now) accepted."""
    from mg.cli import _output
    from mg.cli._outbox import read_outbox

    root = base_url.rstrip("/").removesuffix("/v1")
    seen = len(read_outbox(outbox_dir)) if outbox_dir is not None else 0
    try:
        with httpx.Client(base_url=root, timeout=30) as http:
            _check(http.post("/v1/auth/email", json={"email": email}), 200)
            link = _wait_for_outbox(outbox_dir, email, seen) if outbox_dir is not None else None
            if link is None:
                _output.info(f"A sign-in link was mailed to {email}.")
                link = _paste()
            else:
                _output.info("Took the sign-in link from the local gateway's outbox.")
            _check(
                http.get("/v1/auth/verify", params={"token": token_from(link)}, follow_redirects=False), 303
            )
            csrf = {"X-CSRF-Token": http.cookies.get("mg_csrf") or ""}
            name = f"mg login on {socket.gethostname()}"[:200]
            token = _check(http.post("/portal/api/tokens", json={"name": name}, headers=csrf), 201)
            if accept_tos:
                _check(http.post("/v1/auth/tos", headers=csrf), 200)
            _check(http.post("/v1/auth/logout", headers=csrf), 200)
    except httpx.TransportError as exc:
        raise APIConnectionError(f"Cannot reach the gateway at {root}: {exc}") from exc
    return {"token": token["token"], "token_id": token["id"]}
