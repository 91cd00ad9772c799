"""HR's invitations to choose a password: who may invite whom, and the audit trail of people's
records. The invitation itself (its token, stored as a digest, and its e-mail) is the accounts
app's (accounts/invitations.py); each service here is one transaction around it.

HR never chooses anyone's password: an invitation e-mails the person a link, single use, valid
INVITE_TTL_HOURS, and a new one voids the older. Never invited: an inactive member, a superuser,
an account HR may not manage (ensure_may_manage_user), oneself; and nobody invites while a
conflict of interest bars them from account work (ensure_may_administer_accounts)."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import invitations as credentials
from accounts.models import Invitation
from audit.routes import current_route
from core import roles
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from ladder import services
from ladder.errors import ErrorCode
from ladder.models import Member

User = get_user_model()


def ensure_may_invite(actor, user) -> None:
    """Whether `actor` may send `user` an invitation: raises the refusal (403, 409) if not."""
    _ensure_may_invite_anyone(actor)
    member = Member.objects.filter(user=user).only("is_active", "erased_at").first()
    _ensure_invitable(
        actor,
        user,
        outranks_hr=None,
        member_active=member is None or member.is_active,
        member_erased=member is not None and member.erased_at is not None,
    )


def _ensure_may_invite_anyone(actor) -> None:
    services.ensure_can_manage_members(actor)
    services.ensure_may_administer_accounts(actor)


def _ensure_invitable(
    actor, user, *, outranks_hr: bool | None, member_active: bool, member_erased: bool = False
) -> None:
    """`outranks_hr`: roles.outranking_hr's answer when many are asked at once (None: ask).
    An erased member is never invited again (409 `already_erased`)."""
    if user.pk == actor.pk:
        raise NotAllowed(
            "You do not invite yourself: change your own password instead.",
            code=ErrorCode.OWN_RECORD,
        )
    services.ensure_may_manage_user(actor, user, outranks_hr=outranks_hr)
    if user.is_superuser:
        raise NotAllowed(
            "A superuser is never invited: they sign in with the password they were given.",
            code=ErrorCode.SUPERUSER_PROTECTED,
        )
    if member_erased:
        raise Conflict(
            "This member's personal data is erased: they are not invited again.",
            code=ErrorCode.ALREADY_ERASED,
        )
    if not (user.is_active and member_active):
        raise Conflict(
            "This member is inactive: reactivate them before inviting them.",
            code=ErrorCode.MEMBER_INACTIVE,
        )
    if not user.email:
        raise Conflict(
            "This person has no e-mail address to send the invitation to.",
            code=ErrorCode.NO_EMAIL_ADDRESS,
        )


@transaction.atomic
def invitation_send(*, actor, user, route: str | None = None) -> Invitation:
    """Invite one person (HR): the invitation and its e-mail are written in this transaction,
    and the e-mail goes out after commit. Voids their older invitation; audited (`route`: where
    the request came from, unless the caller names it, e.g. "import")."""
    user = User.objects.select_for_update().get(pk=user.pk)
    ensure_may_invite(actor, user)
    [invitation] = _issue(actor=actor, users=[user], route=route)
    return invitation


@dataclass
class InvitationsSent:
    """What a batch of invitations did: who was invited, and who was not, with the reason."""

    invited: list[str] = field(default_factory=list)  # usernames
    refused: dict[str, str] = field(default_factory=dict)  # username → why not


@transaction.atomic
def invitations_send(*, actor, users, route: str | None = None) -> InvitationsSent:
    """Invite many people at once (the admin's action, the import): as invitation_send for each
    one that may be invited, in one transaction of a few queries whatever their number; the
    others are left out with the reason. Raises only when the actor may invite nobody."""
    _ensure_may_invite_anyone(actor)
    ids = sorted({user.pk for user in users})
    locked = list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    outranking = roles.outranking_hr(ids) if not actor.is_superuser else set()
    inactive_members = set(
        Member.objects.filter(user_id__in=ids, is_active=False).values_list("user_id", flat=True)
    )
    erased_members = set(
        Member.objects.filter(user_id__in=ids, erased_at__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    result = InvitationsSent()
    invitable = []
    for user in locked:
        try:
            _ensure_invitable(
                actor,
                user,
                outranks_hr=user.pk in outranking,
                member_active=user.pk not in inactive_members,
                member_erased=user.pk in erased_members,
            )
        except DomainError as exc:
            result.refused[user.get_username()] = exc.message
        else:
            invitable.append(user)
    _issue(actor=actor, users=invitable, route=route)
    result.invited = [user.get_username() for user in invitable]
    return result


def _issue(*, actor, users: list, route: str | None) -> list[Invitation]:
    issued, voided = credentials.invitations_issue(
        users=users,
        invited_by=actor if actor.is_authenticated else None,  # SCIM: no user
    )
    services.member_changes_record(
        actor=actor,
        changes={
            invitation.user_id: {
                "invitation": {
                    "from": "open" if invitation.user_id in voided else None,
                    "to": f"sent to {invitation.email}, valid until "
                    f"{timezone.localtime(invitation.expires_at):%Y-%m-%d %H:%M %Z}",
                }
            }
            for invitation in issued
        },
        route=route or current_route(),
    )
    return issued


@transaction.atomic
def invitation_accept(*, token: str, password: str):
    """The invited person chooses their password: the invitation of `token` is used (once), the
    password checked by the validators and set, and that is audited. Returns the user, for the
    page to sign them in. Raises InvitationInvalid for a link that does not work, InvalidInput
    (`password_invalid`) for a password the validators refuse (the invitation stays open)."""
    invitation = credentials.invitation_redeem(token=token)
    user = invitation.user
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code=ErrorCode.PASSWORD_INVALID) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    services.member_change_record(
        actor=user,
        user=user,
        changes={
            "invitation": {"from": "open", "to": "accepted"},
            "password": {"from": None, "to": "set"},
        },
        route=current_route(),
    )
    return user


@transaction.atomic
def member_create_invited(*, actor, invite: bool = False, **fields) -> Member:
    """services.member_create, and with `invite` the person's invitation, in one transaction: a
    member is not created when their invitation is refused."""
    member = services.member_create(actor=actor, **fields)
    if invite:
        invitation_send(actor=actor, user=member.user, route=fields.get("route"))
    return member
