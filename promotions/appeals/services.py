"""Appeals of rejected promotions: the candidate or the nominator appeals within
APPEAL_WINDOW_DAYS of the rejection, with a statement; the appeal panel (committee members and HR
who neither voted on it before nor decided it) approves it (promotions.services.promotion_approve)
or upholds the rejection."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import InvalidInput
from promotions import permissions
from promotions.appeals.models import STATEMENT_LIMIT, Appeal
from promotions.errors import ErrorCode, TransitionConflict
from promotions.models import OPEN_STATES, Promotion
from promotions.selectors import promotion_locked


def appeal_deadline(promotion) -> datetime | None:
    """Until when a rejected promotion may be appealed (None: not rejected)."""
    if promotion.decided_at is None:
        return None
    return promotion.decided_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)


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
        return _open_promotion()
    return None


def _open_promotion() -> TransitionConflict:
    return TransitionConflict(
        "The candidate has another open promotion: withdraw it before appealing this one.",
        code=ErrorCode.OPEN_PROMOTION,
    )


@transaction.atomic
def promotion_appeal(
    *, promotion: Promotion, actor, note: str = "", statement: str = ""
) -> Promotion:
    """Appeal the rejection: the promotion is open again (appealed) with the appellant's
    statement, for the appeal panel to decide. One appeal per promotion."""
    from promotions.services import _apply, _candidate_locked

    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.APPEAL, promotion)
    # The candidate's row is locked too: a nomination of them queues behind the appeal.
    promotion.candidate = _candidate_locked(promotion.candidate_id)
    blocker = appeal_blocker(promotion)
    if blocker:
        raise blocker
    statement = statement.strip()
    if not statement:
        raise InvalidInput(
            "Say why the decision should change: a statement is required.",
            code=ErrorCode.STATEMENT_REQUIRED,
        )
    if len(statement) > STATEMENT_LIMIT:
        raise InvalidInput(
            f"A statement is at most {STATEMENT_LIMIT:,} characters; this one has "
            f"{len(statement):,}.",
            code=ErrorCode.STATEMENT_TOO_LONG,
        )
    try:
        with transaction.atomic():
            Appeal.objects.create(promotion=promotion, appellant=actor, statement=statement)
            # The statement is the appeal event's note: the committee reads it in the timeline.
            _apply(promotion, promotion.appeal, actor=actor, note=statement)
    except IntegrityError:  # the open-promotion constraint, should the check above be passed by
        raise _open_promotion() from None
    return promotion


@transaction.atomic
def promotion_uphold(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    """The appeal panel keeps the rejection (note required): closed as upheld."""
    from promotions.selectors import promotion_votes
    from promotions.services import _apply

    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.UPHOLD, promotion)
    votes = promotion_votes(promotion=promotion)
    return _apply(promotion, promotion.uphold, actor=actor, note=note, votes=votes)
