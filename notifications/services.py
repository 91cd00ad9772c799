"""Notifications: rows written with the change that causes them, delivered by e-mail after commit.

This app knows nothing of promotions or the ladder: callers choose the recipients and compose the
subject and bodies."""

import logging
from collections.abc import Iterable
from datetime import timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import Notification

logger = logging.getLogger(__name__)

# After this many failed attempts a row is left for a person (the admin's "send again").
MAX_ATTEMPTS = 10


def notifications_create(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    subject: str,
    body: str,
    html_body: str = "",
    promotion_id: int | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Write one row per recipient (a single INSERT, whatever their number) and have them
    delivered once the surrounding transaction commits. With `dedupe_key`, a recipient who already
    has a row with that key gets no second one."""
    recipient_ids = sorted(set(recipient_ids))
    keys = {rid: f"{dedupe_key}:{rid}" if dedupe_key else None for rid in recipient_ids}
    if dedupe_key:
        taken = set(
            Notification.objects.filter(dedupe_key__in=keys.values()).values_list(
                "recipient_id", flat=True
            )
        )
        recipient_ids = [rid for rid in recipient_ids if rid not in taken]
    rows = Notification.objects.bulk_create(
        Notification(
            recipient_id=rid,
            kind=kind,
            promotion_id=promotion_id,
            subject=subject[:200],
            body=body,
            html_body=html_body,
            dedupe_key=keys[rid],
        )
        for rid in recipient_ids
    )
    if rows:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: notifications_publish(notification_ids=ids), robust=True)
    return rows


# A worker delivers up to this many notifications per task, over one SMTP connection.
BATCH_SIZE = 50


def notifications_publish(*, notification_ids: list[int]) -> bool:
    """Hand the rows to the workers, a message per batch of BATCH_SIZE (one for most changes). A
    broker that is down costs a bounded wait (CELERY_TASK_PUBLISH_RETRY_POLICY), never the
    request: the rows stay unsent and the sweeper delivers them later."""
    from notifications.tasks import notifications_deliver

    try:
        for start in range(0, len(notification_ids), BATCH_SIZE):
            batch = notification_ids[start : start + BATCH_SIZE]
            notifications_deliver.apply_async(args=[batch], retry=True)
    except Exception as exc:  # the broker is down or refused: the sweeper will catch up
        logger.warning("Could not publish notifications %s: %r", notification_ids, exc)
        return False
    return True


def notification_send(*, notification_id: int) -> bool:
    """Deliver one notification; see notifications_send."""
    return notifications_send(notification_ids=[notification_id]) == 1


def _message(notification: Notification, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        connection=connection,
    )
    if notification.html_body:
        message.attach_alternative(notification.html_body, "text/html")
    return message


def notifications_send(*, notification_ids: list[int]) -> int:
    """Deliver a batch of notifications by e-mail over one connection, each at most once. The
    rows are locked with SKIP LOCKED: a row another worker is sending is left to it, and a row
    with `sent_at` is skipped. Returns how many e-mails went out.

    A message that can never be sent as it is (no address, a header Django refuses) is recorded
    as failed, not retried. An SMTP or connection error stops the batch: what went out is marked
    sent, the rest record the error, and the error is raised again for the task to retry them."""
    error: Exception | None = None
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk__in=notification_ids, sent_at__isnull=True, failed_at__isnull=True)
            .order_by("id")
        )
        if not rows:
            return 0
        sent: list[int] = []
        refused: list[tuple[Notification, str]] = []
        connection = get_connection()
        try:
            connection.open()
            for notification in rows:
                if not notification.recipient.email:
                    refused.append((notification, "The recipient has no e-mail address."))
                    continue
                try:
                    _message(notification, connection).send()
                except PERMANENT_ERRORS as exc:
                    refused.append((notification, f"Cannot be sent as it is: {exc!r}"[:2000]))
                    continue
                sent.append(notification.pk)
        except (SMTPException, OSError) as exc:
            error = exc
        finally:
            connection.close()
        now = timezone.now()
        Notification.objects.filter(pk__in=sent).update(
            sent_at=now, attempts=F("attempts") + 1, last_error=""
        )
        for notification, reason in refused:
            _fail(notification, reason)
        if error is not None:
            done = set(sent) | {notification.pk for notification, _ in refused}
            # enqueued_at: the task's own retry comes first; the sweeper waits a period.
            Notification.objects.filter(pk__in=[n.pk for n in rows if n.pk not in done]).update(
                attempts=F("attempts") + 1, last_error=repr(error)[:2000], enqueued_at=now
            )
    if error is not None:
        raise error
    return len(sent)


# Raised while building the message (BadHeaderError is a ValueError): sending again cannot help.
PERMANENT_ERRORS = (ValueError, UnicodeError)


def _fail(notification: Notification, error: str) -> None:
    notification.attempts += 1
    notification.last_error = error
    notification.failed_at = timezone.now()
    notification.save(update_fields=["attempts", "last_error", "failed_at"])


def notifications_claim_undelivered(*, limit: int = 500) -> list[int]:
    """Rows still unsent `NOTIFICATIONS_SWEEP_SECONDS` after they were written (or last handed to
    a worker): the broker was down, or a worker died. Claims them by stamping `enqueued_at`;
    SKIP LOCKED lets two sweepers run at once without claiming the same rows."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFICATIONS_SWEEP_SECONDS)
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, failed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .filter(created_at__lte=cutoff)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=cutoff))
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        Notification.objects.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_send_again(*, notification_ids: list[int]) -> int:
    """The admin's "send again": give failed rows a fresh set of attempts and publish them."""
    ids = list(
        Notification.objects.filter(pk__in=notification_ids, sent_at__isnull=True).values_list(
            "id", flat=True
        )
    )
    Notification.objects.filter(pk__in=ids).update(attempts=0, last_error="", failed_at=None)
    if ids:
        transaction.on_commit(lambda: notifications_publish(notification_ids=ids), robust=True)
    return len(ids)
