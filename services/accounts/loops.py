"""Running and stopping the service's endless background loops reliably.

On Python 3.11 a cancellation can be lost inside a library call (observed in redis-py's connection
pool: the call returns normally although the task was cancelled). Left alone, a loop would then sleep
on and shutdown would hang. So every loop pauses through `pause`, which honours a cancellation that
was requested but swallowed, and `stop_all` repeats the cancel until each task has ended.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

log = logging.getLogger("q2api.accounts")


def cancel_requested() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def pause(seconds: float) -> None:
    """Sleep between rounds of a loop, ending the task if a cancellation was requested meanwhile."""
    if cancel_requested():
        raise asyncio.CancelledError
    await asyncio.sleep(seconds)


async def stop_all(tasks: Collection[asyncio.Task], *, grace: float = 10.0) -> None:
    """Cancel the tasks and wait for them to end, repeating the cancel for any that ignored it."""
    pending = {t for t in tasks if not t.done()}
    waited = 0.0
    while pending and waited < grace:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.25)
        waited += 0.25
    for task in pending:
        log.error("background task %s did not stop within %.0f s", task.get_name(), grace)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("background task %s had failed: %r", task.get_name(), task.exception())
