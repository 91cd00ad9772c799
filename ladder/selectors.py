"""Reads, scoped to the requesting user."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet

from accounts.invitations import invitation_dates
from core import roles
from core.errors import NotFound
from ladder.models import Criterion, Level, LevelTransition, Member

User = get_user_model()


def level_list() -> QuerySet[Level]:
    return Level.objects.order_by("rank")


# --- Which moves are allowed: one table, asked one way ------------------------------------------


def active_move_rows() -> QuerySet[LevelTransition]:
    """What "an allowed move" means: a LevelTransition that is active."""
    return LevelTransition.objects.filter(is_active=True)


def active_moves(*, version: int | None = None) -> set[tuple[int, int]]:
    """(from_level_id, to_level_id) of every active move (`version`: see ladder_snapshot)."""
    return set(ladder_snapshot(version=version).moves)


def levels_by_id(*, version: int | None = None) -> dict[int, Level]:
    """Every level, by id: new instances each call (a caller may change its own)."""
    return {row["id"]: Level(**row) for row in ladder_snapshot(version=version).levels}


# --- Levels and moves, kept in memory under the ladder's version -------------------------------
# Every page of promotions needs the nine levels and the active moves. A trigger gives the ladder
# a new version number in every transaction that writes either table (ladder.models.LadderVersion),
# so reading that number (one tiny query, or a column of a query made anyway) tells whether what
# this process keeps is current.


@dataclass(frozen=True)
class LadderSnapshot:
    key: tuple[str, int | None]  # the database's name and the ladder's version
    levels: tuple[dict, ...]
    moves: frozenset[tuple[int, int]]


_snapshot: LadderSnapshot | None = None


# The version as a column: a query that reads it with its rows saves a round trip.
LADDER_VERSION_SQL = "SELECT number FROM ladder_ladderversion WHERE id = 1"


def ladder_snapshot(*, version: int | None = None) -> LadderSnapshot:
    """The levels and active moves as the ladder's current version has them; `version`: the
    number just read with other rows (LADDER_VERSION_SQL), else it is read here."""
    global _snapshot
    if version is None:
        with connection.cursor() as cursor:
            cursor.execute(LADDER_VERSION_SQL)
            row = cursor.fetchone()
        version = row[0] if row else None  # no row (a test flushed it): read afresh each time
    key = (connection.settings_dict["NAME"], version)
    kept = _snapshot
    if version is not None and kept is not None and kept.key == key:
        return kept
    # Read after the version: at least as new as it, so never older than what it names.
    fresh = LadderSnapshot(
        key=key,
        levels=tuple(Level.objects.values(*(f.attname for f in Level._meta.concrete_fields))),
        moves=frozenset(active_move_rows().values_list("from_level_id", "to_level_id")),
    )
    _snapshot = fresh
    return fresh


def move_is_allowed(
    *, from_level_id: int, to_level_id: int, moves: set[tuple[int, int]] | None = None
) -> bool:
    """Whether from → to is an active allowed move (`moves`: active_moves(), if already read)."""
    return (from_level_id, to_level_id) in (active_moves() if moves is None else moves)


def level_next_levels(*, level: Level) -> list[Level]:
    """The levels one active move away from `level`, lowest rank first."""
    targets = active_move_rows().filter(from_level=level).values("to_level_id")
    return list(Level.objects.filter(pk__in=targets).order_by("rank"))


def level_transition_list() -> QuerySet[LevelTransition]:
    return LevelTransition.objects.select_related("from_level", "to_level")


def member_of(user) -> Member | None:
    """The user's place on the ladder, or None (HR staff need not be on it)."""
    if not user.is_authenticated:
        return None
    # Django caches only a found reverse one-to-one; remember a miss too (asked many times).
    if not hasattr(user, "_ladder_member"):
        try:
            user._ladder_member = user.member
        except Member.DoesNotExist:
            user._ladder_member = None
    return user._ladder_member


# Apps that know more of a member register it here as an annotation (promotions: a pending
# promotion), so member records show it without the ladder importing those apps.
_member_annotations: dict[str, Callable[[Any], Any]] = {}


def register_member_annotation(name: str, expression: Callable[[Any], Any]) -> None:
    """`expression(user)`: the annotation of member rows as `user` reads them."""
    _member_annotations[name] = expression


def member_list_visible_to(*, user) -> QuerySet[Member]:
    """HR and committee: everyone; a manager: self and direct reports; a member: self. For HR,
    each with `invited_at` and `invitation_accepted_at` (accounts.invitations.invitation_dates)."""
    members = (
        Member.objects.select_related("user", "level", "manager__user")
        .annotate(**{name: make(user) for name, make in _member_annotations.items()})
        .order_by("id")
    )
    if roles.is_hr(user):
        # HR reads whether and when people were invited (null for everyone else).
        return members.annotate(**invitation_dates(OuterRef("user_id")))
    if roles.sees_everyone(user):
        return members
    me = member_of(user)
    if me is None:
        return members.none()
    return members.filter(Q(pk=me.pk) | Q(manager=me))


def member_get_visible_to(*, user, member_id) -> Member:
    try:
        return member_list_visible_to(user=user).get(pk=member_id)
    except (Member.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such member.", code="no_such_member") from None


def member_has_reports(*, member: Member) -> bool:
    """Whether `member` manages anyone now (the member site shows them their team)."""
    return Member.objects.filter(manager=member, is_active=True).exists()


def level_criteria(*, level: Level) -> list[Criterion]:
    """What a promotion to `level` is judged against now: its active criteria, in order."""
    return list(level.criteria.filter(is_active=True).order_by("order", "id"))


def levels_criteria(*, levels: list[Level]) -> dict[int, list[Criterion]]:
    """level_criteria for several levels (a member's next ones): one query."""
    criteria: dict[int, list[Criterion]] = {level.pk: [] for level in levels}
    rows = Criterion.objects.filter(level__in=levels, is_active=True).order_by("order", "id")
    for criterion in rows:
        criteria[criterion.level_id].append(criterion)
    return criteria


def level_get(*, code: str) -> Level:
    """One level by its code."""
    try:
        level = Level.objects.get(code=code)
    except Level.DoesNotExist:
        raise NotFound("No such level.", code="no_such_level") from None
    return level


def member_me(*, user) -> Member:
    """The requesting user's own record."""
    me = member_of(user)
    if me is None:
        raise NotFound("You have no member record.", code="no_member_record")
    return member_list_visible_to(user=user).get(pk=me.pk)
