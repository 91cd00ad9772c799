"""Who may see and do what on a promotion. Views, the admin and services all ask here.

The checks go 404 (may not see it), 403 (may not do it), 409 (not from this state)."""

import copy
import functools
from collections.abc import Callable

from django.db.models import Q
from django_fsm import can_proceed

from core import roles
from ladder.errors import ErrorCode as LadderErrorCode
from ladder.selectors import member_of
from promotions import workflow
from promotions.appeals.rules import took_part
from promotions.errors import (
    ActionNotAllowed,
    ErrorCode,
    PromotionNotFound,
    TransitionConflict,
)
from promotions.models import OPEN_STATES, Promotion, PromotionState

# The action names are those of the API's URLs; each transition is the model's method of that
# name (django-fsm-2), which alone knows the states it starts from. Declared in the one table of
# transitions (promotions/workflow.py).
START_REVIEW = "start-review"
APPROVE = "approve"
REJECT = "reject"
WITHDRAW = "withdraw"
REQUEST_CHANGES = "request-changes"
RESUBMIT = "resubmit"
HOLD = "hold"
RESUME = "resume"
APPEAL = "appeal"
UPHOLD = "uphold"
RELEASE = "release"
TRANSITIONS = tuple(workflow.TRANSITIONS)
# Not transitions: a vote, and a new packet version.
REVIEW = "review"
SUBMIT_PACKET = "submit-packet"


# What each action does to a promotion, as "a promotion that is approved cannot …" ends.
CANNOT = {
    **{t.action: t.cannot for t in workflow.TRANSITIONS.values()},
    REVIEW: "be reviewed",
    SUBMIT_PACKET: "take a new version of its packet",
}


def state_allows(action: str, promotion: Promotion) -> bool:
    """Whether the promotion's state lets `action` start, asked of the state machine itself."""
    if action == REVIEW:
        return promotion.accepts_votes
    if action == SUBMIT_PACKET:
        return promotion.accepts_packets
    if action == RELEASE:  # only a decision held for the cycle's release date
        return promotion.release_held and _machine_allows(action, promotion.state)
    if getattr(promotion, "release_held", False):
        return False  # a held decision is released before anything else happens to it
    return _machine_allows(action, promotion.state)


@functools.cache
def _machine_allows(action: str, state: str) -> bool:
    # The machine's answer depends on the state alone (its conditions are not asked): asked once
    # per state, so a list row need not be a model.
    return can_proceed(
        getattr(Promotion(state=state), action.replace("-", "_")), check_conditions=False
    )


# --- Who is involved in a promotion (recused from the committee's work on it) ----------------
# One rule, in the three forms its callers need, side by side: for one user and one promotion,
# as a database filter over promotions, and as the set of user ids for one promotion.


def is_involved_in(
    *,
    user_id: int,
    member_id: int | None,
    candidate_user_id: int,
    nominated_by_id: int,
    candidate_manager_id: int | None,
) -> bool:
    """The rule: the candidate, the nominator, or the candidate's manager."""
    return user_id in (candidate_user_id, nominated_by_id) or (
        member_id is not None and candidate_manager_id == member_id
    )


def is_involved_ids(*, user_id: int, member_id: int | None, promotion: Promotion) -> bool:
    candidate = promotion.candidate
    return is_involved_in(
        user_id=user_id,
        member_id=member_id,
        candidate_user_id=candidate.user_id,
        nominated_by_id=promotion.nominated_by_id,
        candidate_manager_id=candidate.manager_id,
    )


def is_involved(user, promotion: Promotion) -> bool:
    if not user.is_authenticated:
        return False
    me = member_of(user)
    return is_involved_ids(user_id=user.pk, member_id=me.pk if me else None, promotion=promotion)


def involving(user) -> Q:
    """Promotions in which `user` is involved, as a filter."""
    involved = Q(candidate__user=user) | Q(nominated_by=user)
    me = member_of(user)
    if me is not None:
        involved |= Q(candidate__manager=me)
    return involved


def involved_user_ids(promotion: Promotion) -> set[int]:
    """The users involved in one promotion (its candidate's manager loaded)."""
    candidate = promotion.candidate
    ids = {candidate.user_id, promotion.nominated_by_id}
    if candidate.manager is not None:
        ids.add(candidate.manager.user_id)
    return ids


def is_candidate(user, promotion: Promotion) -> bool:
    return user.is_authenticated and promotion.candidate.user_id == user.pk


def reads_changes_requested_note(user, promotion: Promotion) -> bool:
    """The committee's request for changes is addressed to the nominator: they read it with the
    promotion (the committee reads it in the timeline; the candidate and their manager see the
    state, not the note)."""
    return is_nominator(user, promotion)


def is_nominator(user, promotion: Promotion) -> bool:
    return user.is_authenticated and promotion.nominated_by_id == user.pk


