"""Notifications: rows written with the change that causes them, delivered by e-mail after commit.

This app knows nothing of promotions or the ladder: callers choose the recipients and compose the
subject and bodies."""

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from smtplib import SMTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.holds import unheld
from notifications.models import Notification, SweeperRun

logger = logging.getLogger(__name__)

# After this many failed attempts a row is left for a person (the admin's "send again").
MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class Message:
    """What one recipient reads: the subject, the plain and HTML bodies (with the link whole, as
    the caller wrote it), and the page it is about as a path on this site (the inbox's "Open")."""

    subject: str
    body: str
    html_body: str = ""
    link: str = ""


def notifications_create(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    subject: str,
    body: str,
    html_body: str = "",
    link: str = "",
    promotion_id: int | None = None,
    dedupe_key: str | None = None,
    audience: str = "",
) -> list[Notification]:
    """The same message to every recipient: see notifications_create_each."""
    message = Message(subject=subject, body=body, html_body=html_body, link=link)
    return notifications_create_each(
        messages=dict.fromkeys(recipient_ids, message),
        kind=kind,
        promotion_id=promotion_id,
        dedupe_key=dedupe_key,
        audience=audience,
    )


def notifications_create_each(
    *,
    messages: Mapping[int, Message],
    kind: str,
    promotion_id: int | None = None,
    dedupe_key: str | None = None,
    audience: str = "",
) -> list[Notification]:
    """Write one row per recipient, each with its own message (`messages`: recipient id →
    message; recipients in different roles open different pages), in a single INSERT whatever
    their number, and have them delivered once the surrounding transaction commits. With
    `dedupe_key`, a recipient who already has a row with that key gets no second one."""
    recipient_ids = sorted(messages)
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
            audience=audience,
            subject=messages[rid].subject[:200],
            body=messages[rid].body,
            html_body=messages[rid].html_body,
            link=messages[rid].link,
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


def message_id(notification: Notification) -> str:
    """The e-mail's Message-ID, the same every time this row is sent: a resend after a crash is
    recognisable as the same message. The creation time keeps ids apart across databases that
    reuse row ids under one SITE_URL (a development database made again)."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    stamp = int(notification.created_at.timestamp() * 1_000_000)
    return f"<notification-{notification.pk}.{stamp}@{domain}>"


def _message(
    notification: Notification, connection, composed: tuple[str, str] | None = None
) -> EmailMultiAlternatives:
    """The row's e-mail; `composed`: (subject, body) made as it goes out (register_composer),
    in place of the row's own texts."""
    subject, body = composed or (notification.subject, notification.body)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        connection=connection,
        headers={"Message-ID": message_id(notification)},
    )
    if notification.html_body and composed is None:
        message.attach_alternative(notification.html_body, "text/html")
    return message


def hold_seconds() -> int:
    """How long a worker holds the rows it sends: longer than a task may run, so a live worker
    always records what it sent before anyone else may take the rows."""
    return settings.CELERY_TASK_TIME_LIMIT + 60


