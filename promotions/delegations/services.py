"""Writes to delegations (docs/design.md, "Delegation"): a committee member or an Executive (or
HR for them) hands their seat to someone holding the same role, from one day to another; the
delegator or HR revokes it. Each write is one transaction, audited with the change."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import config_change_record, snapshot
from core import roles
from core.errors import ErrorCode as CoreErrorCode
from core.errors import InvalidInput
from core.validators import DATE_HORIZON
from ladder.services import ensure_may_administer_accounts
from promotions.delegations.models import Delegation
from promotions.delegations.selectors import seat_roles_of
from promotions.errors import ActionNotAllowed, ErrorCode


def _recorded(delegation: Delegation) -> dict:
    values = snapshot(delegation, ("starts_on", "ends_on"))
    values["delegator"] = delegation.delegator.get_username()
    values["delegate"] = delegation.delegate.get_username()
    return values


def ensure_may_name_for_others(actor) -> None:
    """Only HR names a delegate for someone else's seat, and not while their own promotion is
    open: choosing who casts a seat's vote is committee work, under the rule for committee
    membership (roles.account_conflict; 403 `conflict_of_interest`)."""
    if not roles.is_hr(actor):
        raise ActionNotAllowed("Only HR may name a delegate for someone else's seat.")
    ensure_may_administer_accounts(actor)


def ensure_may_name_delegate(actor, delegator) -> None:
    """One's own seat, or HR for anyone free of a conflict of interest (403 otherwise)."""
    if roles.is_hr(actor):
        if actor.pk != delegator.pk:
            ensure_may_name_for_others(actor)
        return
    if actor.pk != delegator.pk or not seat_roles_of(actor):
        raise ActionNotAllowed(
            "You may hand over your own seat on the committee or among the Executives; HR may "
            "for anyone."
        )


def _overlapping(starts_on: date, ends_on: date) -> Q:
    return Q(starts_on__lte=ends_on, ends_on__gte=starts_on)


def _lock_people(*users) -> None:
    """Delegations naming any of these people queue here: the overlap and chain checks below
    read what a concurrent request would write."""
    ids = sorted({user.pk for user in users})
    list(get_user_model().objects.select_for_update().filter(pk__in=ids).order_by("pk"))


@transaction.atomic
def delegation_create(
    *, actor, delegator, delegate, starts_on: date, ends_on: date, today: date | None = None
) -> Delegation:
    """Hand `delegator`'s seat to `delegate` from `starts_on` to `ends_on` (both included). 403
    unless it is the actor's own seat or the actor is HR; 400 for oneself, a delegator holding no
    seat, a delegate without every role of the seat, dates out of order or starting in the past,
    an overlap with another delegation of the delegator, or a chain (the delegate has handed
    their own seat over then, or the delegator holds someone's seat then)."""
    ensure_may_name_delegate(actor, delegator)
    today = today or timezone.localdate()
    if delegator.pk == delegate.pk:
        raise InvalidInput("You cannot delegate to yourself.", code=ErrorCode.SELF_DELEGATION)
    seats = seat_roles_of(delegator)
    if not seats:
        raise InvalidInput(
            f"{delegator.get_username()} is neither on the committee nor an Executive: there is "
            "no seat to hand over.",
            code=ErrorCode.DELEGATOR_LACKS_ROLE,
        )
    if not seats <= seat_roles_of(delegate):
        raise InvalidInput(
            f"{delegate.get_username()} does not hold the seat's role "
            f"({', '.join(sorted(seats))}): a delegate holds the same role.",
            code=ErrorCode.DELEGATE_LACKS_ROLE,
        )
    if ends_on < starts_on:
        raise InvalidInput(
            "The delegation ends on or after the day it starts.",
            code=ErrorCode.DELEGATION_DATES_OUT_OF_ORDER,
        )
    if starts_on < today:
        raise InvalidInput(
            "A delegation starts today or later: votes already cast stay as they were.",
            code=ErrorCode.DELEGATION_STARTS_IN_PAST,
        )
    if ends_on > today + DATE_HORIZON:
        raise InvalidInput(
            f"A delegation ends at most {DATE_HORIZON.days} days from today.",
            code=CoreErrorCode.DATE_TOO_FAR,
        )
    _lock_people(delegator, delegate)
    during = Delegation.objects.filter(_overlapping(starts_on, ends_on))
    if during.filter(delegator=delegator).exists():
        raise InvalidInput(
            f"{delegator.get_username()} has already handed their seat over for some of these "
            "days: revoke that delegation first.",
            code=ErrorCode.DELEGATION_OVERLAPS,
        )
    if during.filter(delegator=delegate).exists():
        raise InvalidInput(
            f"{delegate.get_username()} has handed their own seat over for some of these days: "
            "delegations do not chain.",
            code=ErrorCode.DELEGATION_CHAIN,
        )
    if during.filter(delegate=delegator).exists():
        raise InvalidInput(
            f"{delegator.get_username()} holds someone else's seat for some of these days: "
            "delegations do not chain.",
            code=ErrorCode.DELEGATION_CHAIN,
        )
    delegation = Delegation.objects.create(
        delegator=delegator,
        delegate=delegate,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )
    recorded = _recorded(delegation)
    config_change_record(
        actor=actor,
        action="delegation created",
        target=delegation,
        changes={name: {"from": None, "to": value} for name, value in recorded.items()},
    )
    return delegation


def ensure_may_revoke(actor, delegation: Delegation) -> None:
    """The delegator, or HR free of a conflict of interest (403 otherwise: the delegate reads it,
    and may ask them). Revoking someone else's seat's delegation hands the vote back, so it is
    the same choice as naming one (ensure_may_name_for_others)."""
    if actor.pk == delegation.delegator_id:
        return
    if roles.is_hr(actor):
        ensure_may_administer_accounts(actor)
        return
    raise ActionNotAllowed("Only the delegator or HR may revoke a delegation.")


@transaction.atomic
def delegation_revoke(*, actor, delegation: Delegation) -> None:
    """End a delegation now by deleting it; the audit trail keeps what it was, and votes the
    delegate cast for the seat stay (each names who cast it)."""
    ensure_may_revoke(actor, delegation)
    recorded = _recorded(delegation)
    config_change_record(
        actor=actor,
        action="delegation revoked",
        target=delegation,
        changes={name: {"from": value, "to": None} for name, value in recorded.items()},
    )
    Delegation.objects.filter(pk=delegation.pk).delete()
