import pytest

from ladder.models import LevelChange
from promotions.models import Promotion, PromotionEvent
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_happy_path_over_the_api(as_user, people):
    candidate = people["candidate_member"]
    manager = as_user(people["manager"])
    response = manager.post(
        "/api/v1/promotions/",
        {
            "candidate": candidate.id,
            "to_level": "senior-pm",
            "justification": "Ready.",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "nominated"
    assert body["from_level"] == "pm"
    assert body["to_level"] == "senior-pm"
    assert body["nominated_by"] == people["manager"].username
    assert body["candidate"] == {
        "id": candidate.id,
        "username": candidate.user.username,
        "name": candidate.name,
    }
    assert body["available_transitions"] == ["withdraw"]
    assert body["packet_version"] == 1
    assert body["changes_requested_note"] is None
    pid = body["id"]
    ratings = factories.ratings_body(Promotion.objects.get(pk=pid))

    committee = as_user(people["committee"])
    detail = committee.get(f"/api/v1/promotions/{pid}/").json()
    assert detail["available_transitions"] == ["start-review", "hold"]
    assert committee.post(f"/api/v1/promotions/{pid}/start-review/").status_code == 200
    detail = committee.get(f"/api/v1/promotions/{pid}/").json()
    # approve waits for a review
    assert detail["available_transitions"] == ["reject", "request-changes", "hold"]

    review = committee.post(
        f"/api/v1/promotions/{pid}/reviews/",
        {"decision": "approve", "comment": "Yes", "ratings": ratings},
        format="json",
    )
    assert review.status_code == 201
    again = committee.post(
        f"/api/v1/promotions/{pid}/reviews/",
        {"decision": "approve", "comment": "Yes!", "ratings": ratings},
        format="json",
    )
    assert again.status_code == 200
    assert committee.get(f"/api/v1/promotions/{pid}/").json()["available_transitions"] == [
        "approve",
        "reject",
        "request-changes",
        "hold",
    ]
    approved = committee.post(
        f"/api/v1/promotions/{pid}/approve/", {"note": "Congrats"}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    assert approved.json()["decided_at"] is not None

    candidate.refresh_from_db()
    assert candidate.level.code == "senior-pm"
    change = LevelChange.objects.get(member=candidate)
    assert (change.from_level.code, change.to_level.code, change.promotion_id) == (
        "pm",
        "senior-pm",
        pid,
    )
    states = list(
        PromotionEvent.objects.filter(promotion_id=pid).values_list("from_state", "to_state")
    )
    assert states == [(None, "nominated"), ("nominated", "in_review"), ("in_review", "approved")]

    timeline = as_user(people["candidate"]).get(f"/api/v1/promotions/{pid}/timeline/").json()
    assert [e["to_state"] for e in timeline] == ["nominated", "in_review", "approved"]
    assert set(timeline[0]) == {"from_state", "to_state", "at", "actor", "note", "votes"}
    assert all(e["actor"] is None and e["note"] is None and e["votes"] is None for e in timeline)
    committee_timeline = committee.get(f"/api/v1/promotions/{pid}/timeline/").json()
    assert committee_timeline[-1]["note"] == "Congrats"
    assert committee_timeline[-1]["actor"] == people["committee"].username


def test_one_open_promotion_per_candidate(nominate, as_user, people):
    nominate()
    response = as_user(people["manager"]).post(
        "/api/v1/promotions/",
        {
            "candidate": people["candidate_member"].id,
            "to_level": "senior-pm",
            "justification": "x",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_eligible"
    assert [r["code"] for r in response.json()["reasons"]] == ["open_promotion"]
    assert Promotion.objects.count() == 1
