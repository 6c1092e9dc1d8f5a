"""API keys: creation (shown once), authentication by hash, the operator's create-key."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from functools import partial

from local_gateway.services.accounts.tiers import normalize_tier
from local_gateway.services.billing import credits
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.core.singleflight import SingleFlight
from local_gateway.store import accounts
from local_gateway.store.db import Database
from local_gateway.store.records import DeveloperRecord, KeyRecord
from mg.errors import AuthenticationError

KEY_PREFIXES = {"live": "mg_live_", "test": "mg_test_", "pat": "mg_pat_"}
# A cached key check skips the database; a revoked key stops working within this many seconds.
AUTH_CACHE_TTL = 5.0


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key and its developer account."""

    key: KeyRecord
    developer: DeveloperRecord

    @property
    def developer_id(self) -> str:
        return self.developer.id

    @property
    def is_test(self) -> bool:
        return self.key.environment == "test"

    @property
    def tier(self) -> str:
        return self.developer.tier


@dataclass(frozen=True)
class NewKey:
    api_key: str
    key: KeyRecord
    developer: DeveloperRecord
    developer_created: bool


def hash_key(api_key: str) -> str:
    # Keys carry ≥128 random bits, so a fast hash is as safe as a slow one and keeps auth cheap.
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def generate_key(environment: str) -> str:
    return KEY_PREFIXES[environment] + secrets.token_urlsafe(24)  # 192 bits


class KeyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[str, tuple[float, Principal]] = {}
        # A cache entry that expires under load is looked up once, not once per request in flight.
        self._key_lookups: SingleFlight[str, Principal] = SingleFlight()

    async def authenticate(self, header: str | None) -> Principal:
        api_key = _bearer(header)
        if not api_key:
            raise AuthenticationError("Missing API key: send 'Authorization: Bearer <key>'.")
        if not api_key.startswith(tuple(KEY_PREFIXES.values())) or len(api_key) > 200:
            raise AuthenticationError(
                "Invalid API key format: keys start with mg_live_, mg_test_ or mg_pat_."
            )
        return await self.principal_for(api_key)

    async def principal_for(self, api_key: str) -> Principal:
        digest = hash_key(api_key)
        cached = self._cache.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        return await self._key_lookups.run(digest, partial(self._lookup, digest))

    async def _lookup(self, digest: str) -> Principal:
        async with self.db.read() as session:
            found = await accounts.key_by_hash(session, digest)
        if found is None or found[0].revoked_at is not None:
            self._cache.pop(digest, None)
            raise AuthenticationError("Invalid API key.")
        principal = Principal(*found)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (time.monotonic() + AUTH_CACHE_TTL, principal)
        return principal

    async def principal_by_key_id(self, key_id: str) -> Principal | None:
        """The key ``key_id`` and its developer, revoked or not: for work a request caused and a
        job finishes later (an NPC summary), which is billed as that request would have been."""
        async with self.db.read() as session:
            found = await accounts.key_by_id(session, key_id)
        return Principal(*found) if found is not None else None

    async def create_key(
        self,
        email: str,
        tier: str = "free",
        environment: str = "test",
        rpm: int | None = None,
        name: str | None = None,
    ) -> NewKey:
        """Create a key (and the developer when new). The plain key exists only in the answer."""
        tier = normalize_tier(tier)
        if environment not in KEY_PREFIXES:
            raise ValueError(f"unknown key environment {environment!r}")
        email = email.strip().lower()
        if "@" not in email or len(email) > 320:
            raise ValueError(f"not an email address: {email!r}")
        if rpm is not None and rpm < 1:
            raise ValueError("--rpm must be at least 1")
        api_key = generate_key(environment)
        now = self.clock.now()
        async with self.db.write() as session:
            developer = await accounts.get_developer_by_email(session, email)
            created = developer is None
            if developer is None:
                developer = await accounts.add_developer(session, new_id("dev"), email, tier, now)
                await credits.grant_welcome(session, developer.id, now)
            elif developer.tier != tier or rpm is not None:
                await accounts.set_developer_tier(session, developer.id, tier, rpm)
                developer = await accounts.get_developer(session, developer.id)
                assert developer is not None
            key = await accounts.add_key(
                session,
                id=new_id("key"),
                developer_id=developer.id,
                key_hash=hash_key(api_key),
                prefix=api_key[: len(KEY_PREFIXES[environment]) + 4],
                last4=api_key[-4:],
                environment=environment,
                name=name,
                rpm_override=rpm,
                created_at=now,
            )
        self._cache.clear()
        return NewKey(api_key, key, developer, created)

    async def set_tier(self, email: str, tier: str) -> DeveloperRecord:
        """Move the developer with ``email`` to ``tier`` (every key of the account follows)."""
        tier = normalize_tier(tier)
        async with self.db.write() as session:
            developer = await accounts.get_developer_by_email(session, email.strip().lower())
            if developer is None:
                raise ValueError(f"no developer with email {email!r}")
            await accounts.set_developer_tier(session, developer.id, tier, None)
            updated = await accounts.get_developer(session, developer.id)
        assert updated is not None
        self._cache.clear()
        return updated

    async def revoke(self, key_id: str) -> KeyRecord:
        """Revoke a key; other processes stop accepting it within ``AUTH_CACHE_TTL``."""
        async with self.db.write() as session:
            key = await accounts.revoke_key(session, key_id, self.clock.now())
        if key is None:
            raise ValueError(f"no key {key_id!r}")
        self._cache.clear()
        return key

    async def is_empty(self) -> bool:
        async with self.db.read() as session:
            return await accounts.developer_count(session) == 0


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        # symsrv and debuginfod clients can only send basic auth: the key is the password.
        import base64
        import binascii

        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None
