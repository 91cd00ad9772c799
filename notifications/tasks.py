"""Thin tasks: call the outbox; retries are scheduled by it, in the database (core.outbox)."""

from celery import shared_task

from notifications import services
from notifications.outbox import outbox


@shared_task(acks_late=True)
def notifications_deliver(delivery_ids: list[int]) -> int:
    """A batch of deliveries (published after the change's commit, or for a retry)."""
    return outbox.deliver(delivery_ids)


@shared_task(acks_late=True)
def notifications_sweep() -> int:
    """Periodic (beat): send what was never delivered, and record the run (/readyz)."""
    services.sweeper_run_record()
    return outbox.sweep()
