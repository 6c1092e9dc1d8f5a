"""Sign-in links and ended sessions older than a day are pruned; live sessions stay."""

from __future__ import annotations

import secrets

from local_gateway.services.accounts.mail import Mail
from local_gateway.services.accounts.sign_in import SignIn
from local_gateway.services.accounts.sign_in_pruning import PRUNE, SignInPruning
from local_gateway.services.core.clock import Clock
from local_gateway.services.jobs import JobQueue, JobRunner
from local_gateway.store.db import Database

DAY = 86_400


class Sent:
    def __init__(self) -> None:
        self.mail: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.mail.append(mail)


async def test_old_links_and_ended_sessions_go(db: Database, queue: JobQueue, clock: Clock) -> None:
    sent = Sent()
    sign_in = SignIn(db, clock, sent, "http://gw.example")
    pruning = SignInPruning(queue, clock)
    ip = f"10.0.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    first, second = (f"dev-{secrets.token_hex(4)}@studio.example" for _ in range(2))
    await sign_in.request_link(first, ip)
    await sign_in.request_link(second, ip)
    await sign_in.close()
    kept = await sign_in.verify(sent.mail[0].link.split("token=")[1])
    ended = await sign_in.verify(sent.mail[1].link.split("token=")[1])
    await sign_in.end(ended.token)

    assert await pruning.prune() == 0, "nothing is a day old yet"
    clock.offset += 2 * DAY
    # Two links (one used, one not: both lapsed) and the ended session; the live session stays.
    assert await pruning.prune() == 3
    assert await sign_in.principal(kept.token) is not None
    assert await sign_in.principal(ended.token) is None
    clock.offset += 7 * DAY
    assert await pruning.prune() == 1, "a session that expired goes as well"


async def test_a_run_books_the_next_one(queue: JobQueue, clock: Clock) -> None:
    pruning = SignInPruning(queue, clock)
    first = await pruning.schedule()
    assert await pruning.schedule() == first
    runner = JobRunner(queue, poll_interval=0.05)
    runner.start()
    await runner.idle()
    await runner.stop()
    pending = [j for j in await queue.list(kind=PRUNE) if j.status == "queued"]
    assert len(pending) == 1 and pending[0].run_at > clock.now()
