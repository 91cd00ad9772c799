"""The rules of appeals of rejected promotions: the candidate or the nominator appeals within
APPEAL_WINDOW_DAYS of the rejection, never beside a newer open promotion. The transitions
themselves (promotions.services.promotion_appeal, promotion_uphold) go through the one table."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from promotions.errors import ErrorCode, TransitionConflict
from promotions.models import OPEN_STATES, Promotion


def appeal_deadline(promotion) -> datetime | None:
    """Until when a rejected promotion may be appealed (None: not rejected): APPEAL_WINDOW_DAYS
    from the day the candidate could know of it. That is `decided_at`, or `released_at` when the
    decision was held and then released (promotions.release): a hold never uses up the window.
    The API's refusal and the member site's deadline both read it here."""
    if promotion.decided_at is None:
        return None
    known_at = promotion.decided_at
    released_at = getattr(promotion, "released_at", None)
    if released_at is not None and released_at > known_at:
        known_at = released_at
    return known_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)


def appeal_blocker(promotion, *, now: datetime | None = None) -> TransitionConflict | None:
    """Why a rejected promotion cannot be appealed now, or None: the window has passed, or the
    candidate has an open promotion (the one-open-promotion rule: a newer nomination is under
    way, and the appeal would reopen this one beside it)."""
    deadline = appeal_deadline(promotion)
    if deadline is not None and (now or timezone.now()) > deadline:
        return TransitionConflict(
            f"The appeal window closed on {timezone.localtime(deadline):%d %B %Y}: a rejection "
            f"may be appealed within {settings.APPEAL_WINDOW_DAYS} days.",
            code=ErrorCode.APPEAL_WINDOW_CLOSED,
        )
    newer = Promotion.objects.filter(
        candidate_id=promotion.candidate_id, state__in=OPEN_STATES
    ).exclude(pk=promotion.pk)
    if newer.exists():
        return open_promotion_refusal()
    return None


def open_promotion_refusal() -> TransitionConflict:
    return TransitionConflict(
        "The candidate has another open promotion: withdraw it before appealing this one.",
        code=ErrorCode.OPEN_PROMOTION,
    )
