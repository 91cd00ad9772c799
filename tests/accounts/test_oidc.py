"""Single sign-on refusals, against a real OpenID provider (tests/oidc_provider.mjs), our side
through Django's test client: a wrong state, a replayed code, an ID token signed by another key,
and staff passwords where SSO_REQUIRED_FOR_STAFF. Sign-in itself, with Chromium:
test_oidc_browser.py."""

import logging
import time

import pytest
import requests
from django.urls import reverse
from joserfc import jwt

from accounts import sso, sso_views
from tests import factories
from tests.accounts.oidc import CLIENT_ID, KEY_ID, signing_key, start_provider, through_provider

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
CALLBACK = f"{SITE}/sso/callback/"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    yield from start_provider(tmp_path_factory.mktemp("oidc"), CALLBACK)


@pytest.fixture
def sso_on(provider, settings):
    provider.settings(settings, SITE_URL=SITE, SITE_URL_FOLLOWS_REQUESTS=False)
    return provider


def to_provider(client, session: requests.Session, login: str) -> str:
    """Start at /sso/login/ and come back with the provider's answer (the callback URL)."""
    response = client.get(reverse("sso:login"))
    assert response.status_code == 302
    return through_provider(session, response["Location"], login=login, back_to=CALLBACK)


def callback(client, url: str):
    return client.get(url.removeprefix(SITE))


def test_a_sign_in_a_wrong_state_and_a_replayed_code(client, sso_on, caplog):
    caplog.set_level(logging.WARNING, logger=sso_views.__name__)  # whatever the root's level
    user = factories.MemberFactory(user__email="Ada@Example.com").user
    sso_on.accounts({"ada": {"email": "ada@example.com", "email_verified": True}})
    url = to_provider(client, requests.Session(), "ada")

    wrong = url.replace("state=", "state=x")
    response = callback(client, wrong)
    assert response.status_code == 400
    assert "MismatchingStateError" in caplog.text
    assert "_auth_user_id" not in client.session

    pending = {k: v for k, v in client.session.items() if k.startswith("_state_")}
    response = callback(client, url)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert client.session["_auth_user_id"] == str(user.pk)

    # The same answer again, its state put back as if never used: the provider refuses the code.
    client.logout()
    session = client.session
    session.update(pending)
    session.save()
    caplog.clear()
    response = callback(client, url)
    assert response.status_code == 400
    assert "could not be completed" in response.content.decode()
    assert "invalid_grant" in caplog.text
    assert "_auth_user_id" not in client.session


def test_an_id_token_signed_by_another_key_is_refused(sso_on):
    now = int(time.time())
    claims = {
        "iss": sso_on.issuer,
        "aud": CLIENT_ID,
        "sub": "ada",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        "email": "ada@example.com",
        "email_verified": True,
    }
    header = {"alg": "RS256", "kid": KEY_ID}

    def token_of(key) -> dict:
        return {"id_token": jwt.encode(header, claims, key), "token_type": "Bearer"}

    assert sso.id_token_claims(token=token_of(sso_on.key), nonce="n-1")["sub"] == "ada"
    with pytest.raises(Exception, match="signature"):
        sso.id_token_claims(token=token_of(signing_key()), nonce="n-1")


def test_staff_must_use_sso_where_required(client, sso_on, settings):
    settings.SSO_REQUIRED_FOR_STAFF = True
    hr = factories.hr_user()
    member = factories.MemberFactory().user

    response = client.post(
        reverse("admin:login"), {"username": hr.username, "password": factories.PASSWORD}
    )
    assert response.status_code == 200
    assert "Staff sign in with Test IdP (single sign-on)" in response.content.decode()
    response = client.post(
        reverse("portal:login"), {"username": hr.username, "password": factories.PASSWORD}
    )
    assert "Staff sign in with Test IdP" in response.content.decode()
    assert "_auth_user_id" not in client.session

    token_url = "/api/v1/auth/token/"
    response = client.post(
        token_url,
        {"username": hr.username, "password": factories.PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "single sign-on" in response.json()["detail"]
    response = client.post(
        token_url,
        {"username": member.username, "password": factories.PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200

    # The sign-in pages offer the provider.
    assert "Sign in with Test IdP" in client.get(reverse("admin:login")).content.decode()
    assert "Sign in with Test IdP" in client.get(reverse("portal:login")).content.decode()
