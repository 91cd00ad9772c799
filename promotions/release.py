"""A cycle's release date (docs/workflow.md, "Release date"): until a cycle's `release_on`, a
decision on one of its promotions is held from the candidate. The candidate reads the promotion as
it was before the decision (in the state it was decided from: `in_review`, or `awaiting_executive`
for an Executive's decision; no decision, `decided_at` or `effective_on`), its timeline up to the
decision, and hears of it when it is released: by the nominator or the candidate's manager
once they have told them (`POST promotions/{id}/release/`), or by the periodic task on the date. The
nominator, the manager, the committee and HR see the decision at once, with `released: false`;
webhooks carry it at once (HR's systems are not held).

What is held: a committee's (or an Executive's) decision into one of workflow.RELEASABLE, made
before the cycle's release date, on a promotion never released before. A withdrawal is not a
committee decision and is never held. One rule for every reader: `is_held_from(user, promotion)`,
and `as_seen_by` gives the promotion as that reader may see it."""

import copy
from datetime import date

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from core.prepared import Prepared
from ladder.selectors import member_of
from promotions import notify, permissions, webhook_events, workflow
from promotions.errors import ErrorCode, TransitionConflict
from promotions.models import RELEASED, Promotion, PromotionEvent, PromotionState
from promotions.selectors import promotion_locked

ROW = workflow.TRANSITIONS["release"]


# --- What is held, and from whom ----------------------------------------------------------------


def hold_if_due(promotion: Promotion, *, decides: bool, today: date | None = None) -> None:
    """At a decision (the caller's transaction, before the row is saved): hold it for the cycle's
    release date if that has not come and the case was never released."""
    cycle = promotion.cycle
    if not decides or promotion.state not in workflow.RELEASABLE or promotion.released_at:
        return
    if cycle is None or cycle.release_on is None:
        return
    promotion.release_held = cycle.release_on > (today or timezone.localdate())


def is_held_from(user, promotion) -> bool:
    """Whether `user` must not see the promotion's decision yet: its candidate, while held."""
    held = bool(getattr(promotion, "release_held", False))
    return held and user is not None and permissions.is_candidate(user, promotion)


def held_from(user) -> Q:
    """The promotions whose decision `user` may not see yet, as a filter: by the candidate's id,
    with no join to the members (every list of promotions asks), and none for someone who is not
    on the ladder."""
    member = member_of(user)
    if member is None:
        return Q(pk__in=[])
    return _held_from_member(member.pk)


def _held_from_member(member_id: int) -> Q:
    return Q(release_held=True, candidate_id=member_id)


# Whether a member has a held decision of their own: the list's state filter asks every time.
_ANY_HELD = Prepared(
    lambda member_id: Promotion.objects.filter(_held_from_member(member_id)).values_list("pk")[:1]
)


def _decided_from():
    """The state the held decision was made from (the first event into a decided state), as a
    subquery of a promotion."""
    return Subquery(
        PromotionEvent.objects.filter(promotion_id=OuterRef("pk"), to_state__in=workflow.RELEASABLE)
        .order_by("at", "id")
        .values("from_state")[:1]
    )


def _decision_index(to_states: list[str]) -> int:
    """The index of the held decision among a promotion's events (oldest first): the first into a
    decided state (a held case was never released, and nothing happens to it until it is)."""
    return next(i for i, to_state in enumerate(to_states) if to_state in workflow.RELEASABLE)


def as_seen_by(user, promotion):
    """The promotion (a model or a list row) as `user` may see it: for its candidate while its
    decision is held, a copy as it was before the decision: in the state it was decided from (an
    Executive's decision leaves it awaiting an Executive, so the case never seems to step back),
    with no decision, `decided_at`, `effective_on` or level applied, updated when the event before
    the decision was; otherwise the promotion itself."""
    if not is_held_from(user, promotion):
        return promotion
    events = list(
        PromotionEvent.objects.filter(promotion_id=promotion.pk)
        .order_by("at", "id")
        .values_list("from_state", "to_state", "at")
    )
    cut = _decision_index([to_state for _, to_state, _ in events])
    decided_from = events[cut][0] or PromotionState.IN_REVIEW
    seen = copy.copy(promotion)
    if isinstance(seen, Promotion):
        # The state field is protected (only transitions set it); this copy is never saved.
        vars(seen)["state"] = decided_from
    else:
        seen.state = decided_from
    seen.decided_at = None
    seen.effective_on = None
    seen.level_applied = False
    seen.updated_at = events[cut - 1][2] if cut else promotion.created_at
    return seen


