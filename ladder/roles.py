"""Who is who. The one place that knows the group names (DESIGN.md, "Roles")."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group

COMMITTEE_GROUP = "Promotion committee"
HR_GROUP = "HR"
ROLE_GROUPS = (HR_GROUP, COMMITTEE_GROUP)


def _group_names(user) -> set[str]:
    # Cached on the user object: a request asks these questions many times.
    if not hasattr(user, "_ladder_group_names"):
        user._ladder_group_names = set(
            Group.objects.filter(user=user).values_list("name", flat=True)
        )
    return user._ladder_group_names


def is_hr(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or HR_GROUP in _group_names(user)


def is_committee(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return COMMITTEE_GROUP in _group_names(user)


def sees_everyone(user) -> bool:
    """HR and the committee see every member and every promotion (recusal aside)."""
    return is_hr(user) or is_committee(user)
