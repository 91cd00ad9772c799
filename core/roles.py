"""Who is who. The one place that knows the group names (docs/design.md, "Roles"): whether a user
is HR or on the committee, and who those users are. In core, as every app asks it (the delivery
apps too, to learn who is HR) and it needs no app's models: only Django's users and groups."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, AnonymousUser, Group
from django.db.models import Q

COMMITTEE_GROUP = "Promotion committee"
HR_GROUP = "HR"
EXECUTIVES_GROUP = "Executives"
# The only role that reads self-reported demographics, and only as suppressed aggregates
# (docs/analytics.md). Not HR by default.
PEOPLE_ANALYTICS_GROUP = "People analytics"
ROLE_GROUPS = (HR_GROUP, COMMITTEE_GROUP)
# The groups HR grants in the admin's user form; their users work in the admin (staff).
STAFF_GROUPS = (*ROLE_GROUPS, PEOPLE_ANALYTICS_GROUP)
# The groups whose members HR may manage (an identity provider keeps them over SCIM): holding
# one of them is not a right beyond HR's.
HR_MANAGED_GROUPS = (*ROLE_GROUPS, EXECUTIVES_GROUP, PEOPLE_ANALYTICS_GROUP)


class Provisioner:
    """The identity provider, acting over SCIM with a token HR issued (accounts/scim/): HR's
    rights over people's records, never a superuser's, no promotion of its own (so no conflict
    of interest). It is no user: the audit trail records its changes with no actor and the
    route `scim`."""

    pk = None
    id = None
    is_active = True
    is_authenticated = False  # not a user: audit rows name no actor
    is_superuser = False
    is_staff = False

    def __str__(self) -> str:
        return "the identity provider (SCIM)"


PROVISIONER = Provisioner()


def group_names(user) -> set[str]:
    """The names of the user's groups, read once per request (with the token, for the API)."""
    if not hasattr(user, "_group_names"):
        keep_group_names(user, Group.objects.filter(user=user).values_list("name", flat=True))
    return user._group_names


def keep_group_names(user, names) -> None:
    """Remember the user's group names, read by the caller (token authentication reads them in
    the token's query)."""
    user._group_names = set(names)


def is_hr(user: AbstractUser | AnonymousUser | Provisioner) -> bool:
    if isinstance(user, Provisioner):
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or HR_GROUP in group_names(user)


def is_committee(user: AbstractUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return COMMITTEE_GROUP in group_names(user)


def outranks_hr(user) -> bool:
    """A superuser, or an account holding rights beyond the two roles (raw permissions, another
    group): its records are for superusers, or HR could take over more than HR may do."""
    if user.is_superuser:
        return True
    return (
        user.user_permissions.exists() or user.groups.exclude(name__in=HR_MANAGED_GROUPS).exists()
    )


def outranking_hr(user_ids: Iterable[int]) -> set[int]:
    """outranks_hr as one query, for many users at once: those of `user_ids` who outrank HR."""
    outranking = (
        get_user_model()
        .objects.filter(pk__in=list(user_ids))
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__isnull=False)
            | Q(groups__in=Group.objects.exclude(name__in=HR_MANAGED_GROUPS))
        )
    )
    return set(outranking.values_list("pk", flat=True).distinct())


# --- Separation of duties ----------------------------------------------------------------------
# Apps that know of a conflict of interest register a check here (promotions: "your own promotion
# is open"); the ladder asks them before account work, without importing them.
_account_conflict_checks: list[Callable[[Any], str | None]] = []


def register_account_conflict_check(check: Callable[[Any], str | None]) -> None:
    if check not in _account_conflict_checks:
        _account_conflict_checks.append(check)


def account_conflict(user) -> str | None:
    """Why `user` may not administer accounts now (committee membership, passwords, who is
    active, who manages whom), or None."""
    if isinstance(user, Provisioner):
        return None
    for check in _account_conflict_checks:
        reason = check(user)
        if reason:
            return reason
    return None


def sees_everyone(user) -> bool:
    """HR and the committee see every member and every promotion (recusal aside)."""
    return is_hr(user) or is_committee(user)


def is_executive(user) -> bool:
    """A user of the group `Executives`: the final approval of moves to levels marked
    `executive_approval`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return EXECUTIVES_GROUP in group_names(user)


def is_people_analytics(user) -> bool:
    """A user of the group `People analytics`: reads demographics as suppressed aggregates."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return PEOPLE_ANALYTICS_GROUP in group_names(user)


def sees_promotions(user) -> bool:
    """Every promotion, as the committee reads it: HR, the committee and the Executives."""
    return sees_everyone(user) or is_executive(user)


# --- Who holds a role: the recipients of role-addressed notifications --------------------------


def committee_user_ids() -> list[int]:
    """The active users of the group `Promotion committee`."""
    return list(
        get_user_model()
        .objects.filter(groups__name=COMMITTEE_GROUP, is_active=True)
        .values_list("id", flat=True)
    )


def committee_and_readers_among(user_ids: Iterable[int]) -> list[int]:
    """The active committee, and those of `user_ids` who see the committee's work (roles:
    the committee, HR, superusers), active: one query."""
    readers = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=(COMMITTEE_GROUP, HR_GROUP)) | Q(is_superuser=True))
    )
    chosen = readers.filter(Q(groups__name=COMMITTEE_GROUP) | Q(pk__in=list(user_ids)))
    return list(chosen.distinct().values_list("id", flat=True))


def executive_user_ids() -> list[int]:
    """The active users of the group `Executives`."""
    return list(
        get_user_model()
        .objects.filter(groups__name=EXECUTIVES_GROUP, is_active=True)
        .values_list("id", flat=True)
    )


def hr_user_ids() -> list[int]:
    """The active users who act as HR: the group `HR`, and superusers."""
    return list(
        get_user_model()
        .objects.filter(Q(groups__name=HR_GROUP) | Q(is_superuser=True), is_active=True)
        .distinct()
        .values_list("id", flat=True)
    )
