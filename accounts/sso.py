"""Single sign-on with OpenID Connect (docs/accounts.md), through Authlib's Django client: the
issuer's discovery document, the authorization code with PKCE (S256), `state` and `nonce` kept
in the session, the ID token's signature checked against the issuer's JWKS (fetched again when
a token names a key it does not hold). Sign-in matches an existing active user by verified
e-mail; it never creates one."""

from dataclasses import dataclass
from typing import Any

from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from ladder import services as ladder_services

ROUTE = "sso"
SCOPES = "openid email profile"

_clients: dict[tuple[str, str, str], Any] = {}


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def staff_must_use_sso() -> bool:
    """Whether a staff user's password is refused (at the admin, the member site, auth/token/)."""
    return enabled() and settings.SSO_REQUIRED_FOR_STAFF


def button_context() -> dict:
    """What the sign-in pages need for their "Sign in with …" button (nothing when SSO is off)."""
    return {"sso_provider": settings.OIDC_PROVIDER_NAME if enabled() else ""}


def password_refused_message() -> str:
    return (
        f"Staff sign in with {settings.OIDC_PROVIDER_NAME} (single sign-on), not with a password."
    )


def client():
    """The provider's client, one per configuration (its discovery document and keys cached)."""
    key = (settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET)
    if key not in _clients:
        oauth = OAuth()
        _clients[key] = oauth.register(
            name="oidc",
            client_id=settings.OIDC_CLIENT_ID,
            client_secret=settings.OIDC_CLIENT_SECRET,
            server_metadata_url=f"{settings.OIDC_ISSUER}/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPES, "code_challenge_method": "S256", "timeout": 10},
        )
    return _clients[key]


def id_token_claims(*, token: dict, nonce: str) -> dict:
    """The ID token's claims once its signature (the issuer's JWKS), issuer, audience, expiry and
    nonce are checked; raises (authlib or joserfc errors) otherwise."""
    return dict(client().parse_id_token(token, nonce=nonce))


def role_group_map() -> dict[str, str]:
    """OIDC_ROLE_GROUPS as {Django group name: the provider's group name}."""
    pairs = (item.split("=", 1) for item in settings.OIDC_ROLE_GROUPS.split(";") if "=" in item)
    return {ours.strip(): theirs.strip() for ours, theirs in pairs if ours.strip()}


@dataclass(frozen=True)
class Refusal(Exception):
    reason: str  # unknown, unverified


def user_for_claims(*, claims: dict):
    """The active user whose e-mail (any case) the provider vouches for; Refusal otherwise."""
    email = (claims.get("email") or "").strip()
    if not email or claims.get("email_verified") is not True:
        raise Refusal("unverified")
    users = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
    if len(users) != 1:  # none, or two accounts share the address: neither is chosen
        raise Refusal("unknown")
    return users[0]


@transaction.atomic
def sso_role_groups_follow(*, user, claims: dict) -> None:
    """Where OIDC_ROLE_GROUPS is set, the user's mapped groups become what the claim says (other
    groups untouched; a superuser's never), audited with route `sso`; a user given a role is
    made staff, as HR's grants do."""
    mapping = role_group_map()
    if not mapping or user.is_superuser:
        return
    claimed = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(claimed, str):
        claimed = [claimed]
    claimed = {str(name) for name in claimed}
    before = sorted(user.groups.values_list("name", flat=True))
    for ours, theirs in mapping.items():
        group, _ = Group.objects.get_or_create(name=ours)
        if theirs in claimed:
            user.groups.add(group)
        else:
            user.groups.remove(group)
    after = sorted(user.groups.values_list("name", flat=True))
    changes: dict[str, dict] = {}
    if before != after:
        changes["groups"] = {"from": before, "to": after}
    if ladder_services.user_grant_staff_for_roles(user=user):
        changes["is_staff"] = {"from": False, "to": True}
    ladder_services.member_change_record(actor=user, user=user, changes=changes, route=ROUTE)
