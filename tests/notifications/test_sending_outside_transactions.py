"""A notification's delivery is held (a short committed claim), sent with no transaction open and no
row lock, then recorded only by the worker that still holds it; each e-mail has a stable
Message-ID; a task whose database connection was dropped is retried on a new connection."""

import time
from datetime import timedelta

import psycopg
import pytest
from celery.signals import task_prerun
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.utils import timezone

from core.outbox import DELIVERED, PENDING
from notifications import services
from notifications.channels.email import message_id
from notifications.models import Delivery, Notification
from notifications.outbox import outbox
from tests import factories
from tests.notifications.conftest import wait_for
from tests.notifications.deliveries import email_of, send


def one_row() -> Notification:
    (row,) = services.notifications_create(
        recipient_ids=[factories.committee_member().pk], kind="test", subject="Hello", body="Body"
    )
    return row


def other_connection() -> psycopg.Connection:
    """A connection of its own to the test database, as another worker would have."""
    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=False,
    )


class LooksAtTheRowWhileSending(EmailBackend):
    """Records, at the moment the message goes out, whether a transaction is open on the worker's
    connection and whether another connection could lock the delivery and its notification
    (NOWAIT: it fails at once if a lock is held)."""

    seen: list[tuple[bool, bool]] = []
    row_of: dict[str, tuple[int, int]] = {}  # recipient address → (delivery id, notification id)

    def send_messages(self, messages):
        delivery_id, notification_id = type(self).row_of[messages[0].to[0]]
        with other_connection() as other:
            try:
                for table, row_id in (
                    (Delivery._meta.db_table, delivery_id),
                    (Notification._meta.db_table, notification_id),
                ):
                    other.execute(
                        f"SELECT id FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [row_id]
                    )
                lockable = True
            except psycopg.errors.LockNotAvailable:
                lockable = False
            other.rollback()
        type(self).seen.append((connection.in_atomic_block, lockable))
        return super().send_messages(messages)


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_transaction_or_row_lock_is_held_while_the_email_is_sent(no_worker, settings):
    settings.EMAIL_BACKEND = f"{__name__}.LooksAtTheRowWhileSending"
    LooksAtTheRowWhileSending.seen = []
    rows = [one_row() for _ in range(3)]
    LooksAtTheRowWhileSending.row_of = {
        row.recipient.email: (email_of(row).pk, row.pk) for row in rows
    }
    assert send(*rows) == 3
    assert LooksAtTheRowWhileSending.seen == [(False, True)] * 3
    assert not Delivery.objects.exclude(status=DELIVERED).exists()
    assert not Delivery.objects.filter(held_until__isnull=False).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_record_does_not_wait_for_the_disk_and_leaves_the_session_as_it_was(no_worker):
    rows = [one_row() for _ in range(2)]
    assert send(*rows) == 2
    assert not Delivery.objects.exclude(status=DELIVERED).exists()
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)  # set_config(..., true) ended with its statement


@pytest.mark.django_db
def test_each_email_has_a_message_id_of_its_row_that_a_resend_repeats(no_worker):
    row = one_row()
    assert send(row) == 1
    first = mail.outbox[0].extra_headers["Message-ID"]
    assert first == message_id(row)
    assert first.startswith(f"<notification-{row.pk}.") and first.endswith("@ladder.test>")
    # The same delivery sent again (a crash before it was recorded): the same Message-ID.
    Delivery.objects.filter(pk=email_of(row).pk).update(
        status=PENDING, delivered_at=None, next_attempt_at=timezone.now()
    )
    assert send(row) == 1
    assert mail.outbox[1].extra_headers["Message-ID"] == first
    assert mail.outbox[1].message()["Message-ID"] == first
    other = one_row()
    assert message_id(other) != first


@pytest.mark.django_db
def test_a_row_another_worker_holds_is_skipped_until_its_hold_runs_out(no_worker):
    row = one_row()
    delivery = Delivery.objects.filter(pk=email_of(row).pk)
    delivery.update(held_until=timezone.now() + timedelta(seconds=60))
    assert send(row) == 0
    assert mail.outbox == []
    # The holder died: once its hold has run out, the row is anyone's again.
    delivery.update(held_until=timezone.now() - timedelta(seconds=1))
    assert send(row) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_hold_outlasts_a_task_and_the_sweeper_leaves_held_rows_alone(no_worker, settings):
    assert outbox.hold_seconds() > settings.CELERY_TASK_TIME_LIMIT
    # A batch stops starting attempts before the task's soft limit, well within its hold.
    assert outbox.batch_seconds() < settings.CELERY_TASK_SOFT_TIME_LIMIT < outbox.hold_seconds()
    settings.NOTIFICATIONS_SWEEP_SECONDS = 60
    row = one_row()
    delivery = email_of(row)
    old = timezone.now() - timedelta(seconds=61)
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=old, held_until=timezone.now() + timedelta(seconds=60)
    )
    assert outbox.overdue() == []
    Delivery.objects.filter(pk=delivery.pk).update(held_until=old)
    assert outbox.overdue() == [delivery.pk]


