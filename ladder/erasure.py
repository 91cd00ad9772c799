"""A member's right to erasure (GDPR Art. 17; docs/data-rights.md): HR erases the personal data
of a member who has left. The record stays under a pseudonym (`erased-<member id>`) so that the
decisions and the career history it carries stay true; the names, the e-mail address, the
username, the credentials and the identity provider's identifiers go, the text of every message
to the person is emptied, and each app's own personal data (core.personal_data) is erased.

Audit rows that held the person's names or address are rewritten (the value replaced by
`ERASED`, a username by the pseudonym, only where a row names them) through the audit chain's
`record_erased`, which keeps the chain verifying: only a row's erasable columns (free text and
names, audit.content.ERASABLE) change, and the hashes of their values before and after are
chained; every other column stays checked."""

import re
from collections.abc import Callable

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.services import account_identifiers_erase
from audit.chain import record_erased
from audit.models import ChainedRecord, ConfigChange
from core import personal_data
from core.errors import Conflict
from core.records import append_only_lifted
from ladder.errors import ErrorCode
from ladder.models import Member, MemberChange
from ladder.services import (
    ensure_can_manage_members,
    ensure_may_administer_accounts,
    ensure_may_manage_user,
    ensure_not_own_record,
    member_change_record,
)
from notifications.services import (
    names_pattern,
    notifications_empty_for,
    notifications_names_replace,
)

# What an audit row shows in place of an erased value.
ERASED = "(erased)"
# The fields of people's records whose values are personal data (MemberChange.changes): the
# names, the address, and the identity provider's identifiers a SCIM request records (its
# externalId, employeeNumber and department, which may carry the name).
PERSONAL_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "external_id",
    "employee_number",
    "department",
)

# Checks other apps register (promotions: an open promotion): each answers, for a member, None
# or (code, message) for a 409.
_BLOCKERS: list[Callable[[Member], tuple[str, str] | None]] = []


def register_erasure_blocker(check: Callable[[Member], tuple[str, str] | None]) -> None:
    if check not in _BLOCKERS:
        _BLOCKERS.append(check)


def pseudonym_of(member: Member) -> str:
    return f"erased-{member.pk}"


def rewrite_audited(instance, *, trigger: str, **values) -> None:
    """Rewrite fields of an append-only row: past its append-only trigger (`trigger`, its name;
    core.records.append_only_lifted, as pgtrigger.ignore fails under server-side binding). A row
    of the audit chain is first recorded as erased there (`record_erased`: only its erasable
    columns, audit.content.ERASABLE, may be rewritten, and the hashes of their values before and
    after are chained); a packet version is append-only, not chained."""
    model = type(instance)
    if isinstance(instance, ChainedRecord):
        record_erased(instance, values)
    with append_only_lifted(model, trigger):
        model._base_manager.filter(pk=instance.pk).update(**values)
    for field, value in values.items():
        setattr(instance, field, value)


def _erased_changes(changes: dict, *, old_username: str, pseudonym: str) -> dict:
    rewritten = {}
    for field, change in changes.items():
        if field in PERSONAL_FIELDS and isinstance(change, dict):
            change = {side: (ERASED if value else value) for side, value in change.items()}
        elif field == "manager" and isinstance(change, dict):
            change = {
                side: (pseudonym if value == old_username else value)
                for side, value in change.items()
            }
        rewritten[field] = change
    return rewritten


def _rewrite_member_changes(member: Member, *, old_username: str, pseudonym: str) -> int:
    """The person's own audit rows (their names, address, username), and other people's rows
    that name them as a manager."""
    rows = MemberChange.objects.filter(
        Q(user_id=member.user_id)
        | Q(changes__manager__from=old_username)
        | Q(changes__manager__to=old_username)
    ).order_by("id")
    count = 0
    for row in rows:
        changes = _erased_changes(row.changes, old_username=old_username, pseudonym=pseudonym)
        if changes != row.changes:
            rewrite_audited(row, trigger="member_change_append_only", changes=changes)
            count += 1
    return count


# Where the configuration's trail names people by username (every config_change_record that
# puts one in `target` or `changes`): a delegation's row names its delegator and delegate, in
# `changes` under these keys and in `target` as "<delegator> → <delegate> (<dates>)" (its
# __str__). Nothing else there is a username (a cycle's tracks, a level's code, a webhook's
# description are words that may happen to equal one), so nothing else is rewritten.
USERNAMES_IN_CONFIG = {"promotions.delegation": ("delegator", "delegate")}
_DELEGATION_TARGET = re.compile(r"(?P<delegator>\S+) → (?P<delegate>\S+)(?P<rest> \(.*)?", re.S)


def _renamed(row: ConfigChange, *, old: str, pseudonym: str) -> tuple[str, dict]:
    """The row's target and changes with the person's username, where it names them (the keys of
    USERNAMES_IN_CONFIG), replaced by the pseudonym; every other value as it was."""
    keys = USERNAMES_IN_CONFIG.get(row.target_type, ())
    changes = dict(row.changes)
    for key in keys:
        change = changes.get(key)
        if isinstance(change, dict):
            changes[key] = {side: pseudonym if v == old else v for side, v in change.items()}
    target = row.target
    match = _DELEGATION_TARGET.fullmatch(target) if keys else None
    if match:
        names = [pseudonym if match[key] == old else match[key] for key in keys]
        target = " → ".join(names) + (match["rest"] or "")
    return target, changes


