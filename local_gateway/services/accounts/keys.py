"""API keys and personal access tokens: creation (shown once), authentication by hash, rotation
with a grace period, revocation that reaches every process, and the rotation health policy."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from local_gateway.services.accounts.key_health import KeyHealth, assess
from local_gateway.services.accounts.key_usage import KeyUsage
from local_gateway.services.accounts.revocations import Revocations
from local_gateway.services.accounts.tiers import normalize_tier
from local_gateway.services.billing import credits
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.core.singleflight import SingleFlight
from local_gateway.store import accounts
from local_gateway.store.db import Database
from local_gateway.store.records import DeveloperRecord, KeyRecord
from mg.errors import AuthenticationError, NotFoundError

KEY_PREFIXES = {"live": "mg_live_", "test": "mg_test_", "pat": "mg_pat_"}
# A cached key check skips the database. Revocation and rotation drop the cache of every process
# at once (through Redis when configured); without Redis other processes follow within this TTL.
AUTH_CACHE_TTL = 5.0
DEFAULT_ROTATION_GRACE = timedelta(hours=24)


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
    def is_pat(self) -> bool:
        """A personal access token or a portal session: the account itself, not one key."""
        return self.key.environment in ("pat", "session")

    @property
    def tos_accepted(self) -> bool:
        return self.developer.tos_accepted_at is not None

    @property
    def tier(self) -> str:
        return self.developer.tier


@dataclass(frozen=True)
class NewKey:
    api_key: str
    key: KeyRecord
    developer: DeveloperRecord
    developer_created: bool
    # rotate(): the old key, with the end of its grace period.
    replaced: KeyRecord | None = None


def hash_key(api_key: str) -> str:
    # Keys carry ≥128 random bits, so a fast hash is as safe as a slow one and keeps auth cheap.
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def generate_key(environment: str) -> str:
    return KEY_PREFIXES[environment] + secrets.token_urlsafe(24)  # 192 bits


class KeyService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        revocations: Revocations | None = None,
        rotation_grace: timedelta = DEFAULT_ROTATION_GRACE,
    ) -> None:
        self.db = db
        self.clock = clock
        self.rotation_grace = rotation_grace
        self.revocations = revocations or Revocations()
        self.usage = KeyUsage(db, clock)
        self._cache: dict[str, tuple[float, Principal]] = {}
        # A cache entry that expires under load is looked up once, not once per request in flight.
        self._key_lookups: SingleFlight[str, Principal] = SingleFlight()

    def start(self) -> None:
        """Background work of this process: last-used writes, revocations from other processes."""
        self.usage.start()
        self.revocations.start(self._cache.clear)

    async def close(self) -> None:
        await self.revocations.close()
        await self.usage.close()

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
            principal = cached[1]
        else:
            principal = await self._key_lookups.run(digest, partial(self._lookup, digest))
        if principal.key.expires_at is not None and self.clock.now() >= principal.key.expires_at:
            self._cache.pop(digest, None)
            raise AuthenticationError(
                "This API key was rotated and its grace period has ended.",
                remediation="Use the key that replaced it (mg keys list shows your keys).",
            )
        self.usage.note(principal.key.id)
        return principal

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
                session, **_key_fields(developer.id, api_key, environment, name, rpm, now)
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

    async def set_tier_of(self, developer_id: str, tier: str) -> None:
        """Move an account to the ``tier`` it bought (a Stripe checkout)."""
        async with self.db.write() as session:
            await accounts.set_developer_tier(session, developer_id, normalize_tier(tier), None)
        self._cache.clear()

    async def revoke(self, key_id: str) -> KeyRecord:
        """Revoke a key (the operator's command): refused by every process at once."""
        async with self.db.write() as session:
            key = await accounts.revoke_key(session, key_id, self.clock.now())
        if key is None:
            raise ValueError(f"no key {key_id!r}")
        await self._forget(key_id)
        return key

    async def _forget(self, key_id: str) -> None:
        self._cache.clear()
        await self.revocations.announce(key_id)

    async def developer_changed(self, developer_id: str) -> None:
        """Drop cached principals in every process: the account they carry changed (terms)."""
        await self._forget(developer_id)

    async def _own(self, developer_id: str, key_id: str, kind: str = "key") -> KeyRecord:
        async with self.db.read() as session:
            found = await accounts.key_by_id(session, key_id)
        wanted_pat = kind == "token"
        if (
            found is None
            or found[0].developer_id != developer_id
            or (found[0].environment == "pat") != wanted_pat
        ):
            raise NotFoundError(f"No {'personal access token' if wanted_pat else 'API key'} {key_id!r}.")
        return found[0]

    async def list_keys(self, developer_id: str) -> list[KeyRecord]:
        """The developer's API keys (no PATs), newest first, revoked ones included."""
        async with self.db.read() as session:
            keys = await accounts.keys_of(session, developer_id)
        return [k for k in keys if k.environment != "pat"]

    async def create_for(
        self, developer_id: str, environment: str = "test", name: str | None = None
    ) -> NewKey:
        """A new key (or, with ``environment="pat"``, a PAT) for an existing developer."""
        if environment not in KEY_PREFIXES:
            raise ValueError(f"unknown key environment {environment!r}")
        api_key = generate_key(environment)
        async with self.db.write() as session:
            developer = await accounts.get_developer(session, developer_id)
            if developer is None:
                raise NotFoundError(f"No developer {developer_id!r}.")
            key = await accounts.add_key(
                session, **_key_fields(developer.id, api_key, environment, name, None, self.clock.now())
            )
        return NewKey(api_key, key, developer, False)

    async def rotate(self, developer_id: str, key_id: str, grace: timedelta | None = None) -> NewKey:
        """A new key like ``key_id``; the old one keeps working until ``now + grace``."""
        old = await self._own(developer_id, key_id)
        if not old.usable_at(self.clock.now()):
            raise NotFoundError(f"API key {key_id!r} is revoked or expired: create a new key instead.")
        grace = self.rotation_grace if grace is None else grace
        api_key = generate_key(old.environment)
        now = self.clock.now()
        async with self.db.write() as session:
            developer = await accounts.get_developer(session, developer_id)
            assert developer is not None
            key = await accounts.add_key(
                session,
                **_key_fields(developer_id, api_key, old.environment, old.name, old.rpm_override, now),
            )
            replaced = await accounts.expire_key(session, old.id, now + grace, key.id)
        await self._forget(old.id)
        return NewKey(api_key, key, developer, False, replaced)

    async def revoke_for(self, developer_id: str, key_id: str, kind: str = "key") -> KeyRecord:
        """Revoke one of the developer's keys (``kind="token"``: a PAT), in every process at once."""
        await self._own(developer_id, key_id, kind)
        return await self.revoke(key_id)

    async def create_pat(self, developer_id: str, name: str | None) -> NewKey:
        return await self.create_for(developer_id, "pat", name)

    async def list_pats(self, developer_id: str) -> list[KeyRecord]:
        async with self.db.read() as session:
            keys = await accounts.keys_of(session, developer_id)
        return [k for k in keys if k.environment == "pat"]

    async def revoke_pat(self, developer_id: str, pat_id: str) -> KeyRecord:
        return await self.revoke_for(developer_id, pat_id, "token")

    async def health(self, developer_id: str) -> list[KeyHealth]:
        """Every usable key of the developer against the rotation policy."""
        now = self.clock.now()
        return [assess(k, now) for k in await self.list_keys(developer_id) if k.usable_at(now)]

    async def is_empty(self) -> bool:
        async with self.db.read() as session:
            return await accounts.developer_count(session) == 0


def _key_fields(
    developer_id: str, api_key: str, environment: str, name: str | None, rpm: int | None, now: datetime
) -> dict[str, object]:
    return {
        "id": new_id("pat" if environment == "pat" else "key"),
        "developer_id": developer_id,
        "key_hash": hash_key(api_key),
        "prefix": api_key[: len(KEY_PREFIXES[environment]) + 4],
        "last4": api_key[-4:],
        "environment": environment,
        "name": name,
        "rpm_override": rpm,
        "created_at": now,
    }


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
