"""Reads, scoped to the requesting user."""

from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, JSONObject
from django.db.models.query import BaseIterable, ModelIterable, ValuesListIterable
from django.utils import timezone

from core import roles
from core.errors import NotFound
from core.prepared import Prepared
from ladder.models import Member
from ladder.selectors import (
    LADDER_VERSION_SQL,
    active_moves,
    levels_by_id,
    member_get_visible_to,
    member_of,
    move_is_allowed,
)
from promotions import blind, permissions, workflow
from promotions.appeals.rules import DECIDING
from promotions.errors import (
    CandidateNotFound,
    CycleNotFound,
    ErrorCode,
    PromotionNotFound,
    TransitionConflict,
)
from promotions.models import (
    PENDING,
    Appeal,
    Cycle,
    CycleState,
    Decision,
    Promotion,
    PromotionEvent,
    PromotionState,
    Review,
)

APPEALED = PromotionState.APPEALED


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
    "packet_authors",
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
    "candidate__user__is_superuser",
    "candidate__user__last_name",
    "from_level",
    "to_level",
    "nominated_by__username",
    "cycle_id",
    "cycle__state",
    "cycle__name",
    "cycle__effective_on",
    "cycle__blind_review",
    "effective_on",
    "level_applied",
    "eligibility_override_reason",
    "off_cycle_reason",
    "release_held",
]


class PromotionsWithLevels(ModelIterable):
    """Promotions with their from and to levels taken from the ladder kept in memory
    (ladder.selectors.ladder_snapshot). Joined, the page's query had eight tables and PostgreSQL
    took longer to plan it than to run it (a page of the committee's list: 9-12 ms joined, 3.3 ms
    without); prefetched, they were two more queries for nine rows."""

    def __iter__(self):
        levels = None
        for promotion in super().__iter__():
            if "from_level_id" in promotion.__dict__:  # unless a caller's only() left it out
                levels = levels or levels_by_id(version=promotion.ladder_version)
                promotion.from_level = levels[promotion.from_level_id]
                promotion.to_level = levels[promotion.to_level_id]
            yield promotion


def promotion_list_visible_to(*, user) -> QuerySet[Promotion]:
    """HR, committee and Executives: all. Others: their own, those they nominated, those of their
    reports."""
    return _visible_to(user, _listed())


def _listed() -> QuerySet[Promotion]:
    """Every promotion, as the lists read them."""
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
    return promotions


def _visible_to(user, promotions: QuerySet[Promotion]) -> QuerySet[Promotion]:
    """`promotions` narrowed to those `user` may see (the rule of promotion_list_visible_to)."""
    if roles.sees_promotions(user):
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


# --- A list page as plain rows ------------------------------------------------------------------
# A page of 50 promotions built as models is five models a row (promotion, candidate, their user,
# nominator, cycle): a third of the committee's list. The list reads the same columns as plain
# rows instead, into the small objects below, which carry every attribute the API shows and the
# rules read (permissions, available_transitions and PromotionSerializer take either).
# tests/promotions/test_list_rows.py holds each row's answer to the one built from models.


class PersonRow:
    __slots__ = ("pk", "username", "first_name", "last_name", "is_superuser")

    def __init__(self, pk, username, first_name="", last_name="", is_superuser=False):
        self.pk, self.username = pk, username
        self.first_name, self.last_name = first_name, last_name
        self.is_superuser = is_superuser

    def get_username(self) -> str:
        return self.username


class CandidateRow:
    __slots__ = ("pk", "user", "user_id", "manager_id", "level_id", "level")

    def __init__(self, pk, user: PersonRow, manager_id, level):
        self.pk, self.user, self.user_id, self.manager_id = pk, user, user.pk, manager_id
        self.level, self.level_id = level, level.pk

    @property
    def name(self) -> str:
        return Member.name_of(self.user.first_name, self.user.last_name, self.user.username)


class CycleRow:
    __slots__ = ("pk", "state", "name", "blind_review")

    def __init__(self, pk, state, name, blind_review=False):
        self.pk, self.state, self.name = pk, state, name
        self.blind_review = blind_review


