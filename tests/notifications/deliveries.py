"""A notification's e-mail delivery (the outbox row a worker sends), as the tests look at it."""

from collections.abc import Iterable

from django.db.models import QuerySet

from notifications.models import Channel, Delivery, Notification
from notifications.outbox import outbox


def _id(notification: Notification | int) -> int:
    return notification if isinstance(notification, int) else notification.pk


def email_of(notification: Notification | int) -> Delivery:
    """The notification's e-mail delivery, as the database has it now."""
    return Delivery.objects.get(notification_id=_id(notification), channel=Channel.EMAIL)


def emails(notifications: Iterable[Notification | int] | QuerySet) -> QuerySet:
    """The e-mail deliveries of these notifications."""
    if isinstance(notifications, QuerySet):
        return Delivery.objects.filter(notification__in=notifications, channel=Channel.EMAIL)
    return Delivery.objects.filter(
        notification_id__in=[_id(n) for n in notifications], channel=Channel.EMAIL
    )


def email_ids(notifications: Iterable[Notification | int]) -> list[int]:
    """The ids of their e-mail deliveries, in the notifications' order."""
    notifications = list(notifications)
    by_notification = dict(emails(notifications).values_list("notification_id", "id"))
    return [by_notification[_id(n)] for n in notifications]


def send(*notifications: Notification | int) -> int:
    """What a worker does with a published batch of these notifications' e-mails (the task's
    body): how many went out."""
    return outbox.deliver(email_ids(notifications))
