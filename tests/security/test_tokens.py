"""API tokens end: on a password change or reset (by any route), on deactivation, on request
(DELETE auth/token/), and after API_TOKEN_TTL_HOURS without use. Only a digest is stored."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import tokens_purge_expired
from tests import factories

pytestmark = pytest.mark.django_db


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def works(key: str) -> bool:
    status = client_with(key).get("/api/v1/members/me/").status_code
    assert status in (200, 401)
    return status == 200


@pytest.fixture
def member(ladder_people):
    return ladder_people["report_a"].user


def test_a_token_is_stored_as_a_digest_only(member):
    key = factories.token_for(member)
    assert works(key)
    assert not ApiToken.objects.filter(digest=key).exists()
    assert key not in str(list(ApiToken.objects.values()))


def test_a_password_change_by_any_route_ends_older_tokens(member, ladder_people):
    key = factories.token_for(member)
    member.set_password("another-Long-pass-9")  # a reset, a shell, changepassword: all end here
    member.save()
    assert not works(key)
    assert not ApiToken.objects.filter(user=member).exists()  # deleted when seen
    new_key = APIClient().post(
        "/api/v1/auth/token/",
        {"username": member.username, "password": "another-Long-pass-9"},
        format="json",
    )
    assert works(new_key.json()["token"])


def test_hr_setting_a_password_in_the_admin_revokes_tokens(member, ladder_people):
    key = factories.token_for(member)
    admin = Client()
    admin.force_login(ladder_people["hr"])
    url = reverse("admin:auth_user_password_change", args=[member.pk])
    response = admin.post(url, {"password1": "x-Very-long-9", "password2": "x-Very-long-9"})
    assert response.status_code == 302
    assert not works(key)
    assert not ApiToken.objects.filter(user=member).exists()


def test_deactivation_revokes_and_reactivation_does_not_revive(member, ladder_people, as_user):
    key = factories.token_for(member)
    hr = as_user(ladder_people["hr"])
    url = f"/api/v1/members/{member.member.pk}/"
    assert hr.patch(url, {"is_active": False}, format="json").status_code == 200
    assert not ApiToken.objects.filter(user=member).exists()
    assert hr.patch(url, {"is_active": True}, format="json").status_code == 200
    assert not works(key)


def test_delete_revokes_the_token_that_signed_the_request(member):
    first, second = factories.token_for(member), factories.token_for(member)
    response = client_with(first).delete("/api/v1/auth/token/")
    assert response.status_code == 204
    assert not works(first)
    assert works(second)  # another device stays signed in
    assert client_with(first).delete("/api/v1/auth/token/").status_code == 401


def test_delete_from_a_browser_session_revokes_every_token(member):
    key = factories.token_for(member)
    browser = APIClient(enforce_csrf_checks=False)
    browser.force_login(member)
    assert browser.delete("/api/v1/auth/token/").status_code == 204
    assert not works(key)


def test_a_token_unused_for_the_ttl_expires(member, settings):
    settings.API_TOKEN_TTL_HOURS = 2
    key = factories.token_for(member)
    ApiToken.objects.filter(user=member).update(
        last_used_at=timezone.now() - timedelta(hours=1, minutes=50)
    )
    assert works(key)  # within the TTL: works, and counts as a use
    assert ApiToken.objects.get(user=member).last_used_at > timezone.now() - timedelta(minutes=1)
    ApiToken.objects.filter(user=member).update(
        last_used_at=timezone.now() - timedelta(hours=2, minutes=1)
    )
    assert not works(key)


def test_the_hourly_purge_deletes_expired_tokens(member, settings):
    settings.API_TOKEN_TTL_HOURS = 1
    factories.token_for(member)
    fresh = factories.token_for(member)
    ApiToken.objects.exclude(pk=ApiToken.objects.order_by("-pk")[0].pk).update(
        last_used_at=timezone.now() - timedelta(hours=2)
    )
    assert tokens_purge_expired() == 1
    assert works(fresh)
