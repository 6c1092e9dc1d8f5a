"""The request a piece of work is done for: who asked, which request, which endpoint, since when."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local_gateway.services.accounts.keys import Principal


@dataclass(frozen=True)
class Hold:
    """A reservation: ``amount`` micro-dollars set aside for one request until it settles."""

    id: str
    amount: int


@dataclass
class HoldSlot:
    """Where a request's reservation waits for the call that settles it (set once, taken once)."""

    hold: Hold | None = None

    def take(self) -> Hold | None:
        hold, self.hold = self.hold, None
        return hold


@dataclass(frozen=True)
class RequestContext:
    """Built once by the HTTP layer and handed to the service that serves the request.

    Admission reads it before the upstream call and metering after it, so the request id, the
    endpoint and the start time do not ride along through every layer for the log's sake; the
    reservation admission takes waits in ``slot`` for the ``record`` that settles it.
    """

    principal: Principal
    request_id: str
    endpoint: str
    started: float = field(default_factory=time.perf_counter)
    slot: HoldSlot = field(default_factory=HoldSlot, compare=False)

    @property
    def developer_id(self) -> str:
        return self.principal.developer_id

    @property
    def key_id(self) -> str:
        return self.principal.key.id

    @property
    def billed(self) -> bool:
        """Test keys are the sandbox and are never billed; every other key pays for its calls."""
        return not self.principal.is_test

    def follow_up(self, endpoint: str) -> RequestContext:
        """The context of work this request causes later (an NPC summary after the turn)."""
        return replace(self, endpoint=endpoint, started=time.perf_counter(), slot=HoldSlot())