# The promotion's own columns, as PromotionRow's attributes are named, then the related ones.
ROW_OWN = (
    "candidate_id",
    "packet_authors",
    "from_level_id",
    "to_level_id",
    "state",
    "nominated_by_id",
    "justification",
    "created_at",
    "updated_at",
    "decided_at",
    "packet_version",
    "changes_requested_note",
    "changes_requested_version",
    "cycle_id",
    "effective_on",
    "level_applied",
    "eligibility_override_reason",
    "off_cycle_reason",
    "release_held",
)
ROW_RELATED = (
    "candidate__user_id",
    "candidate__user__username",
    "candidate__user__first_name",
    "candidate__user__last_name",
    "candidate__user__is_superuser",
    "candidate__manager_id",
    "candidate__level_id",
    "nominated_by__username",
    "cycle__state",
    "cycle__name",
    "cycle__blind_review",
    "ladder_version",
)


class PromotionRow:
    __slots__ = (
        "pk",
        *ROW_OWN,
        "candidate",
        "from_level",
        "to_level",
        "nominated_by",
        "cycle",
        "ladder_version",
    )

    # The ids read below (the rest of ROW_OWN is set the same way and read by duck typing).
    candidate_id: int
    from_level_id: int
    to_level_id: int
    nominated_by_id: int
    cycle_id: int | None

    def __init__(self, pk, own, related, levels):
        self.pk = pk
        for name, value in zip(ROW_OWN, own, strict=True):
            setattr(self, name, value)
        user_id, username, first, last, superuser, manager_id, level_id = related[:7]
        nominator, cycle_state, cycle_name, blind_review, self.ladder_version = related[7:]
        user = PersonRow(user_id, username, first, last, superuser)
        self.candidate = CandidateRow(self.candidate_id, user, manager_id, levels[level_id])
        self.nominated_by = PersonRow(self.nominated_by_id, nominator)
        self.from_level, self.to_level = levels[self.from_level_id], levels[self.to_level_id]
        self.cycle = (
            CycleRow(self.cycle_id, cycle_state, cycle_name, blind_review)
            if self.cycle_id is not None
            else None
        )

    @property
    def id(self) -> int:
        return self.pk


class PromotionRows(BaseIterable):
    """The page's promotions as PromotionRow objects, from one query of plain values (the
    queryset stays a model one: its count() keeps to the promotions table)."""

    def __iter__(self):
        values = row_values(self.queryset)
        levels = None
        row: tuple
        for row in ValuesListIterable(values, self.chunked_fetch, self.chunk_size):
            levels = levels or levels_by_id(version=row[-1])  # once a page
            yield _promotion_row(row, levels)


def _promotion_row(row: tuple, levels: dict) -> PromotionRow:
    """One row of row_values() as a PromotionRow (`levels`: levels_by_id() at its version)."""
    split = 1 + len(ROW_OWN)
    return PromotionRow(row[0], row[1:split], row[split:], levels)


def row_values(promotions: QuerySet) -> QuerySet:
    """The query behind PromotionRows: a page's (or one promotion's) rows as plain values."""
    return promotions.values_list("pk", *ROW_OWN, *ROW_RELATED)


def promotion_rows(promotions: QuerySet[Promotion]) -> QuerySet[Promotion]:
    """promotion_list_visible_to(), filtered as wished, yielding PromotionRow objects (for a
    page of the list; count() and slicing work as before)."""
    rows = promotions.all()
    rows._iterable_class = PromotionRows
    return rows


ACCESS_COLUMNS = [
    "state",
    "packet_authors",
    "packet_version",
    "nominated_by_id",
    "candidate__user_id",
    "candidate__manager_id",
    "release_held",
    # Whether its cycle reviews blind (promotions/blind.py), as `blind_cycle`.
    "cycle__blind_review",
]


