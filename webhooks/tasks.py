"""Thin tasks: load by id, call a service. Retries are the service's (docs/webhooks.md).

`webhooks_deliver` and `webhooks_release` run on the `webhooks` queue (CELERY_TASK_ROUTES), which
its own worker consumes: a receiver that hangs never holds the worker that sends e-mail."""

from celery import shared_task

from webhooks import services


@shared_task(acks_late=True)
def webhooks_deliver(delivery_ids: list[int]) -> int:
    """A batch of deliveries (core.outbox): claimed at once, sent one after the other."""
    return services.outbox.deliver(delivery_ids)


@shared_task(acks_late=True)
def webhooks_release(endpoint_id: int) -> int:
    """An endpoint enabled again: its held deliveries, oldest first, one after the other."""
    return services.endpoint_release_held(endpoint_id=endpoint_id)


@shared_task(acks_late=True)
def webhooks_sweep() -> int:
    """Periodic (beat): send what a dead broker or worker left behind, expire what was held too
    long, and restart a release whose message or worker was lost."""
    ids = services.deliveries_due()
    services.outbox.publish(ids)
    for endpoint_id in services.endpoints_to_release():
        services.release_publish(endpoint_id=endpoint_id)
    return len(ids)
