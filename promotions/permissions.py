"""Who may see and do what on a promotion. Views, the admin and services all ask here.

The checks go 404 (may not see it), 403 (may not do it), 409 (not from this state)."""

from ladder import roles
from ladder.selectors import member_of
from promotions.errors import ActionNotAllowed, PromotionNotFound, TransitionConflict
from promotions.models import OPEN_STATES, Promotion, PromotionState

# The action names are those of the API's URLs.
START_REVIEW = "start-review"
APPROVE = "approve"
REJECT = "reject"
WITHDRAW = "withdraw"
REVIEW = "review"
TRANSITIONS = (START_REVIEW, APPROVE, REJECT, WITHDRAW)

SOURCE_STATES = {
    START_REVIEW: {PromotionState.NOMINATED},
    REVIEW: {PromotionState.IN_REVIEW},
    APPROVE: {PromotionState.IN_REVIEW},
    REJECT: {PromotionState.IN_REVIEW},
    WITHDRAW: {PromotionState.NOMINATED, PromotionState.IN_REVIEW},
}


def is_candidate(user, promotion: Promotion) -> bool:
    return user.is_authenticated and promotion.candidate.user_id == user.pk


def is_nominator(user, promotion: Promotion) -> bool:
    return user.is_authenticated and promotion.nominated_by_id == user.pk


def is_candidates_manager(user, promotion: Promotion) -> bool:
    me = member_of(user)
    return me is not None and promotion.candidate.manager_id == me.pk


def is_involved(user, promotion: Promotion) -> bool:
    """Candidate, nominator or the candidate's manager: such a user is recused from the committee's
    work on this promotion and sees it as a candidate or manager would."""
    return (
        is_candidate(user, promotion)
        or is_nominator(user, promotion)
        or is_candidates_manager(user, promotion)
    )


def can_see(user, promotion: Promotion) -> bool:
    return roles.sees_everyone(user) or is_involved(user, promotion)


def sees_committee_work(user, promotion: Promotion) -> bool:
    """Reviews, reviewer names, actors and committee notes."""
    return roles.sees_everyone(user) and not is_involved(user, promotion)


def _may(user, action: str, promotion: Promotion) -> bool:
    if action == WITHDRAW:
        # The nominator may take back their own nomination; HR may withdraw any, but not as the
        # candidate.
        return is_nominator(user, promotion) or (
            roles.is_hr(user) and not is_candidate(user, promotion)
        )
    # start-review, review, approve, reject: the committee's work.
    return sees_committee_work(user, promotion)


def ensure_can(user, action: str, promotion: Promotion) -> None:
    if not can_see(user, promotion):
        raise PromotionNotFound()
    if not _may(user, action, promotion):
        raise ActionNotAllowed(f"You may not {action.replace('-', ' ')} this promotion.")
    if promotion.state not in SOURCE_STATES[action]:
        raise TransitionConflict(
            f"A promotion that is {promotion.get_state_display().lower()} cannot "
            f"{'be reviewed' if action == REVIEW else action.replace('-', ' ')}.",
        )


def allows(user, action: str, promotion: Promotion) -> bool:
    """The same checks as ensure_can, without building errors (asked for every row of a page)."""
    return (
        promotion.state in SOURCE_STATES[action]
        and can_see(user, promotion)
        and _may(user, action, promotion)
    )


def ensure_can_read_reviews(user, promotion: Promotion) -> None:
    if not can_see(user, promotion):
        raise PromotionNotFound()
    if not sees_committee_work(user, promotion):
        raise ActionNotAllowed("Reviews are for the committee.")


def ensure_can_nominate(user) -> None:
    """Only HR and managers nominate (whom, exactly, the nomination service decides)."""
    me = member_of(user)
    if not (roles.is_hr(user) or (me is not None and me.reports.exists())):
        raise ActionNotAllowed("Only managers and HR may nominate.")


def is_candidate_in_open_promotion(user) -> bool:
    return (
        user.is_authenticated
        and Promotion.objects.filter(candidate__user=user, state__in=OPEN_STATES).exists()
    )


def may_administer_accounts(user) -> bool:
    """Separation of duties: while HR's own promotion is open they may not change who is on the
    committee, create staff users or set another user's password (each would let them approve
    their own promotion through a second account). What stays trusted: docs/security.md."""
    return not is_candidate_in_open_promotion(user)


def ensure_may_administer_accounts(user) -> None:
    if not may_administer_accounts(user):
        raise ActionNotAllowed(
            "While your own promotion is open you may not change committee membership, create "
            "staff users or set passwords.",
            code="conflict_of_interest",
        )
