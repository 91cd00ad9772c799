"""Who may not sit on an executive step or an appeal: those who took part before. Asked by
promotions.permissions for the work `executive` and `appeal_panel` (promotions/workflow.py)."""

from django.db.models import Q, Subquery

from promotions.appeals.models import Appeal
from promotions.workflow import PromotionState

# The events of a decision someone made on the case before it reached an Executive or an appeal:
# the committee's approval sending it to an Executive, and a rejection.
DECIDING = (PromotionState.AWAITING_EXECUTIVE, PromotionState.REJECTED)


def took_part(*, user_id: int, promotion_id: int, before_appeal: bool) -> bool:
    """Whether the user voted on the promotion (before its appeal, with `before_appeal`) or
    decided it (approved it for an Executive, or rejected it). A vote cast for another's seat by
    delegation (promotions.delegations) counts for both: the seat's and the one who cast it."""
    from promotions.models import PromotionEvent, Review

    votes = Review.objects.filter(promotion_id=promotion_id).filter(
        Q(reviewer_id=user_id) | Q(cast_by_id=user_id)
    )
    if before_appeal:
        appealed_at = Appeal.objects.filter(promotion_id=promotion_id).values("created_at")
        votes = votes.filter(created_at__lt=Subquery(appealed_at))
    decisions = PromotionEvent.objects.filter(
        promotion_id=promotion_id, actor_id=user_id, to_state__in=DECIDING
    )
    return votes.exists() or decisions.exists()
