"""API tokens: issued on login, revoked on request, on deactivation, when the password changes
(by any route: the token keeps a keyed hash of the password it was issued under) and after
`API_TOKEN_TTL_HOURS` without use."""

import functools
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import ApiToken, Invitation, ScimIdentity
from core.roles import keep_group_names

# last_used_at is written at most this often per token, not on every request.
TOUCH_INTERVAL = timedelta(minutes=5)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _ttl() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_issue(*, user) -> str:
    """A new token for `user`; returns the key, which is not stored and cannot be shown again."""
    key = secrets.token_hex(20)
    ApiToken.objects.create(
        user=user, digest=_digest(key), credentials=user.get_session_auth_hash()
    )
    return key


@functools.cache
def _tokens_with_users() -> QuerySet[ApiToken]:
    """What every authenticated request looks a token up in, built once per process: building
    it (the joins, the subquery) took half the lookup's time. Each lookup filters a copy."""
    tokens = ApiToken.objects.select_related("user", "user__member")
    if connection.vendor == "postgresql":
        # The user's group names come in the same query: every request asks for them.
        names = Group.objects.filter(user=OuterRef("user_id")).values("name")
        tokens = tokens.annotate(group_names=ArraySubquery(names))
    return tokens


def token_authenticate(*, key: str) -> ApiToken | None:
    """The live token with this key, its user (and their place on the ladder) loaded; None for an
    unknown, revoked, expired or superseded key, or an inactive user (such tokens are deleted)."""
    # A digest is unique: no ordering to ask for, as first() would.
    token = next(iter(_tokens_with_users().filter(digest=_digest(key))[:1]), None)
    if token is None:
        return None
    now = timezone.now()
    user = token.user
    if hasattr(token, "group_names"):
        keep_group_names(user, token.group_names)
    if (
        not user.is_active
        or now - token.last_used_at > _ttl()
        or not constant_time_compare(token.credentials, user.get_session_auth_hash())
    ):
        token.delete()
        return None
    if now - token.last_used_at > TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).delete()


def tokens_revoke_for(*, user) -> int:
    """Revoke every token of `user` (signing out everywhere; on deactivation)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def tokens_purge_expired(*, now=None) -> int:
    cutoff = (now or timezone.now()) - _ttl()
    deleted, _ = ApiToken.objects.filter(last_used_at__lt=cutoff).delete()
    return deleted


def account_identifiers_erase(*, user) -> None:
    """For an erasure (ladder/erasure.py): the person's API tokens and invitations (which hold
    their address) go, and the identity provider's identifiers of them are removed; SCIM sees
    the user as deleted."""
    tokens_revoke_for(user=user)
    Invitation.objects.filter(user=user).delete()
    ScimIdentity.objects.filter(user=user).update(
        external_id=None, employee_number="", department=""
    )
    ScimIdentity.objects.filter(user=user, deleted_at__isnull=True).update(
        deleted_at=timezone.now()
    )
