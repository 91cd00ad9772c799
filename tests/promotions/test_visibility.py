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
    for url in [base, "/api/v1/promotions/", base + "timeline/"]:
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
