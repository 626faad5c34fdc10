"""Stopping background tasks for sure.

On Python 3.11, `asyncio.wait_for` returns the inner result instead of raising when a cancellation
arrives just as the inner task finishes (CPython gh-86296, fixed in 3.12) — and redis-py wraps every
command's socket write in `wait_for` when a socket timeout is set. A task cancelled while it sends a
Redis command therefore often carries on. A single `cancel()` is not enough: cancel again, at a pace
that lets a task's own cleanup (`finally:` releasing a lock) finish between two cancellations, until
the task is really gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger("q2api.refresher")


RECANCEL_AFTER = 0.5


async def stop_tasks(tasks: Iterable[asyncio.Task], *, patience: float = 10.0) -> None:
    """Cancel `tasks` (again and again, see above) until they end or `patience` seconds passed."""
    pending = {task for task in tasks if not task.done()}
    loop = asyncio.get_running_loop()
    give_up = loop.time() + patience
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_AFTER)
        if pending and loop.time() >= give_up:
            log.warning("background tasks did not stop: %s", ", ".join(t.get_name() for t in pending))
            return
