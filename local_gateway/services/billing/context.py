"""The request a piece of work is done for: who asked, which request, which endpoint, since when."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local_gateway.services.accounts.keys import Principal


@dataclass(frozen=True)
class RequestContext:
    """Built once by the HTTP layer and handed to the service that serves the request.

    Admission reads it before the upstream call and metering after it, so the request id, the
    endpoint and the start time do not ride along through every layer for the log's sake.
    """

    principal: Principal
    request_id: str
    endpoint: str
    started: float = field(default_factory=time.perf_counter)

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
        return replace(self, endpoint=endpoint, started=time.perf_counter())
