"""Delivery in batches: one message per batch of up to the outbox's batch size, one connection per
batch, deliveries claimed with SKIP LOCKED; a failure mid-batch keeps what went out and the
scheduled retry sends the rest."""

from datetime import timedelta
from functools import partial
from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from core.outbox import DELIVERED, FAILED, PENDING
from notifications import services
from notifications.models import Delivery, Notification
from notifications.outbox import outbox
from tests import factories
from tests.concurrency import at_once
from tests.notifications.deliveries import email_ids

pytestmark = pytest.mark.django_db

BATCH_SIZE = outbox.batch_size


class FailingAfter(EmailBackend):
    """The locmem backend as a connection (SMTP's `open`: a no-op while open), whose server hangs
    up after `budget` messages (per class). `opened`: connections opened."""

    budget = 0
    opened = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_open = False

    def open(self):
        if self.is_open:
            return False
        self.is_open = True
        type(self).opened += 1
        return True

    def close(self):
        self.is_open = False

    def send_messages(self, messages):
        if type(self).budget <= 0:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        type(self).budget -= len(messages)
        return super().send_messages(messages)


def rows(count: int) -> list[int]:
    """`count` notifications to as many people: the ids of their e-mail deliveries."""
    users = [factories.committee_member() for _ in range(count)]
    created = services.notifications_create(
        recipient_ids=[u.pk for u in users], kind="test", subject="s", body="b"
    )
    return email_ids(created)


def test_publishing_sends_one_message_per_batch():
    ids = list(range(1, 2 * BATCH_SIZE + 21))
    with mock.patch("notifications.tasks.notifications_deliver.apply_async") as publish:
        assert outbox.publish(ids) is True
    batches = [call.kwargs["args"][0] for call in publish.call_args_list]
    assert [len(batch) for batch in batches] == [BATCH_SIZE, BATCH_SIZE, 20]
    assert [i for batch in batches for i in batch] == ids
    assert {call.kwargs["countdown"] for call in publish.call_args_list} == {None}
    # A retry is published the same way, for when it is due.
    with mock.patch("notifications.tasks.notifications_deliver.apply_async") as publish:
        assert outbox.publish(ids[:3], countdown=30) is True
    assert publish.call_args.kwargs["args"] == [ids[:3]]
    assert publish.call_args.kwargs["countdown"] == 30


def test_a_batch_goes_over_one_connection(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingAfter"
    FailingAfter.budget, FailingAfter.opened = 100, 0
    ids = rows(12)
    assert outbox.deliver(ids) == 12
    assert FailingAfter.opened == 1
    assert len(mail.outbox) == 12
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {DELIVERED}


def test_a_failure_mid_batch_keeps_what_went_out_and_the_retry_sends_only_the_rest(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingAfter"
    FailingAfter.budget = 4
    ids = rows(10)
    with mock.patch("notifications.tasks.notifications_deliver.apply_async") as publish:
        before = timezone.now()
        assert outbox.deliver(ids) == 4
    sent = Delivery.objects.filter(pk__in=ids, status=DELIVERED)
    assert sent.count() == 4
    unsent = Delivery.objects.filter(pk__in=ids).exclude(status=DELIVERED)
    assert {
        (d.status, d.attempts, "Connection unexpectedly closed" in d.last_error, d.held_until)
        for d in unsent
    } == {(PENDING, 1, True, None)}
    # The retry is scheduled (the backoff after a first failure), and published for then.
    backoff = timedelta(seconds=settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS)
    assert all(d.next_attempt_at >= before + backoff for d in unsent)
    (retry,) = publish.call_args_list
    assert sorted(retry.kwargs["args"][0]) == sorted(d.pk for d in unsent)
    assert retry.kwargs["countdown"] == settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS
    # Not before it is due...
    FailingAfter.budget = 100
    assert outbox.deliver(ids) == 0
    assert len(mail.outbox) == 4
    # ...then the retry (the same batch): only the six left go out.
    unsent.update(next_attempt_at=timezone.now())
    assert outbox.deliver(ids) == 6
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 10
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {DELIVERED}


def test_a_poisoned_message_fails_alone_and_the_rest_of_its_batch_goes_out():
    ids = rows(5)
    poisoned = Delivery.objects.get(pk=ids[2])
    Notification.objects.filter(pk=poisoned.notification_id).update(
        subject="Hi\r\nBcc: attacker@evil.example"
    )
    assert outbox.deliver(ids) == 4
    poisoned.refresh_from_db()
    assert (poisoned.status, poisoned.delivered_at, poisoned.next_attempt_at) == (
        FAILED,
        None,
        None,
    )
    assert "BadHeaderError" in poisoned.last_error
    assert len(mail.outbox) == 4


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_overlapping_batches_send_each_email_once(no_worker):
    ids = rows(60)
    first = partial(outbox.deliver, ids[:40])
    second = partial(outbox.deliver, ids[20:])
    counts = at_once(first, second)
    # Whatever one holds, the other skips (SKIP LOCKED) and, if it comes later, finds delivered.
    assert sum(counts) == 60
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 60
