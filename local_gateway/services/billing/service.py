"""The billing domain as one object: what the app builds at start-up and closes at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

from local_gateway.services.billing.admission import Admission
from local_gateway.services.billing.balance import Balances
from local_gateway.services.billing.credits import Credits
from local_gateway.services.billing.metering import Meter
from local_gateway.services.billing.request_log import RequestLogWriter
from local_gateway.services.core.clock import Clock
from local_gateway.store.db import Database


@dataclass
class Billing:
    balances: Balances
    credits: Credits
    admission: Admission
    meter: Meter
    request_log: RequestLogWriter

    @classmethod
    def start(cls, db: Database, clock: Clock, flush_interval: float = 0.0) -> Billing:
        """Build the billing services and start the request log's writer task."""
        balances = Balances(db)
        writer = RequestLogWriter(db, flush_interval, on_commit=balances.note_committed)
        writer.start()
        return cls(balances, Credits(db, clock), Admission(balances), Meter(writer, clock), writer)

    async def close(self) -> None:
        """Commit what the request log still holds."""
        await self.request_log.close()
