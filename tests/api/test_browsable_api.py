"""The browsable API: HTML for people signed in to the admin (by session) who ask for it; JSON for
everyone else, whatever they ask for."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from ladder.models import Level
from notifications.models import Notification
from promotions import services
from tests import factories
from tests.openapi import api_schema

pytestmark = pytest.mark.django_db

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # a browser's Accept


@pytest.fixture
def committee_browser(db):
    """A committee member signed in to the admin, with a promotion in review to look at."""
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    candidate = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    committee = factories.committee_member(level="vp-product")
    promotion = services.promotion_nominate(
        candidate=candidate,
        to_level=Level.objects.get(code="senior-pm"),
        nominated_by=manager.user,
        justification="Ready.",
        evidence=factories.evidence_for("senior-pm"),
    )
    services.promotion_start_review(promotion=promotion, actor=committee)
    browser = Client()
    browser.force_login(committee)
    notification = Notification.objects.filter(recipient=committee).first()
    return browser, committee, promotion, candidate, notification


def pages(promotion, candidate):
    return [
        "/api/v1/",
        "/api/v1/ladder/levels/",
        "/api/v1/ladder/levels/pm/",
        "/api/v1/ladder/transitions/",
        "/api/v1/members/",
        f"/api/v1/members/{candidate.pk}/",
        "/api/v1/members/me/",
        "/api/v1/promotions/",
        f"/api/v1/promotions/{promotion.pk}/",
        f"/api/v1/promotions/{promotion.pk}/reviews/",
        f"/api/v1/promotions/{promotion.pk}/timeline/",
        f"/api/v1/promotions/{promotion.pk}/packet/",
        f"/api/v1/promotions/{promotion.pk}/packet/versions/",
        f"/api/v1/promotions/{promotion.pk}/packet/versions/1/",
        "/api/v1/notifications/",
    ]


def test_a_committee_member_signed_in_to_the_admin_browses_every_collection(committee_browser):
    browser, _, promotion, candidate, _ = committee_browser
    for page in pages(promotion, candidate):
        response = browser.get(page, HTTP_ACCEPT=HTML)
        assert response.status_code == 200, (page, response.content[:300])
        assert response["Content-Type"].startswith("text/html"), page
        assert b"Django REST framework" in response.content, page


def test_the_api_root_links_every_collection(committee_browser):
    browser, *_ = committee_browser
    links = browser.get("/api/v1/", HTTP_ACCEPT="application/json").json()
    assert {"members", "promotions", "notifications", "ladder/levels", "docs"} <= set(links)
    for label in ("members", "promotions", "notifications", "ladder/levels"):
        assert browser.get(links[label], HTTP_ACCEPT="application/json").status_code == 200


def test_a_session_asking_for_json_gets_json(committee_browser):
    browser, _, promotion, *_ = committee_browser
    for accept in ("application/json", "*/*", None):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        response = browser.get(f"/api/v1/promotions/{promotion.pk}/", **headers)
        assert response["Content-Type"] == "application/json", accept
        assert response.json()["id"] == promotion.pk


def test_a_token_client_asking_for_html_still_gets_json(committee_browser):
    _, committee, promotion, *_ = committee_browser
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(committee)}")
    for page in ("/api/v1/", "/api/v1/promotions/", f"/api/v1/promotions/{promotion.pk}/"):
        response = client.get(page, HTTP_ACCEPT=HTML)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json", page
        response.json()
    error = client.get("/api/v1/promotions/999999/", HTTP_ACCEPT=HTML)
    assert error.status_code == 404
    assert error["Content-Type"] == "application/json"
    assert error.json()["code"] == "no_such_promotion"


def test_anonymous_browsers_get_json_errors(db):
    for page in ("/api/v1/", "/api/v1/promotions/"):
        response = Client().get(page, HTTP_ACCEPT=HTML)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_authenticated"


def test_unknown_api_paths_stay_a_json_404(committee_browser):
    browser, *_ = committee_browser
    for page in ("/api/", "/api/v2/", "/api/v1/nope/"):
        response = browser.get(page, HTTP_ACCEPT=HTML)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_committee_member_reviews_through_the_browsable_api(committee_browser):
    """The browsable API's forms post JSON with the CSRF token, as the page does."""
    browser, _, promotion, *_ = committee_browser
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(committee_browser[1])
    page = browser.get(f"/api/v1/promotions/{promotion.pk}/reviews/", HTTP_ACCEPT=HTML)
    assert b"csrfmiddlewaretoken" in page.content or b"csrfToken" in page.content
    refused = browser.post(
        f"/api/v1/promotions/{promotion.pk}/reviews/",
        {"decision": "approve", "ratings": factories.ratings_body(promotion)},
        content_type="application/json",
    )
    assert refused.status_code == 403  # no CSRF token
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        f"/api/v1/promotions/{promotion.pk}/reviews/",
        {"decision": "approve", "ratings": factories.ratings_body(promotion)},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201, response.content


def test_the_schema_documents_json_and_the_one_csv_export():
    schema = api_schema()
    media_types = {
        (path, media_type)
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        for response in operation["responses"].values()
        for media_type in response.get("content", {})
    }
    # JSON everywhere; the one export answers CSV (and its errors JSON).
    assert {media for _, media in media_types} == {"application/json", "text/csv"}
    assert {path for path, media in media_types if media == "text/csv"} == {
        "/api/v1/cycles/{id}/decisions.csv"
    }


@pytest.mark.parametrize("who", ["candidate", "manager", "hr"])
def test_every_page_renders_for_other_roles_too(committee_browser, who):
    _, _, promotion, candidate, _ = committee_browser
    users = {
        "candidate": candidate.user,
        "manager": candidate.manager.user,
        "hr": factories.hr_user(),
    }
    browser = Client()
    browser.force_login(users[who])
    for page in pages(promotion, candidate):
        response = browser.get(page, HTTP_ACCEPT=HTML)
        assert response.status_code in (200, 403, 404), (page, response.status_code)
        assert response["Content-Type"].startswith("text/html"), page
