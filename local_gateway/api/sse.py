"""Writing a stream of chunks with one socket write per burst instead of one per chunk.

An upstream often delivers several SSE events in one network read; the adapter, the service and
the handler then produce those chunks one after another without waiting. :func:`pump` hands the
handler every chunk that was ready without waiting as one batch, and writes a batch the moment
the next chunk would have to be waited for: nothing is held back (forwarding stays immediate),
but a burst costs one write and one TCP segment instead of one per chunk.

It does so by stepping each ``__anext__`` coroutine by hand: a step that completes at once is a
ready chunk; a step that suspends returns the future it waits on, which is handed to the running
task exactly as ``await`` would have done (see :func:`_resume`).
"""

from __future__ import annotations

import types
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, TypeVar

T = TypeVar("T")


async def pump(
    items: AsyncIterator[T], write: Callable[[list[T]], Awaitable[None]], ready: list[T] | None = None
) -> None:
    """Pass every item of ``items`` to ``write``, in batches of the items that were ready together.

    ``ready`` are items already in hand (a stream's first chunk): they lead the first batch.
    """
    batch: list[T] = list(ready or ())
    while True:
        step = items.__anext__()
        if not hasattr(step, "send"):  # not a coroutine: nothing to step, await it plainly
            try:
                batch.append(await step)
            except StopAsyncIteration:
                break
            continue
        try:
            waiting = step.send(None)
        except StopIteration as ready:
            batch.append(ready.value)
            continue
        except StopAsyncIteration:
            break
        except BaseException:
            if batch:
                await write(batch)  # what was produced before the failure still goes out
            raise
        if batch:
            try:
                await write(batch)
            except BaseException as exc:
                await _abandon(step, exc)
                raise
            batch = []
        try:
            batch.append(await _resume(step, waiting))
        except StopAsyncIteration:
            break
    if batch:
        await write(batch)


@types.coroutine
def _resume(step: Any, waiting: Any) -> Generator[Any, None, Any]:
    """Finish a step that already suspended on ``waiting``: what ``await step`` would have done.

    The yielded futures go to the running task, which wakes this generator when they are done;
    an exception the task throws in (cancellation) is thrown into the step at the same point.
    """
    while True:
        try:
            yield waiting
        except BaseException as exc:
            try:
                waiting = step.throw(exc)
            except StopIteration as done:
                return done.value
            continue
        try:
            waiting = step.send(None)
        except StopIteration as done:
            return done.value


async def _abandon(step: Any, exc: BaseException) -> None:
    """End a suspended step with ``exc`` (the write failed), running its cleanup to the end."""
    try:
        waiting = step.throw(exc)
    except BaseException:
        return
    try:
        await _resume(step, waiting)
    except BaseException:
        pass