# What a check or a page of one promotion reads beside the row: its people and levels.
PROMOTION_WITH_PEOPLE = (
    "candidate__user",
    "candidate__level",
    "candidate__manager__user",
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


def promotion_get_visible_to(*, user, promotion_id) -> Promotion:
    return _get(promotion_list_visible_to(user=user), promotion_id)


def promotion_row_visible_to(*, user, promotion_id) -> PromotionRow:
    """One visible promotion as the list's PromotionRow: to show it, not to change it."""
    if not roles.sees_promotions(user):  # else _visible_to would keep every promotion
        row = _get(promotion_rows(promotion_list_visible_to(user=user)), promotion_id)
        return cast(PromotionRow, row)  # promotion_rows() yields PromotionRow, not models
    try:
        rows = _ROW.rows(promotion_id)
    except (ValueError, TypeError):
        raise PromotionNotFound() from None
    if not rows:
        raise PromotionNotFound()
    return _promotion_row(rows[0], levels_by_id(version=rows[0][-1]))


_ROW = Prepared(lambda promotion_id: row_values(_listed().filter(pk=promotion_id)))


def promotion_for_access_check(*, user, promotion_id) -> Promotion:
    """Just enough of a visible promotion to decide what `user` may see of it (timeline, reviews,
    packet): lighter than the full row the detail shows."""
    try:
        if roles.sees_promotions(user):  # _visible_to would keep every promotion
            rows = _ACCESS.rows(promotion_id)
        else:
            visible = _visible_to(user, Promotion.objects.filter(pk=promotion_id))
            rows = list(visible.values_list(*ACCESS_COLUMNS))
    except (ValueError, TypeError):
        raise PromotionNotFound() from None
    if not rows:
        raise PromotionNotFound()
    return _access_promotion(int(promotion_id), rows[0])


_ACCESS = Prepared(
    lambda promotion_id: Promotion.objects.filter(pk=promotion_id).values_list(*ACCESS_COLUMNS)
)


def _access_promotion(promotion_id: int, access: tuple) -> Promotion:
    """The promotion as far as ACCESS_COLUMNS read it (a model that is never saved)."""
    state, authors, version, nominated_by_id, candidate_user_id, manager_id, held, blind = access
    promotion = Promotion(
        pk=promotion_id,
        state=state,
        packet_authors=authors,
        packet_version=version,
        nominated_by_id=nominated_by_id,
        candidate=Member(user_id=candidate_user_id, manager_id=manager_id),
        release_held=held,
    )
    cast(Any, promotion).blind_cycle = blind  # read by blind.in_blind_cycle
    return promotion


def _get(promotions: QuerySet[Promotion], promotion_id) -> Promotion:
    try:
        return promotions.get(pk=promotion_id)
    except (Promotion.DoesNotExist, ValueError, TypeError):
        raise PromotionNotFound() from None


def promotion_reviews(*, user, promotion: Promotion) -> QuerySet[Review]:
    permissions.ensure_can_read_reviews(user, promotion)
    return promotion.reviews.select_related("reviewer", "cast_by").order_by("created_at", "id")


def promotion_timeline(*, promotion: Promotion) -> QuerySet[PromotionEvent]:
    return promotion.events.select_related("actor").order_by("at", "id")


class EventRow:
    """One event of a timeline, as EventSerializer reads it, from a row of plain values."""

    __slots__ = ("from_state", "to_state", "at", "actor", "note", "votes")

    def __init__(self, from_state, to_state, at, actor: PersonRow | None, note, votes):
        self.from_state, self.to_state, self.at = from_state, to_state, at
        self.actor, self.note, self.votes = actor, note, votes


EVENT_COLUMNS = ("from_state", "to_state", "at", "actor_id", "actor__username", "note", "votes")


def _timeline_rows(events: QuerySet[PromotionEvent]) -> QuerySet[PromotionEvent, tuple]:
    """A promotion's events, each bringing the promotion's access columns along."""
    access = [f"promotion__{column}" for column in ACCESS_COLUMNS]
    return events.order_by("at", "id").values_list(*EVENT_COLUMNS, *access)


_TIMELINE = Prepared(
    lambda promotion_id: _timeline_rows(PromotionEvent.objects.filter(promotion_id=promotion_id))
)


def promotion_timeline_visible_to(*, user, promotion_id) -> tuple[Promotion, list[EventRow]]:
    """A visible promotion (what promotion_for_access_check reads of it) and its timeline, in one
    query of plain rows: each event brings the promotion's few access columns along."""
    try:
        if roles.sees_promotions(user):  # _visible_to would keep every promotion
            rows = _TIMELINE.rows(promotion_id)
        else:
            visible = _visible_to(user, Promotion.objects.filter(pk=promotion_id).order_by())
            timeline = PromotionEvent.objects.filter(promotion__in=visible.values("pk"))
            rows = list(_timeline_rows(timeline.filter(promotion_id=promotion_id)))
    except (ValueError, TypeError):
        raise PromotionNotFound() from None
    if not rows:  # not visible (404), or, were that ever so, a promotion with no event yet
        return promotion_for_access_check(user=user, promotion_id=promotion_id), []
    promotion = _access_promotion(int(promotion_id), rows[0][-len(ACCESS_COLUMNS) :])
    events = [
        EventRow(
            from_state,
            to_state,
            at,
            PersonRow(actor_id, actor) if actor_id is not None else None,
            note,
            votes,
        )
        for from_state, to_state, at, actor_id, actor, note, votes, *_ in rows
    ]
    return promotion, events


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
    """Why an in-review (appealed, awaiting an executive) promotion cannot be approved now, or
    None. `votes`: promotion_votes(), when the caller has them already. The quorum was the
    committee's when it sent the case to an Executive: an Executive's approval does not ask it
    again."""
    quorum = promotion.state != PromotionState.AWAITING_EXECUTIVE
    if votes is None and quorum:
        votes = promotion_votes(promotion=promotion)
    approvals, rejections = counted_votes(votes or [])
    needed = settings.PROMOTIONS_MIN_APPROVALS
    if quorum and (approvals < needed or approvals <= rejections):
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


def pending_promotion_of_member(viewer):
    """The member's approved promotion not yet effective, as {id, to_level, effective_on}: an
    annotation of member rows as `viewer` reads them (ladder.selectors.register_member_annotation).
    Not while it is held for its cycle's release date: the member record is the candidate's to
    read too (promotions/release.py). Nor when `viewer` reads the case blind: its id beside the
    member's name would name the case's candidate (promotions/blind.py)."""
    fields = JSONObject(id="id", to_level=F("to_level__code"), effective_on="effective_on")
    pending = (
        Promotion.objects.filter(PENDING, candidate=OuterRef("pk"))
        .exclude(release_held=True)
        .exclude(blind.blind_to(viewer))
        .values(data=fields)[:1]
    )
    return Subquery(pending, output_field=JSONField())


def decision_blocker(promotion: Promotion) -> TransitionConflict | None:
    """A promotion in a cycle is approved or rejected only while its cycle calibrates: the
    committee compares the cycle's candidates before deciding any of them. An appeal is heard
    whatever the cycle's state (it may have closed since the rejection)."""
    cycle = promotion.cycle
    appealed = promotion.state == PromotionState.APPEALED
    if cycle is not None and cycle.state != CycleState.CALIBRATING and not appealed:
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
        promotion.pk: permissions.allowed_transitions(user, promotion) for promotion in promotions
    }
    for promotion in promotions:
        if decision_blocker(promotion):
            for decision in (permissions.APPROVE, permissions.REJECT):
                if decision in allowed[promotion.pk]:
                    allowed[promotion.pk].remove(decision)
    approvable = [p for p in promotions if permissions.APPROVE in allowed[p.pk]]
    if approvable:  # one query for the votes, whatever the page size (moves: from memory)
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
BEFORE_APPEAL = "not counted: cast before the appeal"


