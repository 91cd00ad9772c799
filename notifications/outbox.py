"""The notifications' outbox: their deliveries, one per channel, sent by the core engine."""

from collections.abc import Generator
from datetime import datetime

from django.conf import settings

from core.outbox import Attempt, Outbox, failed
from notifications import messages
from notifications.channels import TRANSPORTS
from notifications.models import Delivery

# After this many failed attempts a delivery is left for a person (the admin's "send again").
MAX_ATTEMPTS = 10
BACKOFF_MAX_SECONDS = 600
NO_LONGER_A_READER = "Not sent: the recipient may no longer read this message."
NO_LONGER_VALID = "Not sent: what it carried no longer works (used or replaced since)."


class NotificationOutbox(Outbox):
    model = Delivery
    task = "notifications.tasks.notifications_deliver"

    def rows(self):
        return Delivery.objects.select_related("notification__recipient")

    def sweep_seconds(self) -> float:
        return settings.NOTIFICATIONS_SWEEP_SECONDS

    def hold_seconds(self) -> float:
        # Longer than a task may run: a live worker records what it sent before another may take it.
        return settings.CELERY_TASK_TIME_LIMIT + 60

    def batch_seconds(self) -> float:
        return max(settings.CELERY_TASK_SOFT_TIME_LIMIT - 30, 1)

    def backoff_seconds(self, attempts: int) -> float:
        base = settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS
        return min(base * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS)

    def gives_up(self, row, *, next_attempt_at: datetime) -> str | None:
        if row.attempts + 1 >= MAX_ATTEMPTS:
            return f"Given up after {MAX_ATTEMPTS} attempts: send it again from the admin."
        return None

    def send(self, rows: list[Delivery]) -> Generator[tuple[Delivery, Attempt], None, None]:
        """Asked first, for the whole batch: who may still read each message (they may have left
        the committee since it was written), and the texts of messages composed as they go out.
        Then each channel's transport sends its deliveries."""
        notifications = list({row.notification_id: row.notification for row in rows}.values())
        unreadable = messages.unreadable(notifications)
        composed = messages.composed([n for n in notifications if n.pk not in unreadable])
        by_channel: dict[str, list[Delivery]] = {}
        for row in rows:
            if row.notification_id in unreadable:
                yield row, failed(NO_LONGER_A_READER, final=True)
            elif composed.get(row.notification_id, ()) is None:
                yield row, failed(NO_LONGER_VALID, final=True)
            else:
                by_channel.setdefault(row.channel, []).append(row)
        for channel, deliveries in by_channel.items():
            texts = {
                row.pk: composed[row.notification_id]
                for row in deliveries
                if row.notification_id in composed
            }
            yield from TRANSPORTS[channel].send(deliveries, texts)


outbox = NotificationOutbox()
