"""Reviews and committee notes are never shown to the candidate or the manager."""

import pytest

from ladder.models import Level
from promotions import services
from tests import factories

pytestmark = pytest.mark.django_db

SECRET_COMMENT = "comment-7f3a-only-for-the-committee"
SECRET_NOTE = "note-91bc-only-for-the-committee"
SECRET_REJECT = "reject-44de-only-for-the-committee"


@pytest.fixture
def reviewed(people, in_review):
    promotion = in_review()
    factories.review(promotion, people["committee"], "approve", SECRET_COMMENT)
    factories.review(promotion, people["committee2"], "reject", SECRET_REJECT)
    factories.review(promotion, people["hr"], "approve")
    return services.promotion_approve(
        promotion=promotion, actor=people["committee"], note=SECRET_NOTE
    )


def leaks(text: str, people, reviewers=("committee", "committee2", "hr")) -> list[str]:
    """Secrets and reviewer names (as JSON strings) found in a response body."""
    secrets = [SECRET_COMMENT, SECRET_NOTE, SECRET_REJECT]
    names = [f'"{people[who].username}"' for who in reviewers]
    return [s for s in secrets + names if s in text]


@pytest.mark.parametrize("who", ["candidate", "manager"])
def test_candidate_and_manager_see_no_committee_work(as_user, people, reviewed, who):
    client = as_user(people[who])
    base = f"/api/v1/promotions/{reviewed.id}/"
    for url in [
        base,
        "/api/v1/promotions/",
        base + "timeline/",
        base + "packet/",
        base + "packet/versions/",
        base + "packet/versions/1/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert leaks(response.content.decode(), people) == [], url
    assert client.get(base).json()["state"] == "approved"
    assert client.get(base + "reviews/").status_code == 403


def test_the_committee_sees_reviews_and_notes(as_user, people, reviewed):
    client = as_user(people["committee2"])
    reviews = client.get(f"/api/v1/promotions/{reviewed.id}/reviews/").json()
    assert {r["reviewer"] for r in reviews} == {
        people["committee"].username,
        people["committee2"].username,
        people["hr"].username,
    }
    timeline = client.get(f"/api/v1/promotions/{reviewed.id}/timeline/").json()
    assert timeline[-1]["note"] == SECRET_NOTE


def test_a_committee_member_who_manages_the_candidate_sees_it_as_a_manager(as_user, people):
    boss = factories.committee_member(level="group-pm")
    candidate = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=boss.member)
    promotion = factories.promotion(candidate=candidate, by=people["hr"])
    promotion = services.promotion_start_review(
        promotion=promotion, actor=people["committee"], note=SECRET_NOTE
    )
    factories.review(promotion, people["committee"], "approve", SECRET_COMMENT)
    client = as_user(boss)
    base = f"/api/v1/promotions/{promotion.id}/"
    assert client.get(base + "reviews/").status_code == 403
    for url in [base, base + "timeline/", "/api/v1/promotions/"]:
        body = client.get(url).content.decode()
        assert leaks(body, people, reviewers=["committee"]) == [], url
    assert client.get(base).json()["available_transitions"] == []  # recused


def test_other_members_cannot_see_a_promotion(as_user, people, reviewed):
    client = as_user(people["other_manager"])
    assert client.get(f"/api/v1/promotions/{reviewed.id}/").status_code == 404
    assert client.get(f"/api/v1/promotions/{reviewed.id}/timeline/").status_code == 404
    assert client.get(f"/api/v1/promotions/{reviewed.id}/reviews/").status_code == 404
    assert client.get("/api/v1/promotions/").json()["count"] == 0


def test_the_note_asking_for_changes_is_the_nominators_not_the_candidates(as_user, people):
    candidate = factories.MemberFactory(
        level=Level.objects.get(code="pm"), manager=people["candidate_member"].manager
    )
    promotion = factories.promotion(
        candidate=candidate, by=people["hr"], state="in_review", actor=people["committee"]
    )
    services.promotion_request_changes(
        promotion=promotion, actor=people["committee"], note=SECRET_NOTE
    )
    base = f"/api/v1/promotions/{promotion.id}/"
    for who in (candidate.user, people["manager"]):  # the candidate, their manager
        urls = [base, "/api/v1/promotions/", base + "timeline/", base + "packet/"]
        for url in [*urls, "/api/v1/notifications/"]:
            response = as_user(who).get(url)
            assert response.status_code == 200, url
            assert SECRET_NOTE not in response.content.decode(), url
        assert as_user(who).get(base).json()["state"] == "changes_requested"
        assert as_user(who).get(base).json()["changes_requested_note"] is None
    assert as_user(people["hr"]).get(base).json()["changes_requested_note"] == SECRET_NOTE
