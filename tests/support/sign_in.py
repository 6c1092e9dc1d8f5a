"""Signing in to a real gateway the way a developer does: ask for a link, read it from the
gateway's outbox file, follow it, keep the cookies it sets."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.gateway_process import GatewayProcess


def outbox(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for_link(data_dir: Path, email: str, seen: int = 0, timeout: float = 10.0) -> str:
    """The link of the first message to ``email`` after the first ``seen`` messages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in outbox(data_dir)[seen:]:
            if message["to"] == email.lower():
                return str(message["link"])
        time.sleep(0.05)
    recipients = [m["to"] for m in outbox(data_dir)[seen:]]
    raise AssertionError(f"no mail to {email} in the outbox after {timeout}s (mail went to {recipients})")


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


@dataclass
class SignedIn:
    client: httpx.Client
    csrf: str
    verify: httpx.Response

    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}


def ask_link(gw: GatewayProcess, email: str) -> httpx.Response:
    with gw.client() as client:
        return client.post("/v1/auth/email", json={"email": email})


def sign_in(gw: GatewayProcess, email: str) -> SignedIn:
    seen = len(outbox(gw.data_dir))
    asked = ask_link(gw, email)
    assert asked.status_code == 200, asked.text
    link = wait_for_link(gw.data_dir, email, seen)
    client = gw.client()
    verify = client.get(link.replace(gw.url, ""), follow_redirects=False)
    assert verify.status_code == 303, verify.text
    return SignedIn(client, client.cookies["mg_csrf"], verify)
