from celery import shared_task
from django.db import transaction

from promotions import notify, services


@shared_task(acks_late=True)
def promotions_remind_overdue() -> int:
    """Periodic (beat, hourly): remind the committee of overdue reviews."""
    with transaction.atomic():
        return notify.notify_overdue()


@shared_task(acks_late=True)
def promotions_purge_idempotency_keys() -> int:
    """Periodic (beat, hourly): forget Idempotency-Keys older than a day."""
    return services.nomination_keys_purge()
