"""Thin tasks: load by id, call a service. Retries are the service's (docs/webhooks.md)."""

from celery import shared_task

from webhooks import services


@shared_task(acks_late=True)
def webhook_deliver(delivery_id: int) -> bool:
    return services.delivery_send(delivery_id=delivery_id)


@shared_task(acks_late=True)
def webhooks_sweep() -> int:
    """Periodic (beat): send what a dead broker or worker left behind."""
    ids = services.deliveries_due()
    services.deliveries_publish(delivery_ids=ids)
    return len(ids)