# The votes on some promotions, each with whether its reviewer may still vote (active, and a
# superuser or in a role's group: looked up by the reviewer's own memberships, never a scan of
# every user) and their member id. Plain SQL: the ORM's query took longer to build than to run.
# Who cast a vote for its reviewer (a delegate, rarely) is a lookup per vote: as a join,
# PostgreSQL hashed every user for it, 80% of the query's time.
VOTES_SQL = """
SELECT r.promotion_id, r.reviewer_id, u.username, r.decision, r.packet_version,
       u.is_active AND (u.is_superuser OR EXISTS (
           SELECT 1 FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
           WHERE ug.user_id = r.reviewer_id AND g.name IN ({roles})
       )),
       m.id,
       COALESCE((SELECT cb.username FROM auth_user cb WHERE cb.id = r.cast_by_id), u.username),
       r.blind
FROM promotions_review r
JOIN auth_user u ON u.id = r.reviewer_id
LEFT JOIN ladder_member m ON m.user_id = r.reviewer_id
WHERE r.promotion_id IN ({promotions})
ORDER BY r.created_at, r.id
"""


def _judge_votes(promotions: list[Promotion]) -> dict[int, list[dict]]:
    """One query for the votes on all these promotions, each judged counted or not."""
    by_id = {promotion.pk: promotion for promotion in promotions}
    judged: dict[int, list[dict]] = {promotion.pk: [] for promotion in promotions}
    if not by_id:
        return judged
    sql = VOTES_SQL.format(
        roles=", ".join(["%s"] * len(roles.ROLE_GROUPS)),
        promotions=", ".join(["%s"] * len(by_id)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*roles.ROLE_GROUPS, *by_id])
        reviews = cursor.fetchall()
    before_appeal = _votes_before_appeal([p for p in promotions if p.state == APPEALED])
    for row in reviews:
        promotion_id, reviewer_id, username, decision, version, eligible, member_id = row[:7]
        cast_by, blind = row[7:]
        promotion = by_id[promotion_id]
        if (promotion_id, reviewer_id, version) in before_appeal:
            why_not = BEFORE_APPEAL
        elif version != promotion.packet_version:
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
                "cast_by": cast_by,
                "decision": decision,
                "counted": why_not is None,
                "why_not": why_not,
                "packet_version": version,
                "stale": why_not == STALE,
                # Cast reading the case blind (promotions/blind.py): said only when so.
                **({"blind": True} if blind else {}),
            }
        )
    return judged


