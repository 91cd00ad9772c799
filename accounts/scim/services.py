"""What the identity provider changes over SCIM, each one transaction through the ladder's own
services (ladder/services.py: member_create, member_update; their rules hold as for HR: unknown
manager, reporting loop, superusers untouched), acting as `roles.PROVISIONER`; every change is
audited with the route `scim`. What the ladder does not keep of a person (externalId,
employeeNumber, department) is kept in `ScimIdentity`, audited with the rest."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import ScimIdentity
from accounts.scim import errors
from accounts.scim.mapper import UserInput
from accounts.scim.selectors import group_member_ids, scim_members
from core import roles
from core.errors import DomainError
from ladder import invitations, services
from ladder.models import Member

ROUTE = "scim"
ACTOR = roles.PROVISIONER


def _identity_write(*, member: Member, data: UserInput) -> dict:
    """Keep what the ladder does not; returns the changes for the audit trail."""
    identity, _ = ScimIdentity.objects.select_for_update().get_or_create(user=member.user)
    if data.external_id and (
        ScimIdentity.objects.filter(external_id=data.external_id).exclude(pk=identity.pk).exists()
    ):
        raise errors.ScimError(
            409, f"Another user has the externalId {data.external_id!r}.", "uniqueness"
        )
    after = {
        "external_id": data.external_id,
        "employee_number": data.employee_number,
        "department": data.department,
    }
    changes = {
        field: {"from": getattr(identity, field), "to": value}
        for field, value in after.items()
        if getattr(identity, field) != value
    }
    if changes:
        for field, value in after.items():
            setattr(identity, field, value)
        identity.save()
    return changes


def _ladder_errors(call):
    """Run a ladder service, its refusals as SCIM errors."""
    try:
        return call()
    except DomainError as exc:
        raise errors.from_domain(exc) from None


@transaction.atomic
def scim_user_create(*, data: UserInput) -> Member:
    if data.level is None or data.level_since is None:
        raise errors.invalid_value(
            "A new user needs the ladder extension's level and levelSince "
            "(urn:pmladder:params:scim:schemas:extension:ladder:2.0:User)."
        )
    if data.external_id and ScimIdentity.objects.filter(external_id=data.external_id).exists():
        raise errors.ScimError(
            409, f"Another user has the externalId {data.external_id!r}.", "uniqueness"
        )
    member = _ladder_errors(
        lambda: services.member_create(
            actor=ACTOR,
            username=data.username,
            email=data.email,
            first_name=data.first_name,
            last_name=data.last_name,
            level=data.level,
            manager=data.manager,
            level_since=data.level_since,
            route=ROUTE,
        )
    )
    changes = _identity_write(member=member, data=data)
    services.member_change_record(actor=ACTOR, user=member.user, changes=changes, route=ROUTE)
    if not data.is_active:
        member = _ladder_errors(
            lambda: services.member_update(
                actor=ACTOR, member=member, changes={"is_active": False}, route=ROUTE
            )
        )
    elif settings.SCIM_SEND_INVITES and data.email:
        _ladder_errors(
            lambda: invitations.invitation_send(actor=ACTOR, user=member.user, route=ROUTE)
        )
    return member


@transaction.atomic
def scim_user_replace(*, member: Member, data: UserInput) -> Member:
    """PUT, and PATCH once applied: make the member what `data` says. The place on the ladder
    does not change here (400 `mutability`)."""
    member = Member.objects.select_related("user", "level", "manager").get(pk=member.pk)
    user = member.user
    _ladder_errors(lambda: services.ensure_may_manage_user(ACTOR, user))
    # An erased member's record is closed (409), their identifiers included.
    _ladder_errors(lambda: services.ensure_not_erased(member))
    if data.level is not None and data.level != member.level:
        raise errors.mutability("level changes only through an approved promotion.")
    if data.level_since is not None and data.level_since != member.level_since:
        raise errors.mutability("levelSince changes only through an approved promotion.")
    wanted = {
        "username": data.username,
        "email": data.email,
        "first_name": data.first_name,
        "last_name": data.last_name,
        "is_active": data.is_active,
        "manager": data.manager,
    }
    current = {
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": member.is_active,
        "manager": member.manager,
    }
    changes = {field: value for field, value in wanted.items() if current[field] != value}
    if changes:
        member = _ladder_errors(
            lambda: services.member_update(actor=ACTOR, member=member, changes=changes, route=ROUTE)
        )
    identity_changes = _identity_write(member=member, data=data)
    services.member_change_record(
        actor=ACTOR, user=member.user, changes=identity_changes, route=ROUTE
    )
    return member


@transaction.atomic
def scim_user_delete(*, member: Member) -> None:
    """DELETE: the member is deactivated (their record stays for the audit trail; their API
    tokens are revoked and their sessions end, as the login is inactive) and SCIM sees them no
    more (404)."""
    _ladder_errors(lambda: services.ensure_may_manage_user(ACTOR, member.user))
    if member.is_active:
        _ladder_errors(
            lambda: services.member_update(
                actor=ACTOR, member=member, changes={"is_active": False}, route=ROUTE
            )
        )
    identity, _ = ScimIdentity.objects.select_for_update().get_or_create(user=member.user)
    identity.deleted_at = timezone.now()
    identity.save(update_fields=["deleted_at"])
    services.member_change_record(
        actor=ACTOR,
        user=member.user,
        changes={"scim": {"from": "provisioned", "to": "deleted"}},
        route=ROUTE,
    )


@transaction.atomic
def scim_group_members_set(*, group: Group, user_ids: set[int]) -> None:
    """Make the group's members on the ladder exactly `user_ids` (each a member SCIM sees):
    each one added or removed is audited; HR and the committee are staff (they work in the
    admin). A superuser's groups are not changed (403)."""
    current = set(group_member_ids(group=group))
    added, removed = user_ids - current, current - user_ids
    known = {
        member.user_id: member for member in scim_members().filter(user_id__in=added | removed)
    }
    unknown = sorted(added - set(known))
    if unknown:
        raise errors.invalid_value(
            f"No user has the id {unknown[0]}: add users to a group once they are provisioned."
        )
    for user_id in sorted(added | removed):
        user = known[user_id].user
        _ladder_errors(lambda user=user: services.ensure_may_manage_user(ACTOR, user))
        before = sorted(user.groups.values_list("name", flat=True))
        if user_id in added:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        after = sorted(user.groups.values_list("name", flat=True))
        changes: dict[str, dict] = {"groups": {"from": before, "to": after}}
        if services.user_grant_staff_for_roles(user=user):
            changes["is_staff"] = {"from": False, "to": True}
        services.member_change_record(actor=ACTOR, user=user, changes=changes, route=ROUTE)
