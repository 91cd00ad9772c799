"""Inputs that once gave a 500, closed as classes: JSON nested deeper than any request needs, on
every route that reads JSON; integers beyond 64 bits anywhere (see test_integers.py, which also
runs on SQLite); names with control characters; unknown API paths in DEBUG."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from notifications.models import Notification
from tests import factories
from tests.security.test_authorization_table import (
    TABLE,
    concrete,
    delegation_ids,
    nomination_request_ids,
    webhook_ids,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

DEEP = "[" * 3000 + "]" * 3000  # 6 KB: under the body limit, far over the depth limit
WRITES = ("post", "patch", "put", "delete")


@pytest.fixture
def hr_client(people, in_review):
    requests = nomination_request_ids(people["candidate_member"])  # asked before it is open
    promotion = in_review()
    client = Client(HTTP_AUTHORIZATION=f"Token {factories.token_for(people['hr'])}")
    ids = {"members": people["candidate_member"].pk, "promotions": promotion.pk, **requests}
    ids["notifications"] = Notification.objects.filter(recipient=people["committee"]).first().pk
    ids["cycles"] = factories.draft_cycle(people["hr"]).pk
    ids.update(webhook_ids(people["hr"]))
    ids.update(delegation_ids(people["committee"]))
    return client, ids


def test_deep_json_is_400_on_every_route_that_reads_json(hr_client):
    client, ids = hr_client
    refused = set()
    for route, methods in TABLE.items():
        for method in WRITES:
            if method not in methods or (method, route) == ("delete", "/api/v1/auth/token/"):
                continue  # (that one reads no body, and would sign this client out)
            path = concrete(route, ids)
            for body in (DEEP, '{"a": ' * 40 + "1" + "}" * 40):
                response = getattr(client, method)(path, body, content_type="application/json")
                assert response.status_code != 500, (method, path)
                if response.status_code == 400:
                    assert response.json()["code"] == "json_too_deep", (method, path)
                    refused.add((method, route))
    # Every route that reads a body got that far (the others answered 404/405/409 first).
    assert {("post", "/api/v1/auth/token/"), ("post", "/api/v1/members/")} <= refused
    assert ("patch", "/api/v1/members/{pk}/") in refused
    assert ("post", "/api/v1/promotions/") in refused
    assert ("post", "/api/v1/promotions/{pk}/reviews/") in refused
    assert ("post", "/api/v1/promotions/{pk}/reject/") in refused
    assert {("post", "/api/v1/cycles/"), ("patch", "/api/v1/cycles/{pk}/")} <= refused
    assert {("post", "/api/v1/webhooks/"), ("patch", "/api/v1/webhooks/{pk}/")} <= refused
    assert ("post", "/api/v1/delegations/") in refused
    assert {
        ("post", "/api/v1/nomination-requests/{pk}/accept/"),
        ("post", "/api/v1/nomination-requests/{pk}/decline/"),
    } <= refused


def test_json_nested_within_the_limit_is_still_read(people, as_user):
    body = {"username": "ok", "email": "ok@example.com", "level": "pm", "first_name": [[["x"]]]}
    response = as_user(people["hr"]).post("/api/v1/members/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] != "json_too_deep"


@pytest.mark.parametrize(
    "name", ["Eve\r\nBcc: attacker@evil.example", "Tab\there", "Line\u2028two"]
)
def test_names_with_control_characters_are_refused(people, as_user, name):
    hr = as_user(people["hr"])
    created = hr.post(
        "/api/v1/members/",
        {"username": "eve", "email": "eve@example.com", "level": "pm", "last_name": name},
        format="json",
    )
    assert created.status_code == 400
    assert created.json()["errors"]["last_name"]
    member = people["candidate_member"]
    changed = hr.patch(f"/api/v1/members/{member.pk}/", {"first_name": name}, format="json")
    assert changed.status_code == 400
    member.user.refresh_from_db()
    assert member.user.first_name != name


def test_the_admin_refuses_control_characters_in_names_and_level_titles(people):
    client = Client()
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    user = people["candidate"]
    response = client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": user.username,
            "first_name": "Eve\r\nBcc: x@evil.example",
            "email": user.email,
            "date_joined_0": "2025-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert "first_name" in response.context["adminform"].form.errors
    response = client.post(
        "/admin/ladder/level/2/change/",
        {"code": "pm", "rank": 2, "title": "PM\r\nBcc: x", "track": "ic"},
    )
    assert response.status_code == 200
    assert "title" in response.context["adminform"].form.errors


def test_unknown_api_paths_answer_json_even_in_debug(settings, client):
    settings.DEBUG = True
    for path in ("/api/v1/nope/", "/api/v2/", "/api/", "/api/v1/promotions/1/nope/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
def test_unknown_api_paths_are_404_for_every_method_not_a_csrf_refusal(people, method):
    """An id that is no id (letters, 20 digits) matches no route: the catch-all's 404, whoever
    asks and however (a token client has no CSRF cookie to send)."""
    client = Client(HTTP_AUTHORIZATION=f"Token {factories.token_for(people['hr'])}")
    for path in (
        "/api/v1/cycles/abc/open/",
        "/api/v1/cycles/99999999999999999999999/open/",
        f"/api/v1/promotions/{'9' * 20}/approve/",
        "/api/v1/nope/",
    ):
        response = getattr(client, method)(path, "{}", content_type="application/json")
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"


@pytest.mark.skipif(os.environ.get("PM_LADDER_SQLITE_RUN") == "1", reason="the inner run")
def test_integers_beyond_64_bits_on_sqlite_too():
    """test_integers.py runs here on the suite's database; this runs it again on SQLite, where
    such a number raises OverflowError instead of matching nothing."""
    env = {
        **os.environ,
        "TEST_DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",  # nothing there: SQLite
        "PM_LADDER_SQLITE_RUN": "1",
        "REQUIRE_SERVICES": "",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not services"]
        + ["tests/security/test_integers.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Ran on sqlite3" in result.stdout
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_a_format_parameter_changes_nothing(client):
    for path in ("/api/v1/docs/?format=json", "/api/v1/schema/?format=xml"):
        response = client.get(path)
        assert response.status_code == 200, path
    response = Client().get("/api/v1/nope/?format=html")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
