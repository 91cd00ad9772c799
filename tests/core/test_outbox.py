"""The outbox engine (core/outbox.py) on its own: how it claims, records, retries, gives up and
hands back, with the notifications' deliveries as its rows and a transport that answers as the
test tells it (no e-mail, no Slack)."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from core.outbox import DELIVERED, FAILED, PENDING, delivered, failed
from notifications.models import Channel, Delivery, Notification
from notifications.outbox import MAX_ATTEMPTS, NotificationOutbox
from tests import factories
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

PUBLISH = "notifications.tasks.notifications_deliver.apply_async"


class Scripted(NotificationOutbox):
    """The notifications' outbox (its rows, hold, backoff, giving up) with a transport that gives
    each row the answer `answer(row)` and remembers which rows it attempted."""

    def __init__(self, answer=lambda row: delivered()):
        self.answer = answer
        self.attempted: list[int] = []

    def send(self, rows):
        for row in rows:
            self.attempted.append(row.pk)
            yield row, self.answer(row)


def due_rows(count: int) -> list[int]:
    """`count` e-mail deliveries due now (written as the services write them, never published)."""
    user = factories.UserFactory()
    notifications = Notification.objects.bulk_create(
        Notification(recipient=user, kind="test", subject=f"s{i}", body="b") for i in range(count)
    )
    now = timezone.now()
    rows = Delivery.objects.bulk_create(
        Delivery(notification=n, channel=Channel.EMAIL, next_attempt_at=now) for n in notifications
    )
    return [row.pk for row in rows]


def published(publish: mock.Mock) -> list[tuple[list[int], float | None]]:
    return [(call.kwargs["args"][0], call.kwargs["countdown"]) for call in publish.call_args_list]


# --- claiming ----------------------------------------------------------------------------------


class ClaimsSlowly(Scripted):
    """A worker that, with its rows selected FOR UPDATE and its transaction still open, waits
    until the other worker has claimed (or 10 s): the other cannot wait for these locks."""

    def __init__(self, locked: threading.Event, other_done: threading.Event):
        super().__init__()
        self.locked, self.other_done = locked, other_done
        self.other_finished_meanwhile = False

    def hold_seconds(self) -> float:
        self.locked.set()
        self.other_finished_meanwhile = self.other_done.wait(timeout=10)
        return super().hold_seconds()


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_a_batch_at_once_take_disjoint_rows():
    assert connection.vendor == "postgresql"
    ids = due_rows(40)
    locked, other_done = threading.Event(), threading.Event()
    slow = ClaimsSlowly(locked, other_done)

    def first():
        return slow.claim(ids, limit=25)

    def second():
        assert locked.wait(timeout=10)  # the first holds its rows' locks now
        try:
            return Scripted().claim(ids, limit=25)
        finally:
            other_done.set()

    first_rows, second_rows = at_once(first, second)
    # The second did not wait for the first's locks (SKIP LOCKED): it was done while the first
    # still had its transaction open, and took the rows the first had not locked.
    assert slow.other_finished_meanwhile
    first_ids, second_ids = {r.pk for r in first_rows}, {r.pk for r in second_rows}
    assert len(first_ids) == 25 and len(second_ids) == 15
    assert not first_ids & second_ids
    assert first_ids | second_ids == set(ids)
    holds = dict(Delivery.objects.values_list("pk", "held_until"))
    assert {holds[pk] for pk in first_ids} == {first_rows[0].held_until}
    assert {holds[pk] for pk in second_ids} == {second_rows[0].held_until}
    # Held: neither claims anything more, nor does a third.
    assert Scripted().claim(ids) == []


# --- retries -----------------------------------------------------------------------------------


def test_a_retry_after_schedules_the_next_attempt_at_that_time_not_the_backoff(settings):
    assert settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS < 120
    (pk,) = due_rows(1)
    outbox = Scripted(lambda row: failed("HTTP 429 (rate limited)", retry_after=120))
    before = timezone.now()
    with mock.patch(PUBLISH) as publish:
        assert outbox.deliver([pk]) == 0
    after = timezone.now()
    row = Delivery.objects.get(pk=pk)
    assert (row.status, row.attempts, row.held_until) == (PENDING, 1, None)
    assert "429" in row.last_error
    assert before + timedelta(seconds=120) <= row.next_attempt_at <= after + timedelta(seconds=120)
    assert published(publish) == [([pk], 120)]
    # Not before then...
    assert outbox.deliver([pk]) == 0
    assert outbox.attempted == [pk]
    # ...then once.
    Delivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    outbox.answer = lambda row: delivered()
    assert outbox.deliver([pk]) == 1
    assert outbox.deliver([pk]) == 0
    assert outbox.attempted == [pk, pk]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == (
        DELIVERED,
        2,
        "",
        None,
    )


def test_a_retry_after_of_nothing_waits_a_second_at_least():
    (pk,) = due_rows(1)
    with mock.patch(PUBLISH) as publish:
        Scripted(lambda row: failed("HTTP 429", retry_after=0)).deliver([pk])
    assert published(publish) == [([pk], 1.0)]


def test_a_plain_failure_backs_off_exponentially(settings):
    settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS = 30
    (pk,) = due_rows(1)
    outbox = Scripted(lambda row: failed("421 try again later"))
    waits = []
    for _ in range(3):
        Delivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
        with mock.patch(PUBLISH) as publish:
            outbox.deliver([pk])
        waits.append(published(publish)[0][1])
    assert waits == [30, 60, 120]
    assert Delivery.objects.get(pk=pk).attempts == 3


def test_a_final_failure_is_not_retried():
    (pk,) = due_rows(1)
    outbox = Scripted(lambda row: failed("no such recipient", final=True))
    with mock.patch(PUBLISH) as publish:
        assert outbox.deliver([pk]) == 0
    assert publish.call_args_list == []  # no retry published
    row = Delivery.objects.get(pk=pk)
    assert (row.status, row.attempts, row.next_attempt_at, row.held_until) == (
        FAILED,
        1,
        None,
        None,
    )
    assert row.last_error == "no such recipient"
    # Nothing takes it again: not a worker, not the sweeper, whatever the time.
    with mock.patch.object(Scripted, "sweep_seconds", return_value=0):
        assert outbox.overdue() == []
    assert outbox.deliver([pk]) == 0
    assert outbox.deliver() == 0
    assert outbox.attempted == [pk]


def test_the_last_allowed_failure_gives_up_and_is_left_for_a_person():
    (pk,) = due_rows(1)
    Delivery.objects.filter(pk=pk).update(attempts=MAX_ATTEMPTS - 1)
    with mock.patch(PUBLISH) as publish:
        Scripted(lambda row: failed("421 try again later")).deliver([pk])
    assert publish.call_args_list == []
    row = Delivery.objects.get(pk=pk)
    assert (row.status, row.attempts, row.next_attempt_at) == (FAILED, MAX_ATTEMPTS, None)
    assert row.last_error.startswith("421 try again later\nGiven up after")


# --- holds -------------------------------------------------------------------------------------


def test_a_row_whose_hold_ran_out_and_another_worker_took_is_not_recorded_by_the_first():
    """The first worker took longer than its hold; another claimed the rows meanwhile (its own
    hold). Whatever the first's answer, delivered or failed, the second's row is left alone."""
    sent, failing = due_rows(2)
    theirs = timezone.now() + timedelta(minutes=5)

    def taken_over(row):
        Delivery.objects.filter(pk=row.pk).update(held_until=theirs)  # the other worker's claim
        return delivered() if row.pk == sent else failed("421 try again later")

    with mock.patch(PUBLISH) as publish:
        assert Scripted(taken_over).deliver([sent, failing]) == 0
    assert publish.call_args_list == []  # no retry of a row that is not ours
    rows = Delivery.objects.in_bulk([sent, failing])
    for row in rows.values():
        assert (row.status, row.attempts, row.last_error) == (PENDING, 0, "")
        assert row.held_until == theirs and row.delivered_at is None
    # The other worker's outcome is the one recorded.
    assert Scripted()._record_delivered(rows[sent], delivered(), theirs)
    assert Delivery.objects.get(pk=sent).status == DELIVERED


def test_a_batch_out_of_time_hands_the_rest_back_due_now(settings):
    ids = due_rows(4)
    outbox = Scripted()
    with (
        mock.patch.object(Scripted, "batch_seconds", return_value=0),  # out of time at once
        mock.patch(PUBLISH) as publish,
    ):
        before = timezone.now()
        assert outbox.deliver(ids) == 1
    assert outbox.attempted == ids[:1]  # the rest were never attempted
    rest = Delivery.objects.filter(pk__in=ids[1:])
    assert {(r.status, r.attempts, r.held_until) for r in rest} == {(PENDING, 0, None)}
    assert all(r.next_attempt_at <= before for r in rest)  # due now, not later
    assert published(publish) == [(ids[1:], None)]  # for another task, at once
    assert Delivery.objects.get(pk=ids[0]).status == DELIVERED
    # Another task takes them.
    assert Scripted().deliver(ids) == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {DELIVERED}


def test_a_transport_that_breaks_fails_what_it_had_not_answered_to_be_retried():
    ids = due_rows(3)

    def breaks(row):
        if row.pk == ids[1]:
            raise RuntimeError("a bug in the transport")
        return delivered()

    with mock.patch(PUBLISH) as publish:
        assert Scripted(breaks).deliver(ids) == 1
    rows = Delivery.objects.in_bulk(ids)
    assert rows[ids[0]].status == DELIVERED
    for pk in ids[1:]:
        assert (rows[pk].status, rows[pk].attempts, rows[pk].held_until) == (PENDING, 1, None)
        assert "RuntimeError: a bug in the transport" in rows[pk].last_error
    ((retried, countdown),) = published(publish)
    assert sorted(retried) == ids[1:] and countdown > 0


def test_send_again_on_a_row_a_worker_is_sending_does_not_let_another_send_it_too():
    """HR's "send again" on a delivery still pending while a worker holds it (sending now): the
    row is not handed to a second worker, and the first records its outcome."""
    (pk,) = due_rows(1)
    first = Scripted()
    (held,) = first.claim([pk])
    assert first.send_again([pk]) == 1
    second = Scripted()
    assert second.deliver([pk]) == 0  # still held by the first
    assert first.send_claimed([held]) == 1
    assert second.attempted == [] and first.attempted == [pk]
    assert Delivery.objects.get(pk=pk).status == DELIVERED
