"""Thin tasks: load by id, call a service, let Celery retry."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from notifications import services


@shared_task(acks_late=True)
def notifications_dispatch(notification_ids: list[int]) -> None:
    """Fan out: one delivery task per notification, from the worker rather than the request."""
    services.notifications_mark_enqueued(notification_ids=notification_ids)
    for notification_id in notification_ids:
        notification_deliver.delay(notification_id)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=8,
)
def notification_deliver(self, notification_id: int) -> bool:
    return services.notification_send(notification_id=notification_id)


@shared_task(acks_late=True)
def notifications_sweep() -> int:
    """Periodic (beat): re-send what was never delivered."""
    ids = services.notifications_claim_undelivered()
    for notification_id in ids:
        notification_deliver.delay(notification_id)
    return len(ids)
