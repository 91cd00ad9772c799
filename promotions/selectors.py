"""Reads, scoped to the requesting user."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ladder import roles
from ladder.errors import NotFound
from ladder.models import LevelTransition, Member
from ladder.selectors import member_get_visible_to, member_of
from promotions import permissions
from promotions.errors import CandidateNotFound, PromotionNotFound, TransitionConflict
from promotions.models import Decision, Promotion, PromotionEvent, Review

User = get_user_model()


def _vote_count(decision: str):
    votes = (
        Review.objects.filter(promotion=OuterRef("pk"), decision=decision)
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
    "candidate__user_id",
    "candidate__manager_id",
    "candidate__level_id",
    "candidate__is_active",
    "candidate__user__username",
    "candidate__user__first_name",
    "candidate__user__last_name",
    "from_level__code",
    "from_level__title",
    "from_level__rank",
    "to_level__code",
    "to_level__title",
    "to_level__rank",
    "nominated_by__username",
]


def promotion_list_visible_to(*, user) -> QuerySet[Promotion]:
    """HR and committee: all. Others: their own, those they nominated, those of their reports."""
    # Only the columns the API shows and the checks read: building 7 full models per row was
    # most of a page's cost.
    promotions = Promotion.objects.select_related(
        "candidate__user", "from_level", "to_level", "nominated_by"
    ).only(*LIST_COLUMNS)
    if roles.sees_everyone(user):
        return promotions
    if not user.is_authenticated:
        return promotions.none()
    me = member_of(user)
    scope = Q(nominated_by=user)
    if me is not None:
        # Ids first (one small query): "candidate in (...) or nominated by" is two index scans,
        # where a join on the candidate's manager made PostgreSQL scan every promotion.
        candidates = [me.pk, *Member.objects.filter(manager=me).values_list("pk", flat=True)]
        scope |= Q(candidate_id__in=candidates)
    return promotions.filter(scope)


ACCESS_COLUMNS = ["state", "nominated_by_id", "candidate__user_id", "candidate__manager_id"]


def involving(user) -> Q:
    """Promotions where `user` is the candidate, the nominator or the candidate's manager."""
    involved = Q(candidate__user=user) | Q(nominated_by=user)
    me = member_of(user)
    if me is not None:
        involved |= Q(candidate__manager=me)
    return involved


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


def promotion_vote_counts(*, promotion: Promotion) -> tuple[int, int]:
    """(approvals, rejections) that count toward the quorum: votes of reviewers who are still
    active committee or HR members and are not (or no longer) recused from this promotion."""
    if not hasattr(promotion, "counted_approvals"):
        _attach_vote_counts([promotion])
    return promotion.counted_approvals, promotion.counted_rejections


def candidate_for_nomination(*, user, member_id) -> Member:
    """The member `user` names as a candidate, if they may see them; else "no such member"
    (a 400 here: the candidate is part of the request body, not of the URL)."""
    try:
        return member_get_visible_to(user=user, member_id=member_id)
    except NotFound:
        raise CandidateNotFound() from None


def active_moves() -> set[tuple[int, int]]:
    """(from_level_id, to_level_id) of every active move: a small table, read once per request."""
    return set(
        LevelTransition.objects.filter(is_active=True).values_list("from_level_id", "to_level_id")
    )


def approval_blocker(
    promotion: Promotion,
    *,
    moves: set[tuple[int, int]] | None = None,
    votes: list[dict] | None = None,
) -> TransitionConflict | None:
    """Why an in-review promotion cannot be approved now, or None. `votes`: promotion_votes(),
    when the caller has them already."""
    if votes is None:
        approvals, rejections = promotion_vote_counts(promotion=promotion)
    else:
        counted = [vote["decision"] for vote in votes if vote["counted"]]
        approvals, rejections = counted.count(Decision.APPROVE), counted.count(Decision.REJECT)
    needed = settings.PROMOTIONS_MIN_APPROVALS
    if approvals < needed or approvals <= rejections:
        return TransitionConflict(
            f"Approval needs at least {needed} approving review(s) and more approvals than "
            f"rejections; it has {approvals} approval(s) and {rejections} rejection(s).",
            code="quorum_not_met",
        )
    candidate = promotion.candidate
    if candidate.level_id != promotion.from_level_id:
        return TransitionConflict(
            f"The candidate is now at {candidate.level.code}, not {promotion.from_level.code}.",
            code="level_changed",
        )
    moves = active_moves() if moves is None else moves
    if (promotion.from_level_id, promotion.to_level_id) not in moves:
        return TransitionConflict(
            f"The move {promotion.from_level.code} → {promotion.to_level.code} has been "
            "deactivated.",
            code="move_inactive",
        )
    return None


def with_available_transitions(*, user, promotions):
    """Set `available_transitions` on each promotion: the transitions `user` may call now
    (approve only once it would succeed). Returns the promotions."""
    allowed = {
        promotion.pk: [a for a in permissions.TRANSITIONS if permissions.allows(user, a, promotion)]
        for promotion in promotions
    }
    approvable = [p for p in promotions if permissions.APPROVE in allowed[p.pk]]
    if approvable:  # one query for the votes, one for the moves, whatever the page size
        _attach_vote_counts(approvable)
        moves = active_moves()
        for promotion in approvable:
            if approval_blocker(promotion, moves=moves):
                allowed[promotion.pk].remove(permissions.APPROVE)
    for promotion in promotions:
        promotion.available_transitions = allowed[promotion.pk]
    return promotions


def promotion_votes(*, promotion: Promotion) -> list[dict]:
    """Every vote on the promotion, each marked counted or not (and why not): what a decision
    records, so the timeline shows which votes decided it."""
    return _judge_votes([promotion])[promotion.pk]


NOT_ELIGIBLE = "not counted: the reviewer is no longer an active committee or HR member"
RECUSED = "not counted: the reviewer is now the candidate, the nominator or the candidate's manager"


def _judge_votes(promotions: list[Promotion]) -> dict[int, list[dict]]:
    """One query for the reviews of all these promotions, one for which of their reviewers may
    still vote (looked up by id: a scan of every user cost more than the rest of the page)."""
    by_id = {promotion.pk: promotion for promotion in promotions}
    judged: dict[int, list[dict]] = {promotion.pk: [] for promotion in promotions}
    reviews = list(
        Review.objects.filter(promotion__in=promotions)
        .order_by("created_at", "id")
        .values_list("promotion_id", "reviewer_id", "reviewer__username", "decision")
    )
    # Eligible reviewers, with their member id (to spot one who now manages the candidate).
    member_of_eligible = dict(
        User.objects.filter(pk__in={review[1] for review in reviews}, is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=roles.ROLE_GROUPS))
        .values_list("id", "member__id")
    )
    for promotion_id, reviewer_id, username, decision in reviews:
        promotion = by_id[promotion_id]
        manager = promotion.candidate.manager_id
        if reviewer_id not in member_of_eligible:
            why_not = NOT_ELIGIBLE
        elif reviewer_id in (promotion.candidate.user_id, promotion.nominated_by_id) or (
            manager is not None and member_of_eligible[reviewer_id] == manager
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
            }
        )
    return judged


def _attach_vote_counts(promotions: list[Promotion]) -> None:
    judged = _judge_votes(promotions)
    for promotion in promotions:
        counted = [vote["decision"] for vote in judged[promotion.pk] if vote["counted"]]
        promotion.counted_approvals = counted.count(Decision.APPROVE)
        promotion.counted_rejections = counted.count(Decision.REJECT)
