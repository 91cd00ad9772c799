from celery import shared_task
from django.db import transaction

from promotions import notify, release, retention, services
from promotions.cycles import services as cycles
from promotions.requests import services as requests


@shared_task(acks_late=True)
def promotions_remind_overdue() -> int:
    """Periodic (beat, hourly): remind the committee of overdue reviews."""
    with transaction.atomic():
        return notify.notify_overdue()


@shared_task(acks_late=True)
def promotions_purge_idempotency_keys() -> int:
    """Periodic (beat, hourly): forget Idempotency-Keys older than a day."""
    return services.nomination_keys_purge()


@shared_task(acks_late=True)
def promotions_apply_effective() -> int:
    """Periodic (beat, hourly): approved promotions whose effective date has come change the
    member's level, once each, however many workers run it."""
    return services.promotions_apply_effective()


@shared_task(acks_late=True)
def promotions_release_due() -> int:
    """Periodic (beat, hourly): decisions held for their cycle's release date go out to the
    candidates once the date has come, once each, however many workers run it."""
    return release.promotions_release_due()


@shared_task(acks_late=True)
def promotions_retention() -> int:
    """Periodic (beat, daily): the free text of promotions closed more than RETENTION_YEARS ago
    and not on legal hold is removed, once each, however many workers run it."""
    return retention.promotions_retention_run()


@shared_task(acks_late=True)
def cycles_calibrate_due() -> int:
    """Periodic (beat, hourly): open cycles whose nominations closed move to calibration."""
    return cycles.cycles_calibrate_due()


@shared_task(acks_late=True)
def nomination_requests_remind() -> int:
    """Periodic (beat, hourly): remind managers of nomination requests waiting longer than
    NOMINATION_REQUEST_SLA_DAYS, at most once a day per request."""
    return requests.nomination_requests_remind()
