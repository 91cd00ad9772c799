"""Delivery in batches: one message per batch of up to BATCH_SIZE rows, one connection per batch,
rows claimed with SKIP LOCKED; a failure mid-batch keeps what went out and retries the rest."""

from functools import partial
from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from notifications import services
from notifications.models import Notification
from tests import factories
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


class FailingAfter(EmailBackend):
    """The locmem backend, whose server hangs up after `budget` messages (per class)."""

    budget = 0
    opened = 0

    def open(self):
        type(self).opened += 1
        return super().open()

    def send_messages(self, messages):
        if type(self).budget <= 0:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        type(self).budget -= len(messages)
        return super().send_messages(messages)


def rows(count: int) -> list[int]:
    users = [factories.committee_member() for _ in range(count)]
    created = services.notifications_create(
        recipient_ids=[u.pk for u in users], kind="test", subject="s", body="b"
    )
    return [row.pk for row in created]


def test_publishing_sends_one_message_per_batch():
    ids = list(range(1, 2 * services.BATCH_SIZE + 21))
    with mock.patch("notifications.tasks.notifications_deliver.apply_async") as publish:
        assert services.notifications_publish(notification_ids=ids) is True
    batches = [call.kwargs["args"][0] for call in publish.call_args_list]
    assert [len(batch) for batch in batches] == [services.BATCH_SIZE, services.BATCH_SIZE, 20]
    assert [i for batch in batches for i in batch] == ids


def test_a_batch_goes_over_one_connection(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingAfter"
    FailingAfter.budget, FailingAfter.opened = 100, 0
    ids = rows(12)
    assert services.notifications_send(notification_ids=ids) == 12
    assert FailingAfter.opened == 1
    assert len(mail.outbox) == 12
    assert not Notification.objects.filter(pk__in=ids, sent_at__isnull=True).exists()


def test_a_failure_mid_batch_keeps_what_went_out_and_the_retry_sends_only_the_rest(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingAfter"
    FailingAfter.budget = 4
    ids = rows(10)
    with pytest.raises(SMTPServerDisconnected):
        services.notifications_send(notification_ids=ids)
    sent = Notification.objects.filter(pk__in=ids, sent_at__isnull=False)
    assert sent.count() == 4
    unsent = Notification.objects.filter(pk__in=ids, sent_at__isnull=True)
    assert {(n.attempts, "Connection unexpectedly closed" in n.last_error) for n in unsent} == {
        (1, True)
    }
    # The task's retry: the same batch; only the six left go out.
    FailingAfter.budget = 100
    assert services.notifications_send(notification_ids=ids) == 6
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 10


def test_a_poisoned_message_fails_alone_and_the_rest_of_its_batch_goes_out():
    ids = rows(5)
    poisoned = Notification.objects.get(pk=ids[2])
    Notification.objects.filter(pk=poisoned.pk).update(subject="Hi\r\nBcc: attacker@evil.example")
    assert services.notifications_send(notification_ids=ids) == 4
    poisoned.refresh_from_db()
    assert poisoned.sent_at is None and poisoned.failed_at is not None
    assert "BadHeaderError" in poisoned.last_error
    assert len(mail.outbox) == 4


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_overlapping_batches_send_each_email_once(no_worker):
    ids = rows(60)
    first = partial(services.notifications_send, notification_ids=ids[:40])
    second = partial(services.notifications_send, notification_ids=ids[20:])
    counts = at_once(first, second)
    # Whatever one holds, the other skips (SKIP LOCKED) and, if it comes later, finds sent.
    assert sum(counts) == 60
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 60
