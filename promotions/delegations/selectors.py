"""Reads of delegations: who sees which, the seat a delegate holds today, and who stands in for
the recipients of a message."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from core import roles
from core.errors import NotFound
from promotions import permissions
from promotions.delegations.models import Delegation
from promotions.errors import ActionNotAllowed, ErrorCode

# The roles that are seats: a committee member's vote, an Executive's approval. HR is no seat (HR
# does the committee's work besides its own, and is many).
SEAT_ROLES = (roles.COMMITTEE_GROUP, roles.EXECUTIVES_GROUP)


class DelegationNotFound(NotFound):
    code = ErrorCode.NO_SUCH_DELEGATION
    default_message = "No such delegation."


def seat_roles_of(user) -> set[str]:
    """The seats `user` holds now: active, in the committee's or the Executives' group."""
    if not user.is_authenticated or not user.is_active:
        return set()
    return roles.group_names(user) & set(SEAT_ROLES)


def ensure_reads_delegations(user) -> None:
    """Delegations are for those who hold a seat, and HR (403 for others)."""
    if not (roles.is_hr(user) or seat_roles_of(user)):
        raise ActionNotAllowed("Delegations are for the committee, the Executives and HR.")


def delegations_visible_to(*, user) -> QuerySet[Delegation]:
    """HR: every delegation; a seat holder: those they gave or hold; anyone else: none."""
    rows = Delegation.objects.select_related("delegator", "delegate").order_by("-starts_on", "-id")
    if roles.is_hr(user):
        return rows
    if seat_roles_of(user):
        return rows.filter(Q(delegator=user) | Q(delegate=user))
    return rows.none()


def delegation_get_visible_to(*, user, delegation_id) -> Delegation:
    try:
        return delegations_visible_to(user=user).get(pk=delegation_id)
    except (Delegation.DoesNotExist, ValueError, TypeError):
        raise DelegationNotFound() from None


def in_force(on: date | None = None) -> QuerySet[Delegation]:
    """Delegations in force on `on` (today): started, not yet ended (both days included)."""
    on = on or timezone.localdate()
    return Delegation.objects.filter(starts_on__lte=on, ends_on__gte=on)


def seat_held_by(*, delegate, delegator_username: str, on: date | None = None):
    """The user whose seat `delegate` holds today by a delegation from `delegator_username`; 403
    `no_delegation` when there is none in force (none at all, not yet started, ended, revoked), or
    either of them no longer holds the seat's role (a delegation never outlasts the role)."""
    refusal = ActionNotAllowed(
        f"You hold no delegation from {delegator_username[:150]} in force today.",
        code=ErrorCode.NO_DELEGATION,
    )
    row = (
        in_force(on)
        .filter(delegate_id=delegate.pk, delegator__username=delegator_username)
        .select_related("delegator")
        .first()
    )
    if row is None:
        raise refusal
    seat = row.delegator
    shared = seat_roles_of(seat)
    if not shared or not shared <= seat_roles_of(delegate):
        raise refusal
    return seat


@dataclass(frozen=True)
class Seat:
    delegator_id: int
    delegate_id: int
    delegator: str  # the username


def stand_ins_among(recipient_ids: list[int], on: date | None = None) -> list[Seat]:
    """For each of `recipient_ids` who has handed their seat to someone today, that delegate
    (active): one query."""
    if not recipient_ids:
        return []
    rows = list(
        in_force(on)
        .filter(delegator_id__in=recipient_ids, delegate__is_active=True)
        .values_list("delegator_id", "delegate_id", "delegator__username")
        .order_by("id")
    )
    if not rows:
        return []
    # A delegation never outlasts the role: the delegate still holds every seat role of the
    # delegator (one query, only when some recipient has handed their seat over).
    people = {person for row in rows for person in row[:2]}
    held: dict[int, set[str]] = {person: set() for person in people}
    memberships = get_user_model().groups.through.objects.filter(
        user_id__in=people, group__name__in=SEAT_ROLES
    )
    for person, role in memberships.values_list("user_id", "group__name"):
        held[person].add(role)
    return [
        Seat(delegator, delegate, name)
        for delegator, delegate, name in rows
        if held[delegator] and held[delegator] <= held[delegate]
    ]


def delegated_seat_for_review(*, delegate, delegator_username: str, promotion):
    """The seat a delegate votes for on `promotion` (the delegate's own checks already passed):
    403 `no_delegation` without a delegation in force today, 403 `seat_recused` where the seat
    may not review this promotion (involved in it, an author of its packet, ...)."""
    seat = seat_held_by(delegate=delegate, delegator_username=delegator_username)
    if not permissions.allows(seat, permissions.REVIEW, promotion):
        raise ActionNotAllowed(
            f"{seat.get_username()} may not review this promotion (they are involved in it): "
            "nor may anyone for them.",
            code=ErrorCode.SEAT_RECUSED,
        )
    return seat


def seats_held_today(*, user) -> list[str]:
    """The usernames of those whose seat `user` holds today (the desk offers to vote for each)."""
    if not seat_roles_of(user):
        return []
    names = (
        in_force()
        .filter(delegate_id=user.pk, delegator__is_active=True)
        .values_list("delegator__username", flat=True)
        .order_by("delegator__username")
    )
    return list(names)
