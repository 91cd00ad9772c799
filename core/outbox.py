"""The outbox engine: rows written in the transaction of a change, sent by workers after commit.

One engine serves every kind of outgoing row (notification deliveries, webhook deliveries). A row
is due while it is `pending` and its `next_attempt_at` has come. A worker claims a batch of due
rows with `SELECT ... FOR UPDATE SKIP LOCKED` (two workers never claim the same row), writes a hold
on them (`held_until`, committed at once), and sends them with no transaction open and no row
locked. Each row's outcome is written right after its attempt, and only while this worker still
holds it: a dead worker's hold runs out and the sweeper hands the row to another (at least once).

A failed attempt schedules the next one in the database, with exponential backoff (or when the
receiver asked, a 429's Retry-After), until the outbox gives up on it; an attempt that cannot
succeed as it is (`final`) fails at once. The sweeper publishes what a dead broker or worker left.

An app declares an `Outbox` for its model (a subclass of `OutboxRow`) and its transport (`send`);
it may add what its rows need on the way (`failure_recorded`, `delivered_recorded`)."""

import logging
import time
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any, ClassVar

from django.db import connection as db_connection
from django.db import models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.holds import unheld

logger = logging.getLogger(__name__)

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


class OutboxRow(models.Model):
    """What the engine needs of a row. `status` is pending, delivered or failed; an app may add
    its own (webhooks: held, expired) that the engine leaves alone."""

    status = models.CharField(max_length=10, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the next attempt is due; null unless pending.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker sends the row until then; a dead worker's hold runs out by itself.
    held_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


@dataclass(frozen=True)
class Attempt:
    """A transport's answer for one row. `fields`: columns of the row's own to record with it
    (webhooks: the status code)."""

    delivered: bool
    error: str = ""
    # Sending again cannot help (no such recipient, a message that cannot be built).
    final: bool = False
    # The receiver said when to come back (a 429's Retry-After), in seconds.
    retry_after: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def delivered(**fields: Any) -> Attempt:
    return Attempt(delivered=True, fields=fields)


def failed(error: str, *, final: bool = False, retry_after: float | None = None, **fields):
    return Attempt(
        delivered=False, error=error[:2000], final=final, retry_after=retry_after, fields=fields
    )


class Outbox:
    """One kind of outgoing row and how it is sent. Subclasses set `model` and `task` (the Celery
    task that calls `deliver` with a batch of ids) and implement `send`."""

    model: ClassVar[type[OutboxRow]]
    # The dotted path of the task `deliver` runs in: imported when publishing (tasks import
    # services, which declare the outbox).
    task: ClassVar[str]
    # Rows a worker claims, and a task is published with, at once.
    batch_size: ClassVar[int] = 50

    # --- What an outbox declares ---------------------------------------------------------------

    def rows(self) -> QuerySet:
        """The rows as `send` needs them (select_related)."""
        return self.model._default_manager.all()

    def send(self, rows: list) -> Generator[tuple[Any, Attempt], None, None]:
        """The transport: attempt each row, yielding it with the answer as soon as it has one (the
        engine records it before the next is attempted, and may stop early: out of time)."""
        raise NotImplementedError

    def sweep_seconds(self) -> float:
        """The sweeper's period: a due row nobody took for this long was lost (the broker was
        down, a worker died)."""
        raise NotImplementedError

    def hold_seconds(self) -> float:
        """How long a claim holds its rows: longer than a batch may take to send."""
        raise NotImplementedError

    def batch_seconds(self) -> float:
        """How long a batch may go on starting attempts: then it hands the rest back (published
        again). Less than the task's soft time limit and the hold, less the longest attempt."""
        raise NotImplementedError

    def backoff_seconds(self, attempts: int) -> float:
        """The wait after the `attempts`-th failed attempt."""
        raise NotImplementedError

    def gives_up(self, row, *, next_attempt_at: datetime) -> str | None:
        """Why no attempt should follow this failure (None: retry at `next_attempt_at`)."""
        return None

    def failure_status(self, row, attempt: Attempt, *, status: str, now: datetime) -> str:
        """Inside the transaction that records a failure, before the row is written: the status
        to write (an app may hold the row instead of retrying it: a disabled webhook)."""
        return status

    def failure_recorded(self, row, attempt: Attempt, *, status: str, now: datetime) -> None:
        """In the same transaction, once the failure is written (only if this worker still held
        the row): what the app records of it (webhooks: the endpoint's failures)."""

    def delivered_recorded(self, row) -> None:
        """Once a delivery is written: what the app records of it (webhooks: the endpoint's
        failures end). Nothing by default."""

    def claimable(self) -> Q:
        """What else a due row must meet to be claimed (webhooks: an endpoint that is on)."""
        return Q()

    # --- The engine ------------------------------------------------------------------------------

    def _due(self, now: datetime) -> Q:
        """Rows due by `now` that no live worker holds."""
        return (
            Q(status=PENDING, next_attempt_at__lte=now)
            & unheld("held_until", now)
            & self.claimable()
        )

    def claim(self, ids: Iterable[int] | None = None, *, limit: int | None = None) -> list:
        """Hold the due rows among `ids` (a task's batch), or without ids the longest due up to
        `limit`, for this worker, in a transaction of its own that commits at once. SKIP LOCKED
        passes over rows another worker is claiming; a row it holds, or that is not due (sent,
        failed, held, retried later), is not taken."""
        now = timezone.now()
        due = self.rows().filter(self._due(now))
        with transaction.atomic():
            if db_connection.vendor == "postgresql":
                # The hold commits without waiting for the disk, as the records do (below): a
                # flush per batch cost about a fifth of a batch of ten e-mails. Should PostgreSQL
                # itself crash in the next fraction of a second, the rows are only claimable again
                # (sent at least once, as always).
                with db_connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            chosen = due.select_for_update(skip_locked=True, of=("self",))
            # By id when the ids are given: ordered by the due time, PostgreSQL walked the
            # partial index of every pending row to find the batch's few (a backlog of 10,000
            # made each claim read them all). Without ids, the longest due first.
            # No LIMIT with a task's ids unless asked (a batch is at most batch_size): with one,
            # PostgreSQL may walk the primary key in order instead of looking the few ids up.
            if ids is not None:
                chosen = chosen.filter(pk__in=list(ids)).order_by("id")
                rows = list(chosen[:limit] if limit else chosen)
            else:
                chosen = chosen.order_by("next_attempt_at", "id")
                rows = list(chosen[: limit or self.batch_size])
            until = now + timedelta(seconds=self.hold_seconds())
            self.model._default_manager.filter(pk__in=[row.pk for row in rows]).update(
                held_until=until
            )
        for row in rows:
            row.held_until = until
        return sorted(rows, key=lambda row: row.pk)

    def deliver(self, ids: Iterable[int] | None = None) -> int:
        """Claim and send a batch (the task's body). Returns how many were delivered."""
        rows = self.claim(ids)
        return self.send_claimed(rows)

    def send_claimed(self, rows: list) -> int:
        """Send rows this worker holds and record each outcome as it comes. Rows the hold no
        longer leaves time for are handed back, due now, and published again; failed ones are
        published for their next attempt, a task per batch."""
        if not rows:
            return 0
        hold = rows[0].held_until
        count, done = 0, set()
        retries: dict[float, list[int]] = {}
        started = time.monotonic()
        budget = self.batch_seconds()
        results = self.send(rows)
        try:
            for row, attempt in results:
                done.add(row.pk)
                if attempt.delivered:
                    if self._record_delivered(row, attempt, hold):
                        count += 1
                        self.delivered_recorded(row)
                elif (delay := self._record_failure(row, attempt, hold)) is not None:
                    retries.setdefault(delay, []).append(row.pk)
                if time.monotonic() - started > budget:
                    break  # the rest is handed back below
        except Exception as exc:  # a transport's bug still counts as a failed attempt
            logger.exception("Sending %s failed unexpectedly", self.model.__name__)
            for row in rows:
                if row.pk not in done:
                    done.add(row.pk)
                    error = failed(f"{type(exc).__name__}: {exc}")
                    if (delay := self._record_failure(row, error, hold)) is not None:
                        retries.setdefault(delay, []).append(row.pk)
        finally:
            results.close()  # the transport's own clean-up (a connection) runs now
            left = [row.pk for row in rows if row.pk not in done]
            if left:  # out of time: due now, for another task
                self.model._default_manager.filter(pk__in=left, held_until=hold).update(
                    held_until=None
                )
                self.publish(left)
        for delay, ids in retries.items():
            self.publish(ids, countdown=delay)
        return count

    def _held(self, row, hold) -> QuerySet:
        """The row as this worker claimed it: not if its hold ran out and another took it."""
        return self.model._default_manager.filter(pk=row.pk, status=PENDING, held_until=hold)

    # Plain SQL: the ORM's building of this update cost more than running it (a row per e-mail).
    # On PostgreSQL the commit does not wait for the disk (a WAL flush per row cost about 40% of
    # the throughput, docs/performance.md); set_config(..., true) lasts for this statement's own
    # transaction only. A crash of PostgreSQL itself in the next fraction of a second can lose the
    # record: the row is then sent again (at least once, as always).
    _RECORD_SQL = (
        "UPDATE {table} SET status = %s, delivered_at = %s, attempts = attempts + 1, "
        "last_error = '', next_attempt_at = NULL, held_until = NULL{extra} {no_wait}"
        "WHERE id = %s AND held_until = %s"
    )
    _NO_WAIT = "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_wait "

    def _column(self, name: str) -> str:
        field = self.model._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column
        return field.column

    def _record_delivered(self, row, attempt: Attempt, hold) -> bool:
        """Mark the row delivered, if this worker still holds it: one statement, committed on its
        own (autocommit) right after the attempt."""
        adapt = db_connection.ops.adapt_datetimefield_value  # SQLite keeps naive UTC text
        now = timezone.now()
        names = sorted(attempt.fields)
        columns = [self._column(name) for name in names]
        sql = self._RECORD_SQL.format(
            table=db_connection.ops.quote_name(self.model._meta.db_table),
            extra="".join(f", {db_connection.ops.quote_name(c)} = %s" for c in columns),
            no_wait=self._NO_WAIT if db_connection.vendor == "postgresql" else "",
        )
        params = [DELIVERED, adapt(now), *(attempt.fields[n] for n in names), row.pk, adapt(hold)]
        with db_connection.cursor() as cursor:
            cursor.execute(sql, params)
            recorded = cursor.rowcount == 1
        if recorded:
            row.status, row.delivered_at, row.held_until = DELIVERED, now, None
            row.attempts += 1
        return recorded

    def next_attempt_delay(self, attempts: int, attempt: Attempt) -> float:
        """The receiver's Retry-After when it gave one (never shorter than a second), else the
        backoff."""
        if attempt.retry_after is not None:
            return max(1.0, attempt.retry_after)
        return self.backoff_seconds(attempts)

    def _record_failure(self, row, attempt: Attempt, hold) -> float | None:
        """Record a failed attempt, if this worker still holds the row: the seconds until the next
        attempt, or None when there is none (failed for good, held by the app, or not ours)."""
        now = timezone.now()
        attempts = row.attempts + 1
        delay = self.next_attempt_delay(attempts, attempt)
        next_attempt_at = now + timedelta(seconds=delay)
        give_up = None if attempt.final else self.gives_up(row, next_attempt_at=next_attempt_at)
        error = f"{attempt.error}\n{give_up}" if give_up else attempt.error
        with transaction.atomic():
            status = FAILED if attempt.final or give_up else PENDING
            status = self.failure_status(row, attempt, status=status, now=now)
            recorded = self._held(row, hold).update(
                status=status,
                attempts=F("attempts") + 1,
                last_error=error[:2000],
                next_attempt_at=next_attempt_at if status == PENDING else None,
                held_until=None,
                **attempt.fields,
            )
            if recorded:
                self.failure_recorded(row, attempt, status=status, now=now)
        row.status, row.attempts, row.held_until = status, attempts, None
        return delay if recorded and status == PENDING else None

    def attempt_one(self, row) -> bool:
        """Send one row this worker already holds (a release in order): whether it was delivered."""
        return self.send_claimed([row]) == 1

    # --- Publishing and sweeping -------------------------------------------------------------

    def publish(self, ids: list[int], *, countdown: float = 0) -> bool:
        """Hand the rows to the workers, a task per batch. A broker that is down costs a bounded
        wait (CELERY_TASK_PUBLISH_RETRY_POLICY), never the caller: the rows stay due and the
        sweeper publishes them later."""
        module, name = self.task.rsplit(".", 1)
        task = getattr(import_module(module), name)
        try:
            for start in range(0, len(ids), self.batch_size):
                batch = ids[start : start + self.batch_size]
                task.apply_async(args=[batch], countdown=countdown or None, retry=True)
        except Exception as exc:  # the broker is down or refused: the sweeper will catch up
            logger.warning("Could not publish %s %s: %r", self.model.__name__, ids, exc)
            return False
        return True

    def publish_on_commit(self, ids: list[int]) -> None:
        """Publish the rows once the surrounding transaction commits."""
        if ids:
            transaction.on_commit(lambda: self.publish(ids), robust=True)

    def overdue(self, *, limit: int = 500) -> list[int]:
        """Due rows nobody took for a sweep period (the broker was down, a worker died)."""
        cutoff = timezone.now() - timedelta(seconds=self.sweep_seconds())
        overdue = self.model._default_manager.filter(self._due(cutoff))
        overdue = overdue.order_by("next_attempt_at", "id")
        return list(overdue.values_list("pk", flat=True)[:limit])

    def sweep(self, *, limit: int = 500) -> int:
        """Publish what was left behind: the sweeper's periodic task."""
        ids = self.overdue(limit=limit)
        self.publish(ids)
        return len(ids)

    def send_again(self, ids: Iterable[int]) -> int:
        """A person's "send again": pending again with a fresh set of attempts, published after
        commit. Delivered rows are left alone."""
        now = timezone.now()
        chosen = list(
            self.model._default_manager.exclude(status=DELIVERED)
            .filter(pk__in=list(ids))
            .values_list("pk", flat=True)
        )
        self.model._default_manager.filter(pk__in=chosen).update(
            status=PENDING, attempts=0, last_error="", next_attempt_at=now
        )
        self.publish_on_commit(chosen)
        return len(chosen)
