from datetime import datetime

from django.db.models import QuerySet

from notifications.errors import NotificationNotFound
from notifications.models import Notification, SweeperRun


def notification_inbox(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    inbox = Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")
    return inbox.filter(read_at__isnull=True) if unread_only else inbox


def notification_get_for(*, user, notification_id) -> Notification:
    """One of the user's own notifications; anyone else's is a 404, like one that does not exist."""
    try:
        return notification_inbox(user=user).get(pk=notification_id)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise NotificationNotFound() from None


def notifications_last_sweep() -> datetime | None:
    """When the sweeper last ran (None: never)."""
    return SweeperRun.objects.filter(pk=SweeperRun.ONLY).values_list("ran_at", flat=True).first()
