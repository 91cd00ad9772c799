from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from notifications.channels import slack
from notifications.errors import NotificationNotFound
from notifications.models import Channel, ChannelOptOut, Notification, SweeperRun


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


# Beat has the sweeper run every NOTIFICATIONS_SWEEP_SECONDS; a worker with a backlog may run it
# late, so only this many periods without a run say that beat (or every worker) has stopped.
SWEEPER_LATE_AFTER_PERIODS = 5


def notifications_sweeper_late(*, last_sweep: datetime | None) -> bool:
    """Whether the sweeper has missed SWEEPER_LATE_AFTER_PERIODS runs (or never ran)."""
    periods = settings.NOTIFICATIONS_SWEEP_SECONDS * SWEEPER_LATE_AFTER_PERIODS
    return last_sweep is None or timezone.now() - last_sweep > timedelta(seconds=periods)


def slack_for(*, user) -> bool | None:
    """Whether Slack messages reach the user: None when the site has no Slack (SLACK_BOT_TOKEN
    unset), else whether they have left it on."""
    if not slack.configured():
        return None
    return not ChannelOptOut.objects.filter(user_id=user.pk, channel=Channel.SLACK).exists()