def _claim(notification_ids: list[int]) -> list[Notification]:
    """Hold the unsent, unheld rows among `notification_ids` for this worker, in a transaction of
    its own that commits at once. SKIP LOCKED passes over rows another worker is claiming."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk__in=notification_ids, sent_at__isnull=True, failed_at__isnull=True)
            .filter(unheld("claimed_until", now))
            .order_by("id")
        )
        until = now + timedelta(seconds=hold_seconds())
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(claimed_until=until)
        for row in rows:
            row.claimed_until = until
    return rows


def _held(rows: list[Notification]):
    """The rows as this worker claimed them (one claim, one `claimed_until`): not those whose hold
    ran out and another worker took."""
    if not rows:
        return Notification.objects.none()
    return Notification.objects.filter(
        pk__in=[row.pk for row in rows], sent_at__isnull=True, claimed_until=rows[0].claimed_until
    )


# Plain SQL: building the same ORM update for every e-mail cost more than running it. No
# `sent_at IS NULL`: it matched the partial index of unsent rows, which PostgreSQL then chose and
# read whole for every e-mail; `claimed_until` equal to this worker's hold already says the row is
# unsent (recording clears it) and this worker's.
RECORD_SENT_SQL = """
UPDATE notifications_notification
SET sent_at = %s, attempts = attempts + 1, last_error = '', claimed_until = NULL
WHERE id = %s AND claimed_until = %s
"""
# PostgreSQL: the same, with a commit that does not wait for the disk (a WAL flush per e-mail cost
# about 40% of the throughput under load, docs/performance.md). set_config(..., true) lasts for this
# statement's own transaction only. A crash of PostgreSQL itself in the next fraction of a second
# can lose the record; the e-mail is then sent again, with the same Message-ID.
RECORD_SENT_SQL_POSTGRESQL = """
UPDATE notifications_notification
SET sent_at = %s, attempts = attempts + 1, last_error = '', claimed_until = NULL
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_wait_for_the_disk
WHERE id = %s AND claimed_until = %s
"""


def _record_sent(notification: Notification) -> None:
    """Mark the row sent, if this worker still holds it (as `_held`): one statement, committed on
    its own (autocommit) right after the e-mail."""
    adapt = db_connection.ops.adapt_datetimefield_value  # SQLite keeps naive UTC text
    params = [adapt(timezone.now()), notification.pk, adapt(notification.claimed_until)]
    postgresql = db_connection.vendor == "postgresql"
    with db_connection.cursor() as cursor:
        cursor.execute(RECORD_SENT_SQL_POSTGRESQL if postgresql else RECORD_SENT_SQL, params)


# Whether each recipient may still read a message when it is sent (they may have left the
# committee since it was written): the app that writes messages about its objects registers its
# rule (promotions/apps.py) as a function of the rows that answers the ids no longer readable.
_readership_checks: list[Callable[[list[Notification]], set[int]]] = []


def register_readership_check(check: Callable[[list[Notification]], set[int]]) -> None:
    if check not in _readership_checks:
        _readership_checks.append(check)


def _unreadable(rows: list[Notification]) -> set[int]:
    """The rows whose recipient may no longer read them: deactivated, or refused by a rule."""
    gone = {row.pk for row in rows if not row.recipient.is_active}
    for check in _readership_checks:
        gone |= check([row for row in rows if row.pk not in gone])
    return gone


NO_LONGER_A_READER = "Not sent: the recipient may no longer read this message."

# Some e-mails carry a secret that must never be stored, not even in the recipient's inbox (an
# invitation's link): the app that writes them registers, for their kind, a function that
# composes each row's e-mail (subject, plain body) as it goes out, while the row keeps the text
# the inbox shows. It answers every row it is given: None for one that can no longer be sent as
# meant (the invitation was used or replaced), which is recorded as failed, not retried.
Composer = Callable[[list[Notification]], dict[int, tuple[str, str] | None]]
_composers: dict[str, Composer] = {}


def register_composer(kind: str, compose: Composer) -> None:
    _composers[kind] = compose


def _composed(rows: list[Notification]) -> dict[int, tuple[str, str] | None]:
    """The e-mails of the rows whose kind has a composer (asked before the SMTP connection
    opens: a composer may write, e.g. the digest of the token it puts in the e-mail)."""
    composed: dict[int, tuple[str, str] | None] = {}
    for kind, compose in _composers.items():
        of_kind = [row for row in rows if row.kind == kind]
        if of_kind:
            answer = compose(of_kind)
            composed.update({row.pk: answer.get(row.pk) for row in of_kind})
    return composed


NO_LONGER_VALID = "Not sent: what it carried no longer works (used or replaced since)."


def notifications_send(*, notification_ids: list[int]) -> int:
    """Deliver a batch of notifications by e-mail over one connection. Returns how many e-mails
    went out.

    Each row is claimed first (`claimed_until`, committed at once); the e-mails go out with no
    transaction open and no row locked; each row's `sent_at` is written right after its e-mail,
    and only while this worker still holds it. A row that is sent, failed or held by another
    worker is skipped. So an e-mail goes out at least once, and twice only if the worker dies
    between the server's answer and that write, or PostgreSQL crashes just after it (the resend
    has the same Message-ID).

    A message that can never be sent as it is (no address, a header Django refuses), or whose
    recipient may no longer read it (deactivated, or refused by the writing app's rule: someone
    who left the committee), is recorded as failed, not retried. An SMTP or connection error stops
    the batch: what went out is already recorded, the rest record the error and are released, and
    the error is raised again for the task to retry them."""
    rows = _claim(notification_ids)
    if not rows:
        return 0
    unreadable = _unreadable(rows)  # asked now: who may read it may have changed since
    composed = _composed([row for row in rows if row.pk not in unreadable])
    sent = 0
    done: set[int] = set()  # sent, or failed for good
    error: Exception | None = None
    connection = get_connection()
    try:
        connection.open()
        for notification in rows:
            if notification.pk in unreadable:
                _fail(notification, NO_LONGER_A_READER)
            elif notification.pk in composed and composed[notification.pk] is None:
                _fail(notification, NO_LONGER_VALID)
            elif not notification.recipient.email:
                _fail(notification, "The recipient has no e-mail address.")
            else:
                try:
                    _message(notification, connection, composed.get(notification.pk)).send()
                except PERMANENT_ERRORS as exc:
                    _fail(notification, f"Cannot be sent as it is: {exc!r}"[:2000])
                else:
                    sent += 1
                    # At once: a worker that dies later in the batch sends none of these again.
                    _record_sent(notification)
            done.add(notification.pk)
    except (SMTPException, OSError) as exc:
        error = exc
    finally:
        connection.close()
    if error is not None:
        # enqueued_at: the task's own retry comes first; the sweeper waits a period.
        _held([n for n in rows if n.pk not in done]).update(
            attempts=F("attempts") + 1,
            last_error=repr(error)[:2000],
            enqueued_at=timezone.now(),
            claimed_until=None,
        )
        raise error
    return sent


# Raised while building the message (BadHeaderError is a ValueError): sending again cannot help.
PERMANENT_ERRORS = (ValueError, UnicodeError)


def _fail(notification: Notification, error: str) -> None:
    _held([notification]).update(
        attempts=F("attempts") + 1,
        last_error=error,
        failed_at=timezone.now(),
        claimed_until=None,
    )


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
            .filter(unheld("claimed_until", now))
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        Notification.objects.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def sweeper_run_record() -> None:
    """Stamp the sweeper's run (one row, one statement): /readyz reads it to tell whether beat
    and a worker still run the periodic tasks."""
    SweeperRun.objects.bulk_create(
        [SweeperRun(pk=SweeperRun.ONLY, ran_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["ran_at"],
    )


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
