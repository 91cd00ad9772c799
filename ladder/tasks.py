from celery import shared_task

from ladder.password_resets import password_reset_request


@shared_task(acks_late=True)
def password_reset_requested(email: str, route: str) -> int:
    """The reset page's request, done by a worker (ladder.password_resets)."""
    return password_reset_request(email=email, route=route)
