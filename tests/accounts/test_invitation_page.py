"""The invitation page, `/invite/<token>/`: the token leaves the address at once (into the session,
as Django's reset confirmation does), the person chooses a password with Django's validators, is
signed in and lands on the member site's home; a link that does not work gets one calm page."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation
from accounts.views import SESSION_KEY as INVITATION_SESSION_KEY
from ladder.models import MemberChange

pytestmark = pytest.mark.django_db
PASSWORD = "a-Long-pass-phrase-9"
SET_PASSWORD = "/invite/set-password/"
NO_LONGER_WORKS = "This invitation link no longer works"


def choose(client, password=PASSWORD, again=None):
    return client.post(
        SET_PASSWORD, {"new_password1": password, "new_password2": again or password}
    )


def test_open_the_link_choose_a_password_and_land_signed_in_on_home(hr, newcomer, invite):
    token = invite(hr, newcomer.user)
    client = Client(enforce_csrf_checks=True)
    opened = client.get(f"/invite/{token}/")
    assert opened.status_code == 302 and opened["Location"] == SET_PASSWORD
    page = client.get(SET_PASSWORD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Choose your password" in html and "nadia" in html
    assert token not in html  # nothing secret on the page either
    assert page["Cache-Control"].startswith("max-age=0")  # never cached

    csrf = page.cookies["csrftoken"].value
    response = client.post(
        SET_PASSWORD,
        {"new_password1": PASSWORD, "new_password2": PASSWORD, "csrfmiddlewaretoken": csrf},
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert client.session[SESSION_KEY] == str(newcomer.user.pk)
    assert INVITATION_SESSION_KEY not in client.session
    newcomer.user.refresh_from_db()
    assert newcomer.user.check_password(PASSWORD)
    assert MemberChange.objects.filter(user=newcomer.user, route="site").exists()


def test_the_form_needs_its_csrf_token(hr, newcomer, invite):
    token = invite(hr, newcomer.user)
    client = Client(enforce_csrf_checks=True)
    client.get(f"/invite/{token}/")
    response = choose(client)
    assert response.status_code == 403
    assert Invitation.objects.get(user=newcomer.user).accepted_at is None


def test_a_refused_password_says_why_and_keeps_the_invitation(hr, newcomer, invite):
    token = invite(hr, newcomer.user)
    client = Client()
    client.get(f"/invite/{token}/")
    for password, again, reason in [
        ("12345678", None, "too common"),
        (PASSWORD, "something-else-9", "didn’t match"),
        ("nadia2024", None, "too similar"),
    ]:
        response = choose(client, password, again)
        assert response.status_code == 200
        assert reason in response.content.decode()
    assert Invitation.objects.get(user=newcomer.user).accepted_at is None
    assert choose(client).status_code == 302


@pytest.mark.parametrize("case", ["unknown", "used", "voided", "expired", "no session"])
def test_a_link_that_does_not_work_gets_one_calm_page(hr, newcomer, invite, case, settings):
    token = invite(hr, newcomer.user)
    client = Client()
    if case == "unknown":
        token = "A" * 43
    elif case == "used":
        client.get(f"/invite/{token}/")
        choose(client)
        client = Client()
    elif case == "voided":
        invite(hr, newcomer.user)
    elif case == "expired":
        Invitation.objects.update(expires_at="2000-01-01T00:00Z")
    url = SET_PASSWORD if case == "no session" else f"/invite/{token}/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert NO_LONGER_WORKS in html and "Ask HR for a new invitation" in html
    assert "nadia" not in html.lower()  # nothing about any account
    assert INVITATION_SESSION_KEY not in client.session
    posted = client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert posted.status_code == 200 and NO_LONGER_WORKS in posted.content.decode()


def test_a_link_used_in_another_tab_meanwhile_gets_the_calm_page(hr, newcomer, invite):
    token = invite(hr, newcomer.user)
    first, second = Client(), Client()
    first.get(f"/invite/{token}/")
    second.get(f"/invite/{token}/")
    assert choose(first).status_code == 302
    response = choose(second)
    assert response.status_code == 200 and NO_LONGER_WORKS in response.content.decode()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_not_allowed(method):
    assert getattr(Client(), method)("/invite/anything/").status_code == 405


@pytest.mark.parametrize("token", ["%00", "a" * 2000, "..%2F..%2Fadmin", "%E2%80%AE"])
def test_malformed_tokens_are_answered_calmly(db, token):
    response = Client().get(f"/invite/{token}/")
    assert response.status_code in (200, 400, 404)
