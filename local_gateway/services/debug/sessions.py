"""Debug sessions (for Debug Adapter Protocol integrations): create, list, get, archive.

Archiving is a soft delete: the row stays for the audit trail, hidden from lists and gets.
"""

from __future__ import annotations

from typing import Any

from local_gateway.services.core.clock import Clock
from local_gateway.services.core.ids import new_id
from local_gateway.services.debug.symbol_params import parse_platform
from local_gateway.store import crashes as store
from local_gateway.store.crash_records import DebugSessionRecord
from local_gateway.store.db import Database
from mg.errors import InvalidRequestError, NotFoundError

MAX_BODY = 512 * 1024


def _text(body: dict[str, Any], name: str, limit: int, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidRequestError(f"{name} is required.", remediation='e.g. {"name": "boss fight repro"}')
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidRequestError(f"{name} must be a string of at most {limit} characters.")
    return value.strip()


class DebugSessionService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def create(self, developer_id: str, body: dict[str, Any]) -> DebugSessionRecord:
        name = _text(body, "name", 200, required=True)
        engine = _text(body, "engine", 32)
        metadata = body.get("metadata", {})
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise InvalidRequestError("metadata must be an object.")
        unknown = sorted(set(body) - {"name", "platform", "engine", "metadata"})
        if unknown:
            raise InvalidRequestError(
                f"Unknown field(s): {', '.join(unknown)}.",
                remediation="A session takes name, platform, engine and metadata.",
            )
        now = self.clock.now()
        async with self.db.write() as session:
            return await store.add_debug_session(
                session,
                id=new_id("dbg"),
                developer_id=developer_id,
                name=name,
                platform=parse_platform(_text(body, "platform", 40)),
                engine=engine.lower() if engine else None,
                meta=metadata,
                created_at=now,
                updated_at=now,
            )

    async def get(self, developer_id: str, session_id: str) -> DebugSessionRecord:
        async with self.db.read() as session:
            found = await store.get_debug_session(session, developer_id, session_id)
        if found is None:
            raise NotFoundError(f"No debug session {session_id[:60]!r} for this account.")
        return found

    async def list_sessions(
        self, developer_id: str, limit: int, after: str | None = None
    ) -> tuple[list[DebugSessionRecord], bool]:
        async with self.db.read() as session:
            before = None
            if after:
                cursor = await store.get_debug_session(session, developer_id, after)
                if cursor is None:
                    raise InvalidRequestError(f"after: no debug session {after[:60]!r} to continue from.")
                before = (cursor.created_at, cursor.id)
            rows = await store.list_debug_sessions(session, developer_id, limit + 1, before)
        return rows[:limit], len(rows) > limit

    async def archive(self, developer_id: str, session_id: str) -> DebugSessionRecord:
        async with self.db.write() as session:
            found = await store.archive_debug_session(session, developer_id, session_id, self.clock.now())
        if found is None:
            raise NotFoundError(f"No debug session {session_id[:60]!r} for this account.")
        return found
