"""No safe method changes anything, on any route: HEAD answers exactly as GET (DRF runs the GET
handler for it) and, like GET and OPTIONS, writes nothing, even when it carries a body that would
be a valid POST (HEAD on `reviews/` once recorded a vote)."""

import json

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from notifications.models import Notification
from promotions.models import Promotion, Review
from tests import factories
from tests.security.test_authorization_table import (
    ROLES,
    TABLE,
    concrete,
    delegation_ids,
    nomination_request_ids,
    webhook_ids,
)
from tests.shared import shared_rows

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes_in(queries, ignore=()) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(WRITES)
        and not any(table in q["sql"] for table in ignore)
    ]


@pytest.fixture(scope="module")
def shared_cast(django_db_setup, django_db_blocker):
    """Built once for the module's requests (tests/shared.py): each test's writes are rolled
    back, so every one of them meets the same rows."""
    with shared_rows(django_db_blocker):
        people = factories.people()
        requests = nomination_request_ids(people["candidate_member"])  # asked before it is open
        promotion = factories.promotion(
            candidate=people["candidate_member"],
            to="senior-pm",
            by=people["manager"],
            state="in_review",
            actor=people["committee"],
        )
        notification = Notification.objects.filter(recipient=people["committee"]).first()
        users = {
            "member": people["candidate"],
            "manager": people["manager"],
            "other": people["other_manager"],
            "committee": people["committee"],
            "hr": people["hr"],
        }
        ids = {
            "members": people["candidate_member"].pk,
            "promotions": promotion.pk,
            "notifications": notification.pk,
            "cycles": factories.draft_cycle(people["hr"]).pk,
            **webhook_ids(people["hr"]),
            **delegation_ids(people["committee"]),
            **requests,
        }
        yield users, ids, promotion.pk


@pytest.fixture
def cast(shared_cast):
    """The shared cast, with the promotion as the database has it for this test."""
    users, ids, promotion_pk = shared_cast
    return users, ids, Promotion.objects.get(pk=promotion_pk)


# A body that would be a valid vote, a nomination, a member: what a forged HEAD carries.
BODY = json.dumps({"decision": "approve", "comment": "x", "note": "x", "justification": "x"})
GET_ROUTES = [route for route, methods in TABLE.items() if "get" in methods]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", GET_ROUTES)
def test_head_answers_as_get_and_writes_nothing(cast, route, role):
    users, ids, promotion = cast
    client = APIClient()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(users[role])}")
    path = concrete(route, ids)
    expected = client.get(path).status_code
    for method in ("HEAD", "OPTIONS", "GET"):
        with CaptureQueriesContext(connection) as queries:
            response = client.generic(method, path, BODY, content_type="application/json")
        assert writes_in(queries.captured_queries) == [], (method, path)
        if method == "HEAD":
            assert response.status_code == expected, (path, role)
            assert response.content == b""
    assert Review.objects.filter(promotion=promotion).count() == 0


def test_head_on_reviews_records_no_vote_even_for_the_committee(cast):
    users, ids, promotion = cast
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(users['committee'])}")
    path = f"/api/v1/promotions/{promotion.pk}/reviews/"
    vote = {
        "decision": "approve",
        "comment": "forged",
        "ratings": factories.ratings_body(promotion),
    }
    response = client.generic("HEAD", path, json.dumps(vote), content_type="application/json")
    assert response.status_code == 200
    assert not Review.objects.exists()
    # The same body by POST does record it: the HEAD above was refused, not a broken request.
    assert client.post(path, vote, format="json").status_code == 201


def admin_paths(model_admin, obj) -> list[str]:
    opts = model_admin.model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"
    paths = [reverse(f"{name}_changelist"), reverse(f"{name}_add")]
    if obj is not None:
        paths += [reverse(f"{name}_{view}", args=[obj.pk]) for view in VIEWS_OF_ONE]
    return paths


VIEWS_OF_ONE = ("change", "history", "delete")


def test_head_on_every_admin_page_answers_as_get_and_writes_nothing(cast):
    users, ids, promotion = cast
    factories.review(promotion, users["committee"], "approve")
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(superuser)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.order_by("pk").first()
        for path in admin_paths(model_admin, obj):
            expected = client.get(path).status_code
            with CaptureQueriesContext(connection) as queries:
                response = client.head(path)
            assert response.status_code == expected, path
            # A session read refreshes nothing; axes and the audit trail must not move either.
            assert writes_in(queries.captured_queries, ignore=("django_session",)) == [], path
            checked += 1
    act = reverse("admin:promotions_promotion_act", args=[promotion.pk])
    for method in ("get", "head"):
        response = getattr(client, method)(act, {"action": "approve"})
        assert response.status_code == 405
    assert promotion.__class__.objects.get(pk=promotion.pk).state == "in_review"
    assert checked > 30