def _rewrite_config_changes(*, old_username: str, pseudonym: str) -> int:
    """The configuration's audit rows that name the person by username (a delegation of their
    seat, given or held): the username becomes the pseudonym there, nowhere else."""
    names_them = Q()
    for key in USERNAMES_IN_CONFIG["promotions.delegation"]:
        names_them |= Q(**{f"changes__{key}__from": old_username})
        names_them |= Q(**{f"changes__{key}__to": old_username})
    rows = ConfigChange.objects.filter(
        names_them, target_type__in=list(USERNAMES_IN_CONFIG)
    ).order_by("id")
    count = 0
    for row in rows:
        target, changes = _renamed(row, old=old_username, pseudonym=pseudonym)
        if (target, changes) != (row.target, row.changes):
            rewrite_audited(
                row, trigger="config_change_append_only", target=target, changes=changes
            )
            count += 1
    return count


def _names_elsewhere_erase(member: Member, *, pseudonym: str) -> None:
    """Where else the person's name, address or username was written as text: the admin's log of
    changes ("Recent actions", a record's history: the object's name as it was then), other
    people's messages that name them, and the invitations recorded in the trail of their record
    ("sent to <address>"). Each becomes the pseudonym (the address: ERASED). Their login records
    (django-axes) are deleted."""
    user = member.user
    names = [user.email, member.name, user.get_username()]
    pattern = names_pattern(names)
    assert pattern is not None  # a username is never empty
    types = ContentType.objects.get_for_models(Member, type(user))
    records = {(types[Member].pk, str(member.pk)), (types[type(user)].pk, str(user.pk))}
    own = Q()
    for content_type_id, object_id in records:
        own |= Q(content_type_id=content_type_id, object_id=object_id)
    mentions = Q()
    for name in names:
        if name:
            mentions |= Q(object_repr__icontains=name)
    for entry in LogEntry.objects.filter(own | mentions).order_by("id"):
        is_own = (entry.content_type_id, entry.object_id) in records
        shown = pseudonym if is_own else pattern.sub(pseudonym, entry.object_repr)
        if shown != entry.object_repr:
            LogEntry.objects.filter(pk=entry.pk).update(object_repr=shown[:200])
    notifications_names_replace(names=names, pseudonym=pseudonym)
    if apps.is_installed("axes"):
        # The login records of django-axes (successes, failures, lock-outs) keep the username
        # (or address) typed: the person's go.
        typed = Q(username__iexact=user.get_username())
        if user.email:
            typed |= Q(username__iexact=user.email)
        for model in ("AccessLog", "AccessAttempt", "AccessFailureLog"):
            apps.get_model("axes", model).objects.filter(typed).delete()
    for row in MemberChange.objects.filter(user=user, changes__has_key="invitation").order_by("id"):
        changes = {
            field: (
                {side: pattern.sub(ERASED, v) if isinstance(v, str) else v for side, v in c.items()}
                if field == "invitation" and isinstance(c, dict)
                else c
            )
            for field, c in row.changes.items()
        }
        if changes != row.changes:
            rewrite_audited(row, trigger="member_change_append_only", changes=changes)


@transaction.atomic
def member_erase(*, actor, member: Member, route: str = "api") -> Member:
    """Erase the personal data of an inactive member without open promotions (HR). 409
    `member_active`, `already_erased`, or a registered blocker's code (`open_promotion`)."""
    ensure_can_manage_members(actor)
    ensure_not_own_record(actor, member)
    ensure_may_administer_accounts(actor)
    member = Member.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
    user = member.user
    ensure_may_manage_user(actor, user)
    if member.erased_at is not None:
        raise Conflict("This member's data is erased already.", code=ErrorCode.ALREADY_ERASED)
    if member.is_active or user.is_active:
        raise Conflict(
            "Only an inactive member's data may be erased: deactivate the member first.",
            code=ErrorCode.MEMBER_ACTIVE,
        )
    for check in _BLOCKERS:
        blocked = check(member)
        if blocked:
            code, message = blocked
            raise Conflict(message, code=code)
    old_username = user.get_username()
    pseudonym = pseudonym_of(member)
    if type(user)._default_manager.filter(username__iexact=pseudonym).exclude(pk=user.pk).exists():
        # Only an account named like a pseudonym by hand: rename it, then erase.
        raise Conflict(
            f"Another account is named {pseudonym}, this member's pseudonym: rename it first.",
            code=ErrorCode.USERNAME_TAKEN,
        )
    # Each app's own data first, while the user still bears the name its rows may quote.
    for section in personal_data.sections():
        section.erase(member)
    _rewrite_member_changes(member, old_username=old_username, pseudonym=pseudonym)
    _rewrite_config_changes(old_username=old_username, pseudonym=pseudonym)
    _names_elsewhere_erase(member, pseudonym=pseudonym)
    user.username = pseudonym
    user.first_name = user.last_name = user.email = ""
    user.is_active = False
    # A new password hash also ends every session the person still had (Django checks the
    # session's hash of the password on each request).
    user.set_unusable_password()
    user.save()
    account_identifiers_erase(user=user)
    notifications_empty_for(user=user)
    member.erased_at = timezone.now()
    member.save(update_fields=["erased_at"])
    # Audited without the erased values: that it happened, by whom, when.
    member_change_record(
        actor=actor, user=user, changes={"erased": {"from": False, "to": True}}, route=route
    )
    return member
