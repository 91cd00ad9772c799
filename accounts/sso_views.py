"""`/sso/login/` sends the browser to the identity provider; `/sso/callback/` is where it comes
back (the redirect URI registered at the provider: `<SITE_URL>/sso/callback/`). Both answer 404
unless OIDC_ISSUER is set."""

import logging
from functools import wraps

from authlib.integrations.base_client.errors import OAuthError
from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from joserfc.errors import JoseError
from requests import RequestException

from accounts import sso
from core.site import absolute_url

logger = logging.getLogger(__name__)

NEXT_KEY = "_sso_next"
BACKEND = "django.contrib.auth.backends.ModelBackend"  # the provider vouched for the person
TEMPLATE = "accounts/sso_refused.html"


def sso_enabled(view):
    """404 for every method while OIDC_ISSUER is unset: the routes are not there."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not sso.enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@sso_enabled
@never_cache
@require_safe
def sso_login(request: HttpRequest) -> HttpResponse:
    wanted = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[NEXT_KEY] = wanted
    else:
        request.session.pop(NEXT_KEY, None)
    try:
        return sso.client().authorize_redirect(request, absolute_url(reverse("sso:callback")))
    except (OAuthError, RequestException, ValueError):
        return _refused(request, "unavailable", status=503)


def _refused(request: HttpRequest, reason: str, *, status: int) -> HttpResponse:
    return render(
        request,
        TEMPLATE,
        {"reason": reason, "provider": settings.OIDC_PROVIDER_NAME},
        status=status,
    )


def _claims(token: dict) -> dict:
    """The ID token's claims, completed from the userinfo endpoint where the provider puts the
    e-mail or the groups only there (the same subject's, or nothing)."""
    claims = dict(token.get("userinfo") or {})
    wanted = ("email", "email_verified", settings.OIDC_GROUPS_CLAIM)
    if all(name in claims for name in wanted):
        return claims
    try:
        info = dict(sso.client().userinfo(token=token))
    except (OAuthError, RequestException, ValueError, KeyError) as exc:
        # No userinfo endpoint, or it refuses this token: the ID token's claims decide alone.
        logger.info("Single sign-on: userinfo not read: %r", exc)
        return claims
    if info.get("sub") == claims.get("sub"):
        for name in wanted:
            if name not in claims and name in info:
                claims[name] = info[name]
    return claims


def _landing(request: HttpRequest, user) -> str:
    wanted = request.session.pop(NEXT_KEY, "")
    home = reverse("portal:home")
    if not wanted or (wanted.startswith(reverse("admin:index")) and not user.is_staff):
        return home
    return wanted


@sso_enabled
@never_cache
@require_safe
def sso_callback(request: HttpRequest) -> HttpResponse:
    if "error" in request.GET:  # the person cancelled, or the provider refused them
        return _refused(request, "cancelled", status=403)
    try:
        # Checks the state against the session's, sends the code with the PKCE verifier, then
        # the ID token's signature (JWKS), issuer, audience, expiry and nonce.
        token = sso.client().authorize_access_token(request)
        claims = _claims(token)
    except (OAuthError, JoseError, RequestException, ValueError, KeyError) as exc:
        logger.warning("Single sign-on refused: %r", exc)  # for the operator: which check
        return _refused(request, "failed", status=400)
    try:
        user = sso.user_for_claims(claims=claims)
    except sso.Refusal as refusal:
        return _refused(request, refusal.reason, status=403)
    sso.sso_role_groups_follow(user=user, claims=claims)
    landing = _landing(request, user)
    login(request, user, backend=BACKEND)
    return redirect(landing)
