"""Limits: body size, text lengths, throttling, and the login lockout."""

import pytest
from django.core.cache import cache
from django.test import Client

from tests import factories
from tests.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_a_body_over_the_limit_is_413_before_it_is_read(as_user, ladder_people, settings):
    settings.API_MAX_BODY_BYTES = 2048
    client = as_user(ladder_people["hr"])
    big = {"username": "x", "email": "x@example.com", "level": "pm", "first_name": "y" * 3000}
    response = client.post("/api/v1/members/", big, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    small = {**big, "first_name": "y"}
    assert client.post("/api/v1/members/", small, format="json").status_code == 201


def test_text_fields_have_length_caps(as_user, people, in_review):
    promotion = in_review()
    client = as_user(people["committee"])
    response = client.post(
        f"/api/v1/promotions/{promotion.id}/reject/", {"note": "n" * 5001}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "max_length"
    response = client.post(
        f"/api/v1/promotions/{promotion.id}/reviews/",
        {
            "decision": "approve",
            "comment": "c" * 5001,
            "ratings": factories.ratings_body(promotion),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "max_length"


def test_writes_are_throttled_per_user(as_user, ladder_people, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "writes": "3/min"}
    client = as_user(ladder_people["manager"].user)
    statuses = [client.post("/api/v1/members/", {}, format="json").status_code for _ in range(4)]
    assert statuses == [403, 403, 403, 429]
    assert client.post("/api/v1/members/", {}, format="json").json()["code"] == "throttled"
    assert client.get("/api/v1/members/").status_code == 200  # reads are not
    other = as_user(ladder_people["report_a"].user)
    assert other.post("/api/v1/members/", {}, format="json").status_code == 403


def test_token_requests_are_throttled(api, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "login": "2/min"}
    member = MemberFactory()
    body = {"username": member.user.username, "password": PASSWORD}
    statuses = [api.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_repeated_failed_admin_logins_lock_the_username_out(settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = MemberFactory(user__is_staff=True).user
    client = Client()
    for _ in range(3):
        response = client.post(
            "/admin/login/", {"username": user.username, "password": "wrong", "next": "/admin/"}
        )
    assert response.status_code == 429
    response = client.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 429  # even the right password, while locked out
    assert "_auth_user_id" not in client.session


def test_the_lockout_also_guards_the_token_endpoint(api, settings):
    settings.AXES_FAILURE_LIMIT = 3
    member = MemberFactory()
    for _ in range(3):
        api.post(
            "/api/v1/auth/token/",
            {"username": member.user.username, "password": "wrong"},
            format="json",
        )
    response = api.post(
        "/api/v1/auth/token/",
        {"username": member.user.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
