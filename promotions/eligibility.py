"""Who may be nominated for which level, and why not (docs/design.md, "Eligibility").

One home for the rule: the eligibility endpoint lists the reasons, and a nomination is refused
with every reason that applies (409 `not_eligible`)."""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core import roles
from ladder.models import Level, LevelTransition, Member
from ladder.selectors import member_of
from promotions.models import (
    ACTIVE_CYCLE_STATES,
    OPEN_STATES,
    UNSETTLED,
    Cycle,
    CycleState,
    Promotion,
    PromotionState,
)


class Reason(StrEnum):
    TIME_IN_LEVEL = "time_in_level"
    OPEN_PROMOTION = "open_promotion"
    PROMOTION_PENDING = "promotion_pending"
    INACTIVE = "inactive"
    MOVE_INACTIVE = "move_inactive"
    NO_OPEN_CYCLE = "no_open_cycle"
    NOMINATIONS_CLOSED = "nominations_closed"


# HR may override time in level (with a reason); the cycle reasons give way when HR nominates
# off-cycle (with a reason). Nothing overrides the others.
CYCLE_REASONS = (Reason.NO_OPEN_CYCLE, Reason.NOMINATIONS_CLOSED)


def readable_by(*, user, member: Member) -> bool:
    """Whether `user` may read `member`'s eligibility: those who nominate or are nominated (the
    member, their manager, HR). Not the committee as such: it judges nominations, it does not
    make them, and `open_promotion` per member would name the candidate of a blind case
    (docs/decisions.md, "Blind review")."""
    if roles.is_hr(user):
        return True
    me = member_of(user)
    return me is not None and me.pk in (member.pk, member.manager_id)


def months_between(since: date, today: date) -> int:
    """Whole months from `since` to `today` (31 Jan → 28 Feb is 0, → 1 Mar is 1)."""
    months = (today.year - since.year) * 12 + today.month - since.month
    if today.day < since.day:
        months -= 1
    return max(months, 0)


def reason(code: Reason, detail: str) -> dict:
    """One reason against a nomination, as the API shows it."""
    return {"code": str(code), "detail": detail}


@dataclass
class Blockers:
    """What stands between a member and a move up, for one target level."""

    level: Level
    reasons: list[dict] = field(default_factory=list)
    cycle: Cycle | None = None  # where a nomination now would attach

    def add(self, code: Reason, detail: str) -> None:
        self.reasons.append(reason(code, detail))

    @property
    def codes(self) -> set[str]:
        return {reason["code"] for reason in self.reasons}

    @property
    def eligible(self) -> bool:
        return not self.reasons


def active_cycles() -> list[Cycle]:
    return list(Cycle.objects.filter(state__in=ACTIVE_CYCLE_STATES))


def cycle_of_track(track: str, cycles: list[Cycle]) -> Cycle | None:
    """The open or calibrating cycle that takes `track` (two never share one)."""
    return next((cycle for cycle in cycles if cycle.takes(track)), None)


def _member_facts(member: Member) -> tuple[bool, bool]:
    """(an open promotion, a pending one): one query."""
    return _members_facts([member.pk])[member.pk]


def _members_facts(member_ids: list[int]) -> dict[int, tuple[bool, bool]]:
    """For each member, (an open promotion, a pending one): one query for them all. A decision
    held for its cycle's release date counts as open, for everyone: the candidate must not learn
    it from their reasons, and nobody nominates them again before they have been told."""
    rows = (
        Promotion.objects.filter(candidate_id__in=member_ids)
        .filter(UNSETTLED | Q(release_held=True))
        .values_list("candidate_id", "state", "release_held")
    )
    states: dict[int, set[str]] = {member_id: set() for member_id in member_ids}
    for member_id, state, held in rows:
        states[member_id].add(PromotionState.IN_REVIEW if held else state)
    return {
        member_id: (bool(held & set(OPEN_STATES)), PromotionState.APPROVED in held)
        for member_id, held in states.items()
    }


def blockers_for(
    *,
    member: Member,
    to_level: Level,
    move_active: bool,
    facts: tuple[bool, bool],
    cycles: list[Cycle],
    today: date,
) -> Blockers:
    """Every reason `member` may not be nominated for `to_level` today, and the cycle a
    nomination would attach to."""
    has_open, has_pending = facts
    blockers = Blockers(level=to_level)
    if not member.is_active:
        blockers.add(Reason.INACTIVE, "The member is not active.")
    if has_open:
        blockers.add(Reason.OPEN_PROMOTION, "The member already has an open promotion.")
    if has_pending:
        blockers.add(
            Reason.PROMOTION_PENDING,
            "The member has an approved promotion that is not yet effective.",
        )
    if not move_active:
        blockers.add(
            Reason.MOVE_INACTIVE,
            f"The move {member.level.code} → {to_level.code} is deactivated.",
        )
    required = member.level.min_months_in_level
    months = months_between(member.level_since, today)
    if months < required:
        blockers.add(
            Reason.TIME_IN_LEVEL,
            f"{months} of the {required} months required at {member.level.code} "
            f"(since {member.level_since.isoformat()}).",
        )
    cycle = cycle_of_track(to_level.track, cycles)
    if cycle is None:
        if settings.PROMOTIONS_REQUIRE_CYCLE:
            blockers.add(
                Reason.NO_OPEN_CYCLE,
                f"No promotion cycle is open for the {to_level.track} track.",
            )
    elif cycle.state == CycleState.CALIBRATING:
        blockers.add(
            Reason.NOMINATIONS_CLOSED,
            f"Nominations to {cycle.name} are closed: it is calibrating.",
        )
    elif today > cycle.nominations_close_on:
        blockers.add(
            Reason.NOMINATIONS_CLOSED,
            f"Nominations to {cycle.name} closed on {cycle.nominations_close_on.isoformat()}.",
        )
    else:
        blockers.cycle = cycle
    return blockers


def member_eligibility(*, member: Member, today: date | None = None) -> list[Blockers]:
    """For every move up from the member's level (active or not), the reasons against it. Three
    queries, whatever the ladder."""
    return members_eligibility(members=[member], today=today)[member.pk]


def members_eligibility(
    *, members: list[Member], today: date | None = None
) -> dict[int, list[Blockers]]:
    """member_eligibility for many members (a manager's team): three queries, whatever their
    number. The members come with their levels loaded."""
    today = today or timezone.localdate()
    moves = LevelTransition.objects.filter(
        from_level_id__in={member.level_id for member in members}
    ).select_related("to_level")
    moves_from: dict[int, list[LevelTransition]] = {}
    for move in moves.order_by("to_level__rank"):
        moves_from.setdefault(move.from_level_id, []).append(move)
    facts = _members_facts([member.pk for member in members])
    cycles = active_cycles()
    return {
        member.pk: [
            blockers_for(
                member=member,
                to_level=move.to_level,
                move_active=move.is_active,
                facts=facts[member.pk],
                cycles=cycles,
                today=today,
            )
            for move in moves_from.get(member.level_id, [])
        ]
        for member in members
    }


def nomination_blockers(
    *, member: Member, move: LevelTransition, today: date | None = None
) -> Blockers:
    """The reasons against nominating `member` for the move's target level, for the nomination
    service (which found the move: it exists)."""
    return blockers_for(
        member=member,
        to_level=move.to_level,
        move_active=move.is_active,
        facts=_member_facts(member),
        cycles=active_cycles(),
        today=today or timezone.localdate(),
    )


REASON_CHOICES = [str(reason) for reason in Reason]