def timeline_as_seen_by(user, promotion, events: list) -> list:
    """The timeline `user` may read: for the candidate while held, the events before the
    decision."""
    if not is_held_from(user, promotion):
        return events
    return events[: _decision_index([event.to_state for event in events])]


def released(promotion) -> bool | None:
    """The promotion detail's `released`: null while open (nothing decided), false while the
    decision is held from the candidate, true once they may read it."""
    if promotion.state in workflow.OPEN_STATES:
        return None
    return not promotion.release_held


def filter_state(promotions: QuerySet[Promotion], *, state: str, user) -> QuerySet[Promotion]:
    """The list's `state` filter as `user` sees the states: their own held decision in the state
    it was decided from (as `as_seen_by`)."""
    # Most viewers have no held decision of their own: a plain look at their own promotions says
    # so, and then the filter is the state alone (the count and the page are read from the
    # state's index only; excluding nothing made PostgreSQL read every row in the state). The
    # viewer sees every promotion of theirs, so the look need not repeat the list's scope.
    member = member_of(user)
    if member is None or not _ANY_HELD.rows(member.pk):
        return promotions.filter(state=state)
    held = held_from(user)
    mine_held = promotions.filter(held)
    in_state = promotions.filter(state=state).exclude(held)
    if state not in workflow.OPEN_STATES:
        return in_state
    # The viewer's own held decisions made from `state`, a few rows at most, looked up first: as
    # a subquery OR-ed into the filter, PostgreSQL read every promotion for every list (the
    # committee's page of those in review took 4.7 times its floor in `make bench`).
    decided_from_state = list(
        mine_held.annotate(before=_decided_from()).filter(before=state).values_list("pk", flat=True)
    )
    if not decided_from_state:
        return in_state
    return promotions.filter((Q(state=state) & ~held) | Q(pk__in=decided_from_state))


# --- Releasing ------------------------------------------------------------------------------------


@transaction.atomic
def promotion_release(*, promotion: Promotion, actor, note: str = "") -> Promotion:
    """The nominator or the candidate's manager, having told the candidate, releases a held
    decision: a `released` event, and the candidate's message about the decision."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.RELEASE, promotion)
    return release_locked(promotion, actor=actor, note=note)


def release_refusal(promotion) -> TransitionConflict | None:
    """Why a decision in a releasable state cannot be released: it is not held (any more)."""
    if promotion.release_held:
        return None
    return TransitionConflict(
        "This decision is not held: the candidate can read it already.",
        code=ErrorCode.ALREADY_RELEASED,
    )


def release_locked(promotion: Promotion, *, actor, note: str = "") -> Promotion:
    """Release a held decision on a promotion locked by the caller (actor None: the date came)."""
    refusal = release_refusal(promotion)
    if refusal:
        raise refusal
    promotion.release()
    promotion.save(update_fields=["release_held", "released_at", "updated_at"])
    PromotionEvent.objects.create(
        promotion=promotion,
        from_state=promotion.state,
        to_state=RELEASED,
        actor=actor,
        note=note.strip(),
    )
    notify.notify_released(promotion=promotion, transition=ROW)
    webhook_events.emit_transition(promotion=promotion, transition=ROW)
    return promotion


def promotions_release_due(*, today: date | None = None, batch: int = 100) -> int:
    """Release every held decision whose cycle's release date has come (also those a stopped
    scheduler left behind). Each batch in its own transaction, the rows locked with SKIP LOCKED:
    workers running at once share the work, and each decision is released once."""
    today = today or timezone.localdate()
    released_count = 0
    while True:
        with transaction.atomic():
            due = list(
                Promotion.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(release_held=True, cycle__release_on__lte=today)
                .select_related(
                    "candidate__user",
                    "candidate__manager__user",
                    "from_level",
                    "to_level",
                    "nominated_by",
                    "cycle",
                )
                .order_by("id")[:batch]
            )
            for promotion in due:
                release_locked(promotion, actor=None)
        released_count += len(due)
        if len(due) < batch:
            return released_count