def can_see(user, promotion: Promotion) -> bool:
    return roles.sees_promotions(user) or is_involved(user, promotion)


def sees_committee_work(user, promotion: Promotion) -> bool:
    """Reviews, reviewer names, actors and committee notes."""
    return roles.sees_promotions(user) and not is_involved(user, promotion)


# The nominator's work: the table's transitions of theirs, and a new packet version. Everything
# else (the table's other transitions, and a review) is the committee's work.
NOMINATORS_WORK = (*workflow.actions_of(workflow.Work.NOMINATOR), SUBMIT_PACKET)


# Who tells the candidate of a held decision, then releases it (promotions/release.py).
RELEASERS_WORK = workflow.actions_of(workflow.Work.RELEASER)


def is_candidates_manager(user, promotion: Promotion) -> bool:
    me = member_of(user) if user.is_authenticated else None
    return me is not None and promotion.candidate.manager_id == me.pk


def _may(user, action: str, promotion: Promotion, does: Callable[..., bool] | None = None) -> bool:
    """`does(work, recusal)`: _does for this user and promotion (allowed_transitions passes one
    that remembers its answers)."""
    if does is None:
        does = functools.partial(_does, user, promotion)
    if action in RELEASERS_WORK:
        return is_nominator(user, promotion) or is_candidates_manager(user, promotion)
    if action in NOMINATORS_WORK:
        # A superuser's case only as a superuser.
        return _on_nominators_side(user, promotion) and not _protected_from(user, promotion)
    row = workflow.TRANSITIONS.get(APPROVE if action == REVIEW else action)
    if row is not None and promotion.state not in row.sources:
        # Not from this state (409 follows): whoever does it from some state may ask.
        return any(does(work, False) for work in row.works)
    return does(work_of(action, promotion.state), True)


def _does(user, promotion: Promotion, work: workflow.Work, recusal: bool = True) -> bool:
    """Whether `user` does `work` on the promotion; `recusal`: also asking whether they took part
    before (an Executive's and an appeal panel's work), which only their state asks."""
    if work == workflow.Work.APPELLANT:
        return is_candidate(user, promotion) or is_nominator(user, promotion)
    # start-review, review, approve, reject, request-changes: the committee's work (an
    # Executive's, an appeal panel's), not for whoever wrote a version of the case it judges
    # (HR who rewrote the packet, say).
    if not sees_committee_work(user, promotion) or is_packet_author(user, promotion):
        return False
    if work == workflow.Work.EXECUTIVE:
        return roles.is_executive(user) and not (recusal and _took_part(user, promotion, work))
    if not roles.sees_everyone(user):  # an Executive does not do the committee's work
        return False
    if work == workflow.Work.APPEAL_PANEL and recusal:
        return not _took_part(user, promotion, work)
    return True


def work_of(action: str, state: str) -> workflow.Work:
    """Whose work `action` is from `state`, as the table declares it; a vote is the work of whoever
    approves from there (the committee, or an appeal's panel)."""
    if action == SUBMIT_PACKET:
        return workflow.Work.NOMINATOR
    row = workflow.TRANSITIONS.get(APPROVE if action == REVIEW else action)
    return row.work_from(state) if row is not None else workflow.Work.COMMITTEE


def _took_part(user, promotion: Promotion, work: workflow.Work) -> bool:
    """An Executive or an appeal's panel is nobody who voted on the case (before its appeal) or
    decided it."""
    return took_part(
        user_id=user.pk,
        promotion_id=promotion.pk,
        before_appeal=work == workflow.Work.APPEAL_PANEL,
    )


def is_packet_author(user, promotion: Promotion) -> bool:
    return user.pk in promotion.packet_authors


def _on_nominators_side(user, promotion: Promotion) -> bool:
    """The nominator's case: theirs to take back, rewrite and send again; HR's too, but not as
    the candidate."""
    return is_nominator(user, promotion) or (
        roles.is_hr(user) and not is_candidate(user, promotion)
    )


def _protected_from(user, promotion: Promotion) -> bool:
    return _superuser_protected(user, promotion.candidate)


def _superuser_protected(user, candidate) -> bool:
    """A superuser's case is opened, rewritten, sent again and withdrawn by superusers only (the
    committee reviews and decides it as any other): the one rule for the nominator's work."""
    return not user.is_superuser and candidate.user.is_superuser


def known_to(user, promotion):
    """The promotion as far as `user` knows its state: the candidate of a decision held for its
    cycle's release date knows it as in review (promotions/release.py), so what they are offered
    and refused, and the words of a refusal, are those of a case in review."""
    if not (getattr(promotion, "release_held", False) and is_candidate(user, promotion)):
        return promotion
    seen = copy.copy(promotion)
    if isinstance(seen, Promotion):
        vars(seen)["state"] = PromotionState.IN_REVIEW  # a protected field; never saved
    else:
        seen.state = PromotionState.IN_REVIEW
    return seen


