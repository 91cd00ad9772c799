"""Reads, scoped to the requesting user."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from ladder import roles
from ladder.errors import NotFound
from ladder.models import Level, LevelTransition, Member

User = get_user_model()


def level_list() -> QuerySet[Level]:
    return Level.objects.order_by("rank")


def level_next_levels(*, level: Level) -> QuerySet[Level]:
    """The levels one active move away from `level`, lowest rank first."""
    return Level.objects.filter(moves_in__from_level=level, moves_in__is_active=True).order_by(
        "rank"
    )


def level_transition_list() -> QuerySet[LevelTransition]:
    return LevelTransition.objects.select_related("from_level", "to_level")


def committee_user_ids() -> list[int]:
    """The active users of the group `Promotion committee`."""
    return list(
        User.objects.filter(groups__name=roles.COMMITTEE_GROUP, is_active=True).values_list(
            "id", flat=True
        )
    )


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


def member_list_visible_to(*, user) -> QuerySet[Member]:
    """HR and committee: everyone; a manager: self and direct reports; a member: self."""
    members = Member.objects.select_related("user", "level", "manager__user").order_by("id")
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


def level_get(*, code: str) -> Level:
    """One level, with `next_levels` attached."""
    try:
        level = Level.objects.get(code=code)
    except Level.DoesNotExist:
        raise NotFound("No such level.", code="no_such_level") from None
    level.next_levels = list(level_next_levels(level=level))
    return level


def member_me(*, user) -> Member:
    """The requesting user's own record, with `next_levels` attached."""
    me = member_of(user)
    if me is None:
        raise NotFound("You have no member record.", code="no_member_record")
    me = member_list_visible_to(user=user).get(pk=me.pk)
    me.next_levels = list(level_next_levels(level=me.level))
    return me
