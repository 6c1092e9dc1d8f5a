"""Magic-link sign-in and the portal sessions it opens.

``request_link`` does the same work whatever the email (the account is made when a link is
used, never when one is asked for) and mails off the request path, so neither the answer nor its
timing says whether an account exists. Links are single-use, live 15 minutes and are stored as
hashes, as are sessions; the CSRF token of a session is derived from it, so it needs no storage.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from local_gateway.services.accounts.keys import Principal, hash_key
from local_gateway.services.accounts.mail import Mail, Mailer
from local_gateway.services.billing import credits
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.store import accounts, portal
from local_gateway.store.db import Database
from local_gateway.store.records import DeveloperRecord, KeyRecord
from mg.errors import AuthenticationError, InvalidRequestError, RateLimitError
from mg.times import format_time

log = logging.getLogger("mg.gateway.sign_in")
LINK_TTL = timedelta(minutes=15)
# Asking for links: at most this many per email, and per client address, in LIMIT_WINDOW.
LIMIT_WINDOW = timedelta(minutes=15)
PER_EMAIL = 5
PER_IP = 20
SESSION_TTL = timedelta(days=7)
SESSION_ENVIRONMENT = "session"


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf: str
    developer: DeveloperRecord
    developer_created: bool
    expires_at: datetime


def normalize_email(value: object) -> str:
    email = value.strip().lower() if isinstance(value, str) else ""
    local, _, domain = email.partition("@")
    if not local or not domain or len(email) > 320 or any(c.isspace() for c in email):
        raise InvalidRequestError('Send the email address to sign in with: {"email": "you@studio.dev"}.')
    return email


def csrf_token(session_token: str) -> str:
    """The CSRF token bound to a session: only the holder of the session can know it."""
    return hmac.new(session_token.encode(), b"mg-portal-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(session_token), given or "")


class SignIn:
    def __init__(self, db: Database, clock: Clock, mailer: Mailer, public_url: str | None) -> None:
        self.db = db
        self.clock = clock
        self.mailer = mailer
        # Links point at MG_PUBLIC_URL, else at the address this process listens on (known only
        # once it listens: see listening_on). Never at the request's Host header, which a caller
        # could set to a site of theirs.
        self.configured_url = public_url.rstrip("/") if public_url else None
        self.public_url = self.configured_url or "http://127.0.0.1"
        self._sending: set[asyncio.Task[None]] = set()

    def listening_on(self, url: str) -> None:
        if self.configured_url is None:
            self.public_url = url.rstrip("/")

    async def request_link(self, email: str, ip: str) -> None:
        """Mail a sign-in link to ``email`` (an account is made when it is used)."""
        now = self.clock.now()
        since = now - LIMIT_WINDOW
        token = secrets.token_urlsafe(32)
        async with self.db.write() as session:
            too_many = await portal.links_since(session, since, email=email) >= PER_EMAIL
            if too_many or await portal.links_since(session, since, ip=ip) >= PER_IP:
                window = int(LIMIT_WINDOW.total_seconds())
                raise RateLimitError(
                    "Too many sign-in links asked for; wait a few minutes.",
                    retry_after=window,
                    reset_at=now + LIMIT_WINDOW,
                    remediation="Use the newest link already sent, or ask again in 15 minutes.",
                )
            await portal.add_link(session, hash_key(token), email, ip, now, now + LINK_TTL)
        link = f"{self.public_url}/v1/auth/verify?token={token}"
        mail = Mail(
            to=email,
            subject="Your mg sign-in link",
            body=(
                f"Sign in to the mg portal with this link (it works once, for 15 minutes):\n\n{link}\n\n"
                "If you did not ask for it, ignore this message."
            ),
            link=link,
            sent_at=format_time(now),
        )
        task = asyncio.ensure_future(self._send(mail))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, mail: Mail) -> None:
        try:
            await self.mailer.send(mail)
        except Exception:  # the answer went out already; the log says why no mail came
            log.exception("sending the sign-in link failed")

    async def verify(self, token: str) -> NewSession:
        """Use a link: open a session for its email (a new account gets the welcome credit)."""
        now = self.clock.now()
        session_token = secrets.token_urlsafe(32)
        expires_at = now + SESSION_TTL
        async with self.db.write() as session:
            email = await portal.use_link(session, hash_key(token), now) if token else None
            if email is None:
                raise AuthenticationError(
                    "This sign-in link is invalid, expired or already used.",
                    remediation="Ask for a new link: POST /v1/auth/email, or sign in again in the portal.",
                )
            developer = await accounts.get_developer_by_email(session, email)
            created = developer is None
            if developer is None:
                developer = await accounts.add_developer(
                    session, new_id("dev"), email, "free", now, tos_accepted=False
                )
                await credits.grant_welcome(session, developer.id, now)
            await portal.add_session(
                session, new_id("ses"), hash_key(session_token), developer.id, now, expires_at
            )
        return NewSession(session_token, csrf_token(session_token), developer, created, expires_at)

    async def principal(self, session_token: str) -> Principal | None:
        """The signed-in developer of a live session, as a principal of the whole account."""
        async with self.db.read() as session:
            found = await portal.live_session(session, hash_key(session_token), self.clock.now())
        if found is None:
            return None
        key = KeyRecord(
            id=found.id,
            developer_id=found.developer.id,
            prefix="session",
            last4="",
            environment=SESSION_ENVIRONMENT,
            name=None,
            rpm_override=None,
            created_at=found.created_at,
            last_used_at=None,
            revoked_at=None,
            expires_at=found.expires_at,
        )
        return Principal(key, found.developer)

    async def end(self, session_token: str) -> bool:
        async with self.db.write() as session:
            return await portal.end_session(session, hash_key(session_token), self.clock.now())

    async def accept_tos(self, developer_id: str) -> None:
        async with self.db.write() as session:
            await accounts.accept_tos(session, developer_id, self.clock.now())

    async def close(self) -> None:
        """Let mail still being sent go out before the process stops."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=10)