def ensure_can(user, action: str, promotion: Promotion) -> None:
    promotion = known_to(user, promotion)
    if not can_see(user, promotion):
        raise PromotionNotFound()
    if not _may(user, action, promotion):
        # Said only to whoever would otherwise do it (HR): to anyone else it would tell that the
        # candidate is a superuser, of a case they may read blind.
        if (
            action in NOMINATORS_WORK
            and _protected_from(user, promotion)
            and _on_nominators_side(user, promotion)
        ):
            raise ActionNotAllowed(
                "Only a superuser may rewrite, resubmit or withdraw a superuser's promotion.",
                code=LadderErrorCode.SUPERUSER_PROTECTED,
            )
        work = work_of(action, promotion.state)
        if (
            work in (workflow.Work.EXECUTIVE, workflow.Work.APPEAL_PANEL)
            and _does(user, promotion, work, recusal=False)
            and _took_part(user, promotion, work)
        ):
            raise ActionNotAllowed(
                "You voted on or decided this promotion before: its "
                + ("executive step" if work == workflow.Work.EXECUTIVE else "appeal")
                + " is for others.",
                code=ErrorCode.TOOK_PART_BEFORE,
            )
        if work == workflow.Work.APPELLANT:
            raise ActionNotAllowed("Only the candidate or the nominator may appeal.")
        if action not in NOMINATORS_WORK and is_packet_author(user, promotion):
            raise ActionNotAllowed(
                "You wrote a version of this packet: the committee's work on it is for others.",
                code=ErrorCode.PACKET_AUTHOR_RECUSED,
            )
        raise ActionNotAllowed(f"You may not {action.replace('-', ' ')} this promotion.")
    if not state_allows(action, promotion):
        if promotion.release_held and action != RELEASE and not is_candidate(user, promotion):
            raise TransitionConflict(
                "This decision is held until the candidate is told: release it to them first."
            )
        if action == RELEASE and _machine_allows(action, promotion.state):
            raise TransitionConflict(
                "This decision is not held: the candidate can read it already.",
                code=ErrorCode.ALREADY_RELEASED,
            )
        raise TransitionConflict(
            f"A promotion that is {promotion.get_state_display().lower()} cannot "
            f"{CANNOT.get(action, action.replace('-', ' '))}.",
        )


def allows(user, action: str, promotion: Promotion) -> bool:
    """The same checks as ensure_can, without building errors (a page's rows ask
    allowed_transitions, which asks visibility once for all the transitions)."""
    promotion = known_to(user, promotion)
    return (
        state_allows(action, promotion)
        and can_see(user, promotion)
        and _may(user, action, promotion)
    )


def allowed_transitions(user, promotion: Promotion) -> list[str]:
    """The transitions `allows` grants, with the visibility asked once (a list asks every row)."""
    if not can_see(user, promotion):
        return []
    promotion = known_to(user, promotion)
    # Several transitions are the same work from a state (the committee's approve, reject,
    # request changes and hold from in_review): each asked once a row.
    does = functools.cache(functools.partial(_does, user, promotion))
    return [a for a in TRANSITIONS if state_allows(a, promotion) and _may(user, a, promotion, does)]


def ensure_can_read_reviews(user, promotion: Promotion) -> None:
    if not can_see(user, promotion):
        raise PromotionNotFound()
    if not sees_committee_work(user, promotion):
        raise ActionNotAllowed("Reviews are for the committee.")


def may_nominate(user, candidate) -> bool:
    """Who nominates a member: their direct manager, or HR; never the member themself."""
    if candidate.user_id == user.pk:
        return False
    manages = candidate.manager is not None and candidate.manager.user_id == user.pk
    return manages or roles.is_hr(user)


def ensure_may_nominate_candidate(actor, candidate) -> None:
    """A superuser's case is opened by superusers only (_superuser_protected)."""
    if _superuser_protected(actor, candidate):
        raise ActionNotAllowed(
            "Only a superuser may open a superuser's promotion.",
            code=LadderErrorCode.SUPERUSER_PROTECTED,
        )


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


def open_promotion_conflict(user) -> str | None:
    """Separation of duties, registered with core.roles (promotions/apps.py): while HR's own
    promotion is open they may not change who is on the committee or who holds someone else's
    seat (delegations), create staff users, set another user's password, or change who is
    active or who manages whom (each would let them sway or approve their own promotion through
    another account). What stays trusted: docs/security.md."""
    if is_candidate_in_open_promotion(user):
        return (
            "While your own promotion is open you may not change committee membership or "
            "delegations of others' seats, passwords, who is active or who manages whom."
        )
    return None


def ensure_sees_cycle_work(user) -> None:
    """A cycle's calibration board and statistics: the committee and HR (403 for others)."""
    if not roles.sees_everyone(user):
        raise ActionNotAllowed("Calibration and statistics are for the committee and HR.")
