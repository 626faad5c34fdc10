"""Usage events → per-day usage rows and per-account counters, exactly once.

The accounts service consumes the Redis event stream and may see an entry again (a crash before the
ack, a redelivery to another consumer). Each event's stream id is recorded in
``usage_events_applied`` in the same transaction that counts it, so a second delivery is a no-op, and
two consumers applying the same batch at once count it once (the second waits on the first's row
lock, then finds the id present).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import StoreCore, check_choice, check_int, check_text, check_time
from .database import Executor
from .errors import InvalidValueError
from .records import (
    OUTCOMES,
    USAGE_DIMENSIONS,
    UsageApplyResult,
    UsageDimension,
    UsageEvent,
    UsageRow,
    UsageTotals,
)

# Event ids recorded per INSERT statement (well under SQLite's and PostgreSQL's parameter limits).
_IDS_PER_INSERT = 250
_DIMENSION_COLUMNS: dict[str, str] = {"day": "day", "key": "key_id", "account": "account_id", "model": "model"}
_SUMS = """CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests,
    CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens,
    CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens,
    CAST(COALESCE(SUM(errors), 0) AS BIGINT) AS errors"""


@dataclass
class _AccountTally:
    successes: int = 0
    errors: int = 0
    errors_since_success: int = 0
    had_success: bool = False
    last_at: float = 0.0


class UsageQueries(StoreCore):
    async def record_usage_events(
        self, events: Sequence[UsageEvent], *, disable_after_errors: int | None = None
    ) -> UsageApplyResult:
        """Count each event once: usage rows plus the serving account's counters, in one transaction.

        Give events in stream order: the consecutive-error count follows it. With
        ``disable_after_errors`` set, an active or cooling account whose consecutive errors reach it
        is set to status ``disabled`` in the same transaction (seed Q's MAX_ERROR_COUNT, made atomic).
        """
        for event in events:
            _check_event(event)
        check_int("disable_after_errors", disable_after_errors, minimum=1, nullable=True)
        if not events:
            return UsageApplyResult(applied=0, duplicates=0, disabled_account_ids=[])

        async def apply(tx: Executor) -> UsageApplyResult:
            now = self._clock()
            fresh: set[str] = set()
            # a fixed lock order keeps two overlapping batches from deadlocking
            ids = sorted({e.event_id for e in events})
            for start in range(0, len(ids), _IDS_PER_INSERT):
                chunk = ids[start:start + _IDS_PER_INSERT]
                rows = await tx.fetch(
                    f"""INSERT INTO usage_events_applied (event_id, applied_at)
                        VALUES {", ".join(f"(${n}, $1)" for n in range(2, len(chunk) + 2))}
                        ON CONFLICT (event_id) DO NOTHING RETURNING event_id""",
                    now, *chunk,
                )
                fresh.update(row["event_id"] for row in rows)
            new = [e for e in _first_of_each(events) if e.event_id in fresh]
            await _add_usage(tx, new)
            tallies = _tally_accounts(new)
            await _apply_account_counters(tx, tallies)
            disabled: list[str] = []
            if disable_after_errors is not None:
                disabled = await _disable_failing(tx, tallies, disable_after_errors, now)
            return UsageApplyResult(
                applied=len(new), duplicates=len(events) - len(new), disabled_account_ids=disabled
            )

        return await self._db.transact(apply)

    async def query_usage(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        group_by: Sequence[UsageDimension] = ("day",),
        key_id: str | None = None,
        account_id: str | None = None,
        model: str | None = None,
    ) -> list[UsageRow]:
        """Usage summed per group over days ``since``..``until`` (inclusive, ``YYYY-MM-DD``, UTC).

        ``group_by`` takes any of day, key, account, model; rows are ordered by the grouped columns.
        """
        for dimension in group_by:
            check_choice("group_by", dimension, USAGE_DIMENSIONS)
        columns = [_DIMENSION_COLUMNS[d] for d in dict.fromkeys(group_by)]
        where, args = _usage_filter(since, until, key_id, account_id, model)
        select = ", ".join([*columns, _SUMS])
        sql = f"SELECT {select} FROM usage_daily{where}"
        if columns:
            sql += f" GROUP BY {', '.join(columns)} ORDER BY {', '.join(columns)}"
        rows = await self._db.fetch(sql, *args)
        out = []
        for row in rows:
            dims: dict[str, Any] = {c: (row[c] or None) for c in columns}
            if not columns and row["requests"] == 0:
                continue  # an empty table sums to one all-zero row; no groups means nothing to report
            out.append(UsageRow(**dims, requests=row["requests"], input_tokens=row["input_tokens"],
                                output_tokens=row["output_tokens"], errors=row["errors"]))
        return out

    async def usage_totals(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        key_id: str | None = None,
        account_id: str | None = None,
        model: str | None = None,
    ) -> UsageTotals:
        """All usage matching the filters, summed."""
        where, args = _usage_filter(since, until, key_id, account_id, model)
        row = await self._db.fetchrow(f"SELECT {_SUMS} FROM usage_daily{where}", *args)
        assert row is not None
        return UsageTotals(requests=row["requests"], input_tokens=row["input_tokens"],
                           output_tokens=row["output_tokens"], errors=row["errors"])

    async def purge_applied_events(self, before: float) -> int:
        """Forget event ids applied before ``before``: the stream can no longer redeliver them.

        Keep at least the stream's retention (and the consumer group's pending window).
        """
        return await self._db.execute("DELETE FROM usage_events_applied WHERE applied_at < $1", before)


def _check_event(event: UsageEvent) -> None:
    if not isinstance(event, UsageEvent):
        raise InvalidValueError(f"expected a UsageEvent, got {type(event).__name__}")
    check_text("event_id", event.event_id, nullable=False)
    if not event.event_id:
        raise InvalidValueError("event_id must not be empty")
    check_choice("outcome", event.outcome, OUTCOMES)
    check_time("at", event.at, nullable=False)
    check_text("model", event.model, nullable=False)
    check_text("account_id", event.account_id)
    check_text("key_id", event.key_id)
    check_int("input_tokens", event.input_tokens, minimum=0)
    check_int("output_tokens", event.output_tokens, minimum=0)


def _first_of_each(events: Sequence[UsageEvent]) -> list[UsageEvent]:
    """Events in the given order, a repeated id kept once."""
    seen: set[str] = set()
    out = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            out.append(event)
    return out


def usage_day(at: float) -> str:
    """The UTC calendar day an event belongs to, as ``YYYY-MM-DD``."""
    return dt.datetime.fromtimestamp(at, dt.UTC).date().isoformat()


async def _add_usage(tx: Executor, events: list[UsageEvent]) -> None:
    groups: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for e in events:
        sums = groups[(usage_day(e.at), e.key_id or "", e.account_id or "", e.model)]
        sums[0] += 1
        sums[1] += e.input_tokens
        sums[2] += e.output_tokens
        sums[3] += e.outcome in ("error", "client_error")
    for group in sorted(groups):
        await tx.execute(
            """INSERT INTO usage_daily (day, key_id, account_id, model, requests, input_tokens,
                   output_tokens, errors)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (day, key_id, account_id, model) DO UPDATE SET
                   requests = usage_daily.requests + excluded.requests,
                   input_tokens = usage_daily.input_tokens + excluded.input_tokens,
                   output_tokens = usage_daily.output_tokens + excluded.output_tokens,
                   errors = usage_daily.errors + excluded.errors""",
            *group, *groups[group],
        )


def _tally_accounts(events: list[UsageEvent]) -> dict[str, _AccountTally]:
    tallies: dict[str, _AccountTally] = defaultdict(_AccountTally)
    for e in events:
        if e.account_id is None:
            continue
        t = tallies[e.account_id]
        t.last_at = max(t.last_at, float(e.at))
        if e.outcome == "success":
            t.successes += 1
            t.had_success = True
            t.errors_since_success = 0
        elif e.outcome == "error":
            t.errors += 1
            t.errors_since_success += 1
    return tallies


async def _apply_account_counters(tx: Executor, tallies: dict[str, _AccountTally]) -> None:
    # Counters are not a change Redis mirrors (they flow from Redis), so `version` stays put.
    for account_id in sorted(tallies):
        t = tallies[account_id]
        consecutive = "$3" if t.had_success else "error_count + $3"
        await tx.execute(
            f"""UPDATE accounts SET
                   success_count = success_count + $2,
                   error_count = {consecutive},
                   total_error_count = total_error_count + $4,
                   last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < $5
                                       THEN $5 ELSE last_used_at END
               WHERE id = $1""",
            account_id, t.successes, t.errors_since_success, t.errors, t.last_at,
        )


async def _disable_failing(
    tx: Executor, tallies: dict[str, _AccountTally], threshold: int, now: float
) -> list[str]:
    disabled = []
    for account_id in sorted(a for a, t in tallies.items() if t.errors_since_success):
        row = await tx.fetchrow(
            """UPDATE accounts SET status = 'disabled', status_reason = $2, status_at = $3,
                   version = version + 1, updated_at = $3
               WHERE id = $1 AND error_count >= $4 AND status IN ('active', 'cooling')
               RETURNING id""",
            account_id, f"{threshold} consecutive errors", now, threshold,
        )
        if row is not None:
            disabled.append(account_id)
    return disabled


def _usage_filter(
    since: str | None, until: str | None, key_id: str | None, account_id: str | None, model: str | None
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for op, day in ((">=", since), ("<=", until)):
        if day is not None:
            _check_day(day)
            args.append(day)
            clauses.append(f"day {op} ${len(args)}")
    for column, value in (("key_id", key_id), ("account_id", account_id), ("model", model)):
        if value is not None:
            check_text(column, value)
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def _check_day(day: object) -> None:
    try:
        if not isinstance(day, str) or dt.date.fromisoformat(day).isoformat() != day:
            raise ValueError
    except ValueError:
        raise InvalidValueError(f"a usage day must be YYYY-MM-DD; got {day!r}") from None