def _votes_before_appeal(appealed: list[Promotion]) -> set[tuple[int, int, int]]:
    """(promotion, reviewer, packet version) of the votes cast on these appealed promotions
    before their appeal: on record, never counted on the appeal."""
    if not appealed:
        return set()
    earlier = Review.objects.filter(
        promotion_id__in=[promotion.pk for promotion in appealed],
        created_at__lt=Subquery(
            Appeal.objects.filter(promotion_id=OuterRef("promotion_id")).values("created_at")
        ),
    )
    return set(earlier.values_list("promotion_id", "reviewer_id", "packet_version"))


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


def awaiting_executive_of(*, user) -> QuerySet[Promotion]:
    """What waits on `user` as an Executive: cases awaiting an executive that they may decide
    (not involved, not an author of the packet, never having voted on it or approved it)."""
    if not roles.is_executive(user):
        return Promotion.objects.none()
    return (
        Promotion.objects.filter(state=PromotionState.AWAITING_EXECUTIVE)
        .exclude(permissions.involving(user))
        .exclude(packet_authors__contains=[user.pk])
        .exclude(reviews__reviewer=user)
        .exclude(events__actor=user, events__to_state__in=DECIDING)
    )


def overdue(*, now=None, promotions: QuerySet[Promotion] | None = None) -> QuerySet[Promotion]:
    """Open promotions older than PROMOTIONS_REVIEW_SLA_DAYS, but those on hold."""
    promotions = Promotion.objects.all() if promotions is None else promotions
    cutoff = (now or timezone.now()) - timedelta(days=settings.PROMOTIONS_REVIEW_SLA_DAYS)
    return promotions.filter(state__in=workflow.OVERDUE_STATES, created_at__lte=cutoff)
