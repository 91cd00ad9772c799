"""Thin tasks: load by id, call a service, let Celery retry."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from notifications import services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=8,
)
def notifications_deliver(self, notification_ids: list[int]) -> int:
    """A batch (notifications_publish): one SMTP connection, rows held while they are sent."""
    return services.notifications_send(notification_ids=notification_ids)


@shared_task(acks_late=True)
def notifications_dispatch(notification_ids: list[int]) -> None:
    """Messages published before delivery went by batches: deliver them the new way."""
    services.notifications_publish(notification_ids=notification_ids)


@shared_task(acks_late=True)
def notifications_sweep() -> int:
    """Periodic (beat): re-send what was never delivered, and record the run (/readyz)."""
    services.sweeper_run_record()
    ids = services.notifications_claim_undelivered()
    services.notifications_publish(notification_ids=ids)
    return len(ids)
