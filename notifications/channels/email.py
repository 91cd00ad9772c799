"""E-mail: a batch of deliveries over one SMTP connection (Django's EMAIL_BACKEND)."""

from collections.abc import Generator
from smtplib import SMTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from core.outbox import Attempt, delivered, failed
from notifications.models import Delivery, Notification

# Raised while building the message (BadHeaderError is a ValueError): sending again cannot help.
PERMANENT_ERRORS = (ValueError, UnicodeError)
NO_ADDRESS = "The recipient has no e-mail address."


def reaches(user_ids: list[int]) -> set[int]:
    """Everyone: a recipient without an address gets a delivery that fails, for HR to see."""
    return set(user_ids)


def message_id(notification: Notification) -> str:
    """The e-mail's Message-ID, the same every time this row is sent: a resend after a crash is
    recognisable as the same message. The creation time keeps ids apart across databases that
    reuse row ids under one SITE_URL (a development database made again)."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    stamp = int(notification.created_at.timestamp() * 1_000_000)
    return f"<notification-{notification.pk}.{stamp}@{domain}>"


def _message(
    notification: Notification, connection, composed: tuple[str, str] | None
) -> EmailMultiAlternatives:
    """The notification's e-mail; `composed`: (subject, body) made as it goes out, in place of the
    row's own texts (and then without the HTML body, which holds the row's text)."""
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


def send(
    deliveries: list[Delivery], texts: dict[int, tuple[str, str] | None]
) -> Generator[tuple[Delivery, Attempt], None, None]:
    """One connection for the batch. An SMTP or connection error fails the delivery it happened
    on and every one after it (the server or the network is down: they are retried later)."""
    connection = get_connection()
    error: Exception | None = None
    try:
        for delivery in deliveries:
            notification = delivery.notification
            if error is not None:
                yield delivery, failed(repr(error))
                continue
            if not notification.recipient.email:
                yield delivery, failed(NO_ADDRESS, final=True)
                continue
            try:
                connection.open()  # once: a no-op while it is open
                _message(notification, connection, texts.get(delivery.pk)).send()
            except PERMANENT_ERRORS as exc:
                yield delivery, failed(f"Cannot be sent as it is: {exc!r}", final=True)
            except (SMTPException, OSError) as exc:
                error = exc
                yield delivery, failed(repr(exc))
            else:
                yield delivery, delivered()
    finally:
        connection.close()
