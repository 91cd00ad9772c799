from celery import shared_task

from accounts import services


@shared_task(acks_late=True)
def api_tokens_purge_expired() -> int:
    """Periodic (beat, hourly): delete tokens unused for API_TOKEN_TTL_HOURS."""
    return services.tokens_purge_expired()
