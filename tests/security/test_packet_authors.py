"""Whoever wrote a version of a promotion's packet is recused from the committee's work on it:
HR who rewrote the case neither votes on it nor starts, decides or sends back its review (the
outside test's observation: an HR author could vote on and approve their own version)."""

import pytest

from promotions import services, workflow
from promotions.models import Promotion
from promotions.packets import services as packets
from tests import factories

pytestmark = pytest.mark.django_db

COMMITTEES_WORK = workflow.actions_of(workflow.Work.COMMITTEE)  # start-review, approve, hold ...


def test_hr_who_rewrote_the_packet_does_none_of_the_committees_work(people, nominate, as_user):
    promotion = nominate()
    author = factories.hr_user()
    packets.packet_submit(
        promotion=promotion,
        actor=author,
        justification="Rewritten by HR.",
        evidence=factories.evidence_for("senior-pm"),
    )
    api = as_user(author)
    detail = api.get(f"/api/v1/promotions/{promotion.pk}/").json()
    assert not set(detail["available_transitions"]) & set(COMMITTEES_WORK)
    response = api.post(f"/api/v1/promotions/{promotion.pk}/start-review/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "packet_author_recused"

    services.promotion_start_review(promotion=promotion, actor=people["committee"])
    vote = {"decision": "approve", "comment": "", "ratings": factories.ratings_body(promotion)}
    response = api.post(f"/api/v1/promotions/{promotion.pk}/reviews/", vote, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "packet_author_recused"
    factories.review(promotion, people["committee2"], "approve")
    listed = api.get("/api/v1/promotions/").json()["results"]
    row = next(row for row in listed if row["id"] == promotion.pk)
    assert not set(row["available_transitions"]) & set(COMMITTEES_WORK)
    for action, body in (("approve", {}), ("reject", {"note": "No."})):
        response = api.post(f"/api/v1/promotions/{promotion.pk}/{action}/", body, format="json")
        assert response.status_code == 403, action
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"
    # Another HR user decides it; the author still reads it all (it is not their own case).
    other = as_user(factories.hr_user())
    assert (
        other.post(f"/api/v1/promotions/{promotion.pk}/approve/", {}, format="json").status_code
        == 200
    )
    assert api.get(f"/api/v1/promotions/{promotion.pk}/reviews/").status_code == 200
