"""SCIM tokens: made by HR (the admin) or by `manage.py scim_token`, shown once, stored as a
SHA-256 digest, revocable, their last use kept. Each issue and revocation is audited."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import ScimToken
from audit.services import config_change_record
from core.errors import Conflict, InvalidInput, NotFound

# last_used_at is written at most this often per token, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)
PREFIX = "scim_"  # tells a SCIM token from an API token at a glance (in a leaked log, say)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def scim_token_create(*, actor, name: str) -> tuple[ScimToken, str]:
    """A new token named `name`; returns it with the token itself, which is not stored and
    cannot be shown again. `actor` None: a management command."""
    name = name.strip()
    if not name or len(name) > 100 or not name.isprintable():
        raise InvalidInput("Give the token a name of 1 to 100 printable characters.")
    if ScimToken.objects.filter(name__iexact=name).exists():
        raise Conflict(f"A SCIM token named {name!r} exists already.")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ScimToken.objects.create(
        name=name,
        digest=_digest(token),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    config_change_record(actor=actor, action="scim token created", target=row)
    return row, token


@transaction.atomic
def scim_token_revoke(*, actor, token: ScimToken) -> ScimToken:
    row = ScimToken.objects.select_for_update().get(pk=token.pk)
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        config_change_record(actor=actor, action="scim token revoked", target=row)
    return row


def scim_token_revoke_named(*, actor, name: str) -> ScimToken:
    token = ScimToken.objects.filter(name__iexact=name.strip()).first()
    if token is None:
        raise NotFound(f"No SCIM token is named {name!r}.")
    return scim_token_revoke(actor=actor, token=token)


def scim_token_authenticate(*, token: str) -> ScimToken | None:
    """The live token with this value (its last use noted), or None: unknown or revoked."""
    row = ScimToken.objects.filter(digest=_digest(token), revoked_at__isnull=True).first()
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_INTERVAL:
        ScimToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row
