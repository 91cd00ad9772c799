"""Reads for SCIM: the members the identity provider sees (not those it deleted), one by its
SCIM id (the user's id), lists by filter, and the role groups."""

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet

from accounts.scim import errors
from accounts.scim.filters import filter_parse
from core import roles
from ladder.models import Member

# The groups SCIM provisions; no others are shown or changed.
SCIM_GROUPS = (
    roles.HR_GROUP,
    roles.COMMITTEE_GROUP,
    roles.EXECUTIVES_GROUP,
    roles.PEOPLE_ANALYTICS_GROUP,
)

USER_FILTERS = {
    "username": "userName",
    "externalid": "externalId",
    "emails.value": "emails.value",
    "emails": "emails.value",  # `emails eq "x"` means its value (RFC 7644 §3.4.2.2)
}
_USER_LOOKUPS = {
    "userName": "user__username__iexact",  # userName is not case-exact (RFC 7643 §4.1.1)
    "externalId": "user__scim_identity__external_id",  # case-exact
    "emails.value": "user__email__iexact",
}
GROUP_FILTERS = {"displayname": "displayName", "externalid": "externalId"}


def _id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def scim_members() -> QuerySet[Member]:
    return (
        Member.objects.select_related("user", "level", "manager__user", "user__scim_identity")
        .exclude(user__scim_identity__deleted_at__isnull=False)
        .order_by("user_id")
    )


def scim_member_get(*, scim_id: str) -> Member:
    pk = _id(scim_id)
    member = scim_members().filter(user_id=pk).first() if pk else None
    if member is None:
        raise errors.not_found(f"No user has the id {scim_id!r}.")
    return member


def scim_member_list(*, filter_text: str | None) -> QuerySet[Member]:
    members = scim_members()
    if filter_text is not None:
        for attribute, value in filter_parse(filter_text, attributes=USER_FILTERS):
            members = members.filter(**{_USER_LOOKUPS[attribute]: value})
    return members


def scim_groups() -> QuerySet[Group]:
    return Group.objects.filter(name__in=SCIM_GROUPS).order_by("pk")


def scim_group_get(*, scim_id: str) -> Group:
    pk = _id(scim_id)
    group = scim_groups().filter(pk=pk).first() if pk else None
    if group is None:
        raise errors.not_found(f"No group has the id {scim_id!r}.")
    return group


def scim_group_list(*, filter_text: str | None) -> QuerySet[Group]:
    groups = scim_groups()
    if filter_text is not None:
        for attribute, value in filter_parse(filter_text, attributes=GROUP_FILTERS):
            # A role group has no externalId: asked for one, it is none of them.
            groups = groups.filter(name=value) if attribute == "displayName" else groups.none()
    return groups


def group_member_ids(*, group: Group) -> list[int]:
    """The users of the group who are on the ladder and visible to SCIM."""
    return list(
        Member.objects.filter(user__groups=group)
        .filter(Q(user__scim_identity__isnull=True) | Q(user__scim_identity__deleted_at=None))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
