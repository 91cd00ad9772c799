"""Reads, scoped to the requesting user."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, JSONObject
from django.db.models.query import ModelIterable
from django.utils import timezone

from ladder import roles
from ladder.errors import NotFound
from ladder.models import Member
from ladder.selectors import (
    LADDER_VERSION_SQL,
    active_moves,
    levels_by_id,
    member_get_visible_to,
    member_of,
    move_is_allowed,
)
from promotions import permissions
from promotions.errors import (
    CandidateNotFound,
    CycleNotFound,
    ErrorCode,
    PromotionNotFound,
    TransitionConflict,
)
from promotions.models import (
    OPEN_STATES,
    PENDING,
    Cycle,
    CycleState,
    Decision,
    Promotion,
    PromotionEvent,
    Review,
)

User = get_user_model()


def _vote_count(decision: str):
    votes = (
        Review.objects.filter(
            promotion=OuterRef("pk"),
            packet_version=OuterRef("packet_version"),  # votes on the current version
            decision=decision,
        )
        .order_by()
        .values("promotion")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(votes), 0)


def with_vote_counts(promotions: QuerySet[Promotion]) -> QuerySet[Promotion]:
    return promotions.annotate(
        approvals=_vote_count(Decision.APPROVE), rejections=_vote_count(Decision.REJECT)
    )


LIST_COLUMNS = [
    "state",
    "justification",
    "created_at",
    "updated_at",
    "decided_at",
    "packet_version",
    "changes_requested_note",
    "changes_requested_version",
    "candidate__user_id",
    "candidate__manager_id",
    "candidate__level_id",
    "candidate__is_active",
    "candidate__user__username",
    "candidate__user__first_name",
    "candidate__user__last_name",
    "from_level",
    "to_level",
    "nominated_by__username",
    "cycle_id",
    "cycle__state",
    "cycle__name",
    "cycle__effective_on",
    "effective_on",
    "level_applied",
    "eligibility_override_reason",
    "off_cycle_reason",
]


class PromotionsWithLevels(ModelIterable):
    """Promotions with their from and to levels taken from the ladder kept in memory
    (ladder.selectors.ladder_snapshot). Joined, the page's query had eight tables and PostgreSQL
    took longer to plan it than to run it (a page of the committee's list: 9-12 ms joined, 3.3 ms
    without); prefetched, they were two more queries for nine rows."""

    def __iter__(self):
        levels = None
        for promotion in super().__iter__():
            if "from_level_id" in promotion.__dict__:  # not in a light check's few columns
                levels = levels or levels_by_id(version=promotion.ladder_version)
                promotion.from_level = levels[promotion.from_level_id]
                promotion.to_level = levels[promotion.to_level_id]
            yield promotion


def promotion_list_visible_to(*, user) -> QuerySet[Promotion]:
    """HR and committee: all. Others: their own, those they nominated, those of their reports."""
    # Only the columns the API shows and the checks read: building 7 full models per row was
    # most of a page's cost.
    promotions = (
        Promotion.objects.select_related("candidate__user", "nominated_by", "cycle")
        .only(*LIST_COLUMNS)
        # The ladder's version, read with the rows (a constant query, no parameters).
        .annotate(ladder_version=RawSQL(LADDER_VERSION_SQL, ()))  # noqa: S611
    )
    # Django's hook for what a queryset yields (values() sets it too); kept by every clone.
    promotions._iterable_class = PromotionsWithLevels
    if roles.sees_everyone(user):
        return promotions
    if not user.is_authenticated:
        return promotions.none()
    me = member_of(user)
    scope = Q(nominated_by=user)
    if me is not None:
        # Ids first (one small query): "candidate in (...) or nominated by" is two index scans,
        # where a join on the candidate's manager made PostgreSQL scan every promotion.
        reports = Member.objects.filter(manager=me).order_by().values_list("pk", flat=True)
        candidates = [me.pk, *reports]
        scope |= Q(candidate_id__in=candidates)
    # Newest first, by an expression no index serves: PostgreSQL then finds the few rows in
    # scope with the candidate and nominator indexes and sorts them, rather than walking every
    # promotion newest first to filter (at 1,000,000 promotions: 130 ms against 5 ms).
    newest = Coalesce("created_at", "created_at")
    return promotions.filter(scope).order_by(newest.desc(), "-id")


ACCESS_COLUMNS = [
    "state",
    "packet_version",
    "nominated_by_id",
    "candidate__user_id",
    "candidate__manager_id",
]


# What a check or a page of one promotion reads beside the row: its people and levels.
PROMOTION_WITH_PEOPLE = (
    "candidate__user",
    "candidate__level",
    "candidate__manager",
    "from_level",
    "to_level",
    "nominated_by",
    "cycle",
)


def promotion_locked(promotion: Promotion) -> Promotion:
    """The promotion's row, locked until the caller's transaction ends, with what the checks
    read: every write to a promotion starts here, so writes to one promotion queue."""
    return (
        Promotion.objects.select_for_update(of=("self",))
        .select_related(*PROMOTION_WITH_PEOPLE)
        .get(pk=promotion.pk)
    )


def promotion_get_visible_to(*, user, promotion_id, light: bool = False) -> Promotion:
    promotions = promotion_list_visible_to(user=user)
    if light:
        promotions = (
            promotions.select_related(None).select_related("candidate").only(*ACCESS_COLUMNS)
        )
    try:
        return promotions.get(pk=promotion_id)
    except (Promotion.DoesNotExist, ValueError, TypeError):
        raise PromotionNotFound() from None


def promotion_for_access_check(*, user, promotion_id) -> Promotion:
    """Just enough of a visible promotion to decide what `user` may see of it (timeline, reviews):
    lighter than the full row the detail shows."""
    return promotion_get_visible_to(user=user, promotion_id=promotion_id, light=True)


def promotion_reviews(*, user, promotion: Promotion) -> QuerySet[Review]:
    permissions.ensure_can_read_reviews(user, promotion)
    return promotion.reviews.select_related("reviewer").order_by("created_at", "id")


def promotion_timeline(*, promotion: Promotion) -> QuerySet[PromotionEvent]:
    return promotion.events.select_related("actor").order_by("at", "id")


def counted_votes(votes: list[dict]) -> tuple[int, int]:
    """(approvals, rejections) that count toward the quorum, of promotion_votes()."""
    counted = [vote["decision"] for vote in votes if vote["counted"]]
    return counted.count(Decision.APPROVE), counted.count(Decision.REJECT)


def candidate_for_nomination(*, user, member_id) -> Member:
    """The member `user` names as a candidate, if they may see them; else "no such member"
    (a 400 here: the candidate is part of the request body, not of the URL)."""
    try:
        return member_get_visible_to(user=user, member_id=member_id)
    except NotFound:
        raise CandidateNotFound() from None


def approval_blocker(
    promotion: Promotion,
    *,
    moves: set[tuple[int, int]] | None = None,
    votes: list[dict] | None = None,
) -> TransitionConflict | None:
    """Why an in-review promotion cannot be approved now, or None. `votes`: promotion_votes(),
    when the caller has them already."""
    if votes is None:
        votes = promotion_votes(promotion=promotion)
    approvals, rejections = counted_votes(votes)
    needed = settings.PROMOTIONS_MIN_APPROVALS
    if approvals < needed or approvals <= rejections:
        return TransitionConflict(
            f"Approval needs at least {needed} approving review(s) and more approvals than "
            f"rejections; it has {approvals} approval(s) and {rejections} rejection(s).",
            code=ErrorCode.QUORUM_NOT_MET,
        )
    candidate = promotion.candidate
    if candidate.level_id != promotion.from_level_id:
        return TransitionConflict(
            f"The candidate is now at {candidate.level.code}, not {promotion.from_level.code}.",
            code=ErrorCode.LEVEL_CHANGED,
        )
    if not move_is_allowed(
        from_level_id=promotion.from_level_id, to_level_id=promotion.to_level_id, moves=moves
    ):
        return TransitionConflict(
            f"The move {promotion.from_level.code} → {promotion.to_level.code} has been "
            "deactivated.",
            code=ErrorCode.MOVE_INACTIVE,
        )
    return None


def cycle_list_visible_to(*, user) -> QuerySet[Cycle]:
    """Every cycle for HR and the committee; others see a cycle once HR has opened it (a draft
    is HR's plan, not yet an announcement)."""
    cycles = Cycle.objects.all()
    if roles.sees_everyone(user):
        return cycles
    return cycles.exclude(state=CycleState.DRAFT)


def cycle_get_visible_to(*, user, cycle_id) -> Cycle:
    try:
        return cycle_list_visible_to(user=user).get(pk=cycle_id)
    except (Cycle.DoesNotExist, ValueError, TypeError):
        raise CycleNotFound() from None


def pending_promotion_of_member():
    """The member's approved promotion not yet effective, as {id, to_level, effective_on}: an
    annotation of member rows (ladder.selectors.register_member_annotation)."""
    fields = JSONObject(id="id", to_level=F("to_level__code"), effective_on="effective_on")
    pending = Promotion.objects.filter(PENDING, candidate=OuterRef("pk")).values(data=fields)[:1]
    return Subquery(pending, output_field=JSONField())


def decision_blocker(promotion: Promotion) -> TransitionConflict | None:
    """A promotion in a cycle is approved or rejected only while its cycle calibrates: the
    committee compares the cycle's candidates before deciding any of them."""
    cycle = promotion.cycle
    if cycle is not None and cycle.state != CycleState.CALIBRATING:
        return TransitionConflict(
            f"Promotions of {cycle.name or 'this cycle'} are decided while it calibrates; it is "
            f"{cycle.state}.",
            code=ErrorCode.CYCLE_NOT_CALIBRATING,
        )
    return None


def resubmit_blocker(promotion: Promotion) -> TransitionConflict | None:
    """Why a promotion with changes requested cannot go back to review yet, or None."""
    if promotion.packet_version <= (promotion.changes_requested_version or 0):
        return TransitionConflict(
            "Submit a new packet version first: nothing changed since changes were requested.",
            code=ErrorCode.PACKET_UNCHANGED,
        )
    return None


def available_transitions(*, user, promotions) -> dict[int, list[str]]:
    """For each promotion's id, the transitions `user` may call now (approve and resubmit only
    once they would succeed)."""
    allowed = {
        promotion.pk: [a for a in permissions.TRANSITIONS if permissions.allows(user, a, promotion)]
        for promotion in promotions
    }
    for promotion in promotions:
        if decision_blocker(promotion):
            for decision in (permissions.APPROVE, permissions.REJECT):
                if decision in allowed[promotion.pk]:
                    allowed[promotion.pk].remove(decision)
    approvable = [p for p in promotions if permissions.APPROVE in allowed[p.pk]]
    if approvable:  # one query for the votes, one for the moves, whatever the page size
        votes = _judge_votes(approvable)
        moves = active_moves(version=getattr(approvable[0], "ladder_version", None))
        for promotion in approvable:
            if approval_blocker(promotion, moves=moves, votes=votes[promotion.pk]):
                allowed[promotion.pk].remove(permissions.APPROVE)
    for promotion in promotions:
        if permissions.RESUBMIT in allowed[promotion.pk] and resubmit_blocker(promotion):
            allowed[promotion.pk].remove(permissions.RESUBMIT)
    return allowed


def promotion_votes(*, promotion: Promotion) -> list[dict]:
    """Every vote on the promotion, each marked counted or not (and why not): what a decision
    records, so the timeline shows which votes decided it."""
    return _judge_votes([promotion])[promotion.pk]


NOT_ELIGIBLE = "not counted: the reviewer is no longer an active committee or HR member"
STALE = "not counted: cast on an older version of the packet"
RECUSED = "not counted: the reviewer is now the candidate, the nominator or the candidate's manager"


def _judge_votes(promotions: list[Promotion]) -> dict[int, list[dict]]:
    """One query for the reviews of all these promotions, with whether each reviewer may still
    vote and their member id (to spot one who now manages the candidate)."""
    by_id = {promotion.pk: promotion for promotion in promotions}
    judged: dict[int, list[dict]] = {promotion.pk: [] for promotion in promotions}
    in_role = roles.role_group_members().filter(pk=OuterRef("reviewer_id"))
    reviews = (
        Review.objects.filter(promotion__in=promotions)
        .annotate(eligible=Q(reviewer__is_active=True) & Exists(in_role))
        .order_by("created_at", "id")
        .values_list(
            "promotion_id",
            "reviewer_id",
            "reviewer__username",
            "decision",
            "packet_version",
            "eligible",
            "reviewer__member__id",
        )
    )
    for promotion_id, reviewer_id, username, decision, version, eligible, member_id in reviews:
        promotion = by_id[promotion_id]
        if version != promotion.packet_version:
            why_not = STALE
        elif not eligible:
            why_not = NOT_ELIGIBLE
        elif permissions.is_involved_ids(
            user_id=reviewer_id, member_id=member_id, promotion=promotion
        ):
            why_not = RECUSED
        else:
            why_not = None
        judged[promotion_id].append(
            {
                "reviewer": username,
                "decision": decision,
                "counted": why_not is None,
                "why_not": why_not,
                "packet_version": version,
                "stale": why_not == STALE,
            }
        )
    return judged


def awaiting_vote_of(*, user, promotions: QuerySet[Promotion] | None = None) -> QuerySet[Promotion]:
    """What waits on `user`'s vote: promotions accepting votes, where they are not recused and
    have not voted yet (committee and HR only)."""
    promotions = Promotion.objects.all() if promotions is None else promotions
    if not roles.sees_everyone(user):
        return promotions.none()
    return (
        promotions.filter(state__in=Promotion.states_accepting_votes())
        .exclude(permissions.involving(user))
        .exclude(reviews__reviewer=user, reviews__packet_version=F("packet_version"))
    )


def overdue(*, now=None, promotions: QuerySet[Promotion] | None = None) -> QuerySet[Promotion]:
    """Open promotions older than PROMOTIONS_REVIEW_SLA_DAYS."""
    promotions = Promotion.objects.all() if promotions is None else promotions
    cutoff = (now or timezone.now()) - timedelta(days=settings.PROMOTIONS_REVIEW_SLA_DAYS)
    return promotions.filter(state__in=OPEN_STATES, created_at__lte=cutoff)