class TakenOverWhileSending(EmailBackend):
    """The worker took longer than its hold; another worker claimed the row meanwhile."""

    def send_messages(self, messages):
        Delivery.objects.update(held_until=timezone.now() + timedelta(seconds=60))
        return super().send_messages(messages)


@pytest.mark.django_db
def test_a_worker_whose_hold_ran_out_does_not_record_the_row(no_worker, settings):
    settings.EMAIL_BACKEND = f"{__name__}.TakenOverWhileSending"
    row = one_row()
    assert send(row) == 0
    assert len(mail.outbox) == 1
    delivery = email_of(row)
    # The holder now records it, not us.
    assert (delivery.status, delivery.delivered_at, delivery.attempts) == (PENDING, None, 0)
    assert delivery.held_until is not None


class Dies(BaseException):
    """The worker is killed (SIGKILL, the task's hard time limit): nothing after it runs."""


@pytest.mark.django_db
def test_a_worker_killed_between_sending_and_recording_resends_once_with_the_same_message_id(
    no_worker, monkeypatch
):
    row = one_row()

    def killed(row, attempt, hold):
        raise Dies()

    # The statement after the SMTP answer.
    monkeypatch.setattr(outbox, "_record_delivered", killed)
    with pytest.raises(Dies):
        send(row)
    monkeypatch.undo()
    assert len(mail.outbox) == 1
    delivery = email_of(row)
    assert (delivery.status, delivery.delivered_at) == (PENDING, None)
    assert delivery.held_until is not None
    # Nothing sends it while the dead worker's hold lasts; then it goes once more, same id.
    assert send(row) == 0
    Delivery.objects.filter(pk=delivery.pk).update(held_until=timezone.now())
    assert send(row) == 1
    assert send(row) == 0
    ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert len(ids) == 2 and ids[0] == ids[1]


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_whose_database_connection_was_dropped_is_retried_and_delivers(
    redis_broker, worker, mailoutbox
):
    """PostgreSQL ends the worker's connection (a restart, pg_terminate_backend) just before the
    task's first query: the task closes it and is retried on a new one, without the sweeper."""
    dropped = []

    def drop_the_connection(task=None, **kwargs):
        if dropped or not task.name.endswith("notifications_deliver"):
            return
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        with other_connection() as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
            other.commit()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                gone = other.execute(
                    "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)", [pid]
                ).fetchone()[0]
                other.commit()
                if gone:
                    break
                time.sleep(0.05)
        dropped.append(pid)

    task_prerun.connect(drop_the_connection)
    try:
        with transaction.atomic():
            row = one_row()
        assert wait_for(lambda: len(mail.outbox) == 1, timeout=30)
    finally:
        task_prerun.disconnect(drop_the_connection)
    time.sleep(0.5)
    assert dropped and len(mail.outbox) == 1
    delivery = email_of(row)
    assert (delivery.status, delivery.attempts) == (DELIVERED, 1)


def test_every_task_of_the_project_retries_on_a_dropped_connection(monkeypatch):
    """The class, not the one task: every task registered by the project's apps has the base
    that retries on a broken database connection, and a task that is not bound (the outbox's
    delivery of notifications) is retried too when its first query fails in a worker."""
    from celery.exceptions import Retry
    from django.db import OperationalError

    from config.celery import app
    from core.task_retry import DatabaseRetryingTask

    app.loader.import_default_modules()  # the apps' tasks, as a worker finds them at start
    ours = [
        task
        for name, task in app.tasks.items()
        if name.split(".")[0] in ("accounts", "ladder", "notifications", "promotions", "webhooks")
    ]
    assert len(ours) >= 10
    assert all(isinstance(task, DatabaseRetryingTask) for task in ours), [
        task.name for task in ours if not isinstance(task, DatabaseRetryingTask)
    ]

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(outbox, "deliver", broken)
    task = app.tasks["notifications.tasks.notifications_deliver"]
    task.push_request(is_eager=False, retries=0, called_directly=False, args=[[1]], kwargs={})
    # As in a worker whose connection is gone: retrying, the task then has none to close, and
    # this test, which may make no database access, runs the same after any other (an earlier
    # test may have left this process's connection open).
    connection.close()
    try:
        with pytest.raises(Retry):
            task([1])
    finally:
        task.pop_request()
