"""Where sign-in mail goes: an SMTP server when ``MG_SMTP_URL`` is set, else the outbox file in
the data dir (``outbox.jsonl``, one message a line) that ``mg gateway outbox`` prints."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger("mg.gateway.mail")
OUTBOX_FILE = "outbox.jsonl"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    # The sign-in link the message carries, so the outbox can be read by a program (mg login).
    link: str
    sent_at: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


class OutboxMailer:
    """Appends each message to ``<data dir>/outbox.jsonl`` (readable by its owner only)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / OUTBOX_FILE

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._append, json.dumps(asdict(mail)) + "\n")

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    # smtps:// is TLS from the first byte; smtp:// upgrades with STARTTLS when the server offers it.
    use_tls: bool
    sender: str


def parse_smtp_url(url: str, sender: str) -> SmtpTarget:
    """``smtp://user:pass@host:587`` or ``smtps://host:465``; a bad URL fails at start-up."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"MG_SMTP_URL must look like smtp://user:password@host:port, not {url!r}")
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=tls,
        sender=sender,
    )


class SmtpMailer:
    def __init__(self, target: SmtpTarget, timeout: float = 30.0) -> None:
        self.target = target
        self.timeout = timeout

    async def send(self, mail: Mail) -> None:
        import aiosmtplib

        message = EmailMessage()
        message["From"] = self.target.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        await aiosmtplib.send(
            message,
            hostname=self.target.host,
            port=self.target.port,
            username=self.target.username,
            password=self.target.password,
            use_tls=self.target.use_tls,
            start_tls=None if not self.target.use_tls else False,
            timeout=self.timeout,
        )


def make_mailer(smtp_url: str | None, sender: str, data_dir: Path) -> Mailer:
    if smtp_url:
        return SmtpMailer(parse_smtp_url(smtp_url, sender))
    return OutboxMailer(data_dir)
