"""The billing domain as one object: what the app builds at start-up and closes at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

from local_gateway.services.billing.admission import Admission
from local_gateway.services.billing.balance import Balances
from local_gateway.services.billing.book import Book, InProcessBook
from local_gateway.services.billing.credits import Credits
from local_gateway.services.billing.limits import SpendLimits
from local_gateway.services.billing.metering import Meter
from local_gateway.services.billing.request_log import RequestLogWriter
from local_gateway.services.billing.usage import UsageService
from local_gateway.services.core.clock import Clock
from local_gateway.store.db import Database


def make_book(redis_url: str | None, prefix: str = "mg:") -> Book:
    """The Redis book when ``MG_REDIS_URL`` is set (exact across processes), else in process."""
    if not redis_url:
        return InProcessBook()
    try:
        from local_gateway.services.billing.book_redis import RedisBook
    except ImportError as exc:
        raise ValueError("MG_REDIS_URL needs the redis package: pip install 'mg[remote]'") from exc
    return RedisBook(redis_url, prefix)


@dataclass
class Billing:
    balances: Balances
    credits: Credits
    limits: SpendLimits
    admission: Admission
    meter: Meter
    request_log: RequestLogWriter
    usage: UsageService
    book: Book

    @classmethod
    def start(
        cls,
        db: Database,
        clock: Clock,
        flush_interval: float = 0.0,
        *,
        book: Book | None = None,
        low_percent: int = 20,
    ) -> Billing:
        """Build the billing services and start the request log's writer task."""
        book = book or InProcessBook()
        credits = Credits(db, clock)
        limits = SpendLimits(db, clock)
        writer = RequestLogWriter(db, flush_interval)
        meter = Meter(writer, clock, book, db, low_percent)
        writer.on_commit = meter.settle
        writer.start()
        admission = Admission(book, credits, limits, clock, commit_lock=writer.commit_lock)
        usage = UsageService(db, clock, credits)
        return cls(Balances(db), credits, limits, admission, meter, writer, usage, book)

    async def close(self) -> None:
        """Commit what the request log still holds."""
        await self.request_log.close()
        await self.book.close()
