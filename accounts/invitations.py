"""Invitations, as credentials: issuing them with their e-mail, making each link's token when its
e-mail goes out, and redeeming a token. Who may invite whom, and the audit trail, are the
ladder's (ladder/invitations.py), which calls these inside its transactions.

The token is made when the e-mail is sent, not when HR invites: the invitation's e-mail is a
row of the notifications outbox (delivery, retries, the sweeper and HR's "send again" are the
notifications app's), and what a row keeps is the recipient's inbox, where a link that lets
anyone in must never be written. The row keeps a short text for the inbox; the e-mail is composed
at the moment it goes out (`invitation_emails`, registered for the kind `invitation`), with a
new token whose SHA-256 digest is stored, committed, before the e-mail leaves. A retry makes a
new token, so only the newest e-mail's link works."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.errors import InvitationInvalid
from accounts.models import Invitation
from notifications.models import Notification
from notifications.services import notifications_create

User = get_user_model()

KIND = "invitation"  # the kind of the invitation's notification row
TOKEN_BYTES = 32  # 43 characters in the link
TOKEN_MAX_LENGTH = 64  # longer is not one of ours: refused before any hashing or query
INBOX_SUBJECT = "Your invitation to PM Ladder"
INBOX_BODY = (
    "HR invited you to PM Ladder. The e-mail with this message carried a link to choose your "
    "password; it works once, for {hours} hours, and is not kept here. If it no longer works, "
    "ask HR for a new invitation."
)

OPEN = Q(accepted_at__isnull=True, voided_at__isnull=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ttl() -> timedelta:
    return timedelta(hours=settings.INVITE_TTL_HOURS)


def invitations_issue(*, users: list, invited_by) -> tuple[list[Invitation], set[int]]:
    """A new invitation for each of `users` (their rows locked by the caller, in its
    transaction), each voiding the user's open one, with the row of its e-mail (one INSERT for
    all); the e-mails go out after commit. Returns the invitations, and the ids of the users whose
    older invitation was voided."""
    if not users:
        return [], set()
    now = timezone.now()
    older = Invitation.objects.filter(OPEN, user__in=users)
    voided = set(older.values_list("user_id", flat=True))
    older.update(voided_at=now)
    body = INBOX_BODY.format(hours=settings.INVITE_TTL_HOURS)
    rows = notifications_create(
        recipient_ids=[user.pk for user in users], kind=KIND, subject=INBOX_SUBJECT, body=body
    )
    row_of = {row.recipient_id: row for row in rows}
    invitations = Invitation.objects.bulk_create(
        Invitation(
            user=user,
            invited_by=invited_by,
            email=user.email,
            notification=row_of[user.pk],
            created_at=now,
            expires_at=now + ttl(),
        )
        for user in users
    )
    return invitations, voided


def invitation_open(*, token: str) -> Invitation | None:
    """The open invitation this token is the link of, its user loaded; None for any other token
    (unknown, used, replaced, expired, or its person deactivated, made a superuser or given
    another address since). Reads only: the invitation page asks it before showing the form."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    invitation = (
        Invitation.objects.select_related("user")
        .filter(OPEN, digest=_digest(token), expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None or not _still_for_its_person(invitation):
        return None
    return invitation


def invitation_redeem(*, token: str) -> Invitation:
    """Use the invitation of `token`, once: locked, checked again, marked accepted, inside the
    caller's transaction. Raises InvitationInvalid for any token that does not work."""
    invitation = invitation_open(token=token)
    if invitation is None:
        raise InvitationInvalid()
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(OPEN, pk=invitation.pk, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:  # used or replaced while we looked
        raise InvitationInvalid()
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return invitation


def _still_for_its_person(invitation: Invitation) -> bool:
    user = invitation.user
    return (
        user.is_active
        and not user.is_superuser
        and user.email.casefold() == invitation.email.casefold()
    )


# --- The e-mail, composed as it goes out -------------------------------------------------------


def invitation_emails(rows: list[Notification]) -> dict[int, tuple[str, str] | None]:
    """The composer of the kind `invitation` (accounts/apps.py registers it with the
    notifications app): for each row, its e-mail (subject, body) with a new token whose digest is
    committed here, before the e-mail is sent; None for a row whose invitation no longer works
    (used, replaced, expired, its person deactivated or given another address since): that row
    is recorded as not sent."""
    answer: dict[int, tuple[str, str] | None] = dict.fromkeys((row.pk for row in rows), None)
    now = timezone.now()
    tokens: dict[int, str] = {}
    with transaction.atomic():
        invitations = list(
            Invitation.objects.select_for_update(of=("self",))
            .select_related("user", "invited_by")
            .filter(OPEN, notification_id__in=list(answer), expires_at__gt=now)
        )
        for invitation in invitations:
            if _still_for_its_person(invitation):
                tokens[invitation.pk] = secrets.token_urlsafe(TOKEN_BYTES)
                invitation.digest = _digest(tokens[invitation.pk])
        Invitation.objects.bulk_update(
            [invitation for invitation in invitations if invitation.pk in tokens], ["digest"]
        )
    for invitation in invitations:
        if invitation.pk in tokens and invitation.notification_id is not None:
            answer[invitation.notification_id] = _email(invitation, tokens[invitation.pk])
    return answer


def invitation_link(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:invitation", args=[token])


def _email(invitation: Invitation, token: str) -> tuple[str, str]:
    user = invitation.user
    context = {
        "name": user.first_name or user.get_username(),
        "username": user.get_username(),
        "email": user.email,
        "link": invitation_link(token),
        "expires_at": timezone.localtime(invitation.expires_at),
        "login_url": settings.SITE_URL + reverse("portal:login"),
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context)
    body = render_to_string("accounts/email/invitation.txt", context)
    return " ".join(subject.split()), body


# --- What HR reads of a person's invitations ---------------------------------------------------


def invitation_dates(user_id: OuterRef) -> dict[str, Subquery]:
    """Annotations for rows of people (`user_id`: an OuterRef to the user's id): `invited_at`,
    when the newest invitation was made, and `invitation_accepted_at`, when one was last
    accepted (each null when none)."""
    of_user = Invitation.objects.filter(user_id=user_id)
    return {
        "invited_at": Subquery(of_user.order_by("-created_at", "-id").values("created_at")[:1]),
        "invitation_accepted_at": Subquery(
            of_user.filter(accepted_at__isnull=False)
            .order_by("-accepted_at")
            .values("accepted_at")[:1]
        ),
    }
