"""The committee's work in the Django admin, through the test client."""

import pytest
from django.test import Client

from ladder.models import LevelChange
from promotions import services
from promotions.models import Promotion, PromotionEvent, Review
from promotions.packets import services as packets
from tests import factories

pytestmark = pytest.mark.django_db

APPROVE_BUTTON = '<button type="submit" name="action" value="approve"'
REJECT_BUTTON = '<button type="submit" name="action" value="reject"'


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(promotion) -> str:
    return f"/admin/promotions/promotion/{promotion.pk}/change/"


def act_url(promotion) -> str:
    return f"/admin/promotions/promotion/{promotion.pk}/act/"


def rated(promotion, rating: str = "meets") -> dict:
    """The desk's rating fields, one per criterion of the current packet version."""
    return {f"rating_{c}": r for c, r in factories.ratings_for(promotion, rating).items()}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_committee_member_reviews_and_approves_from_the_change_page(people, in_review):
    promotion = in_review()
    client = admin_client(people["committee"])

    page = client.get(change_url(promotion))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Record review" in html
    assert APPROVE_BUTTON not in html  # no approving review yet: the quorum is not met
    assert REJECT_BUTTON in html

    response = client.post(
        act_url(promotion),
        {"action": "review", "decision": "approve", "comment": "Ready", **rated(promotion)},
        follow=True,
    )
    assert "Your review is recorded." in messages_of(response)
    assert Review.objects.get().reviewer == people["committee"]
    assert APPROVE_BUTTON in response.content.decode()

    response = client.post(
        act_url(promotion), {"action": "approve", "note": "Well done"}, follow=True
    )
    assert response.status_code == 200
    assert any("now approved" in m for m in messages_of(response))
    people["candidate_member"].refresh_from_db()
    assert people["candidate_member"].level.code == "senior-pm"
    assert Promotion.objects.get(pk=promotion.pk).state == "approved"
    assert LevelChange.objects.filter(promotion=promotion).count() == 1
    event = PromotionEvent.objects.filter(promotion=promotion).last()
    assert (event.to_state, event.actor, event.note) == (
        "approved",
        people["committee"],
        "Well done",
    )


def test_a_recused_committee_member_sees_no_button_and_a_forged_post_is_refused(people, in_review):
    recused = factories.committee_member(level="group-pm")
    candidate = factories.MemberFactory(manager=recused.member)
    promotion = factories.promotion(
        candidate=candidate,
        by=recused,
        state="in_review",
        actor=people["committee"],
        votes=[(people["committee"], "approve")],
    )
    client = admin_client(recused)

    page = client.get(change_url(promotion))
    assert page.status_code == 200
    html = page.content.decode()
    assert APPROVE_BUTTON not in html
    assert REJECT_BUTTON not in html
    assert "Record review" not in html
    assert people["committee"].username not in html  # no reviewer names

    response = client.post(act_url(promotion), {"action": "approve"}, follow=True)
    assert response.status_code == 200
    assert any(m.startswith("Refused:") for m in messages_of(response))
    response = client.post(
        act_url(promotion),
        {"action": "review", "decision": "approve", **rated(promotion)},
        follow=True,
    )
    assert any(m.startswith("Refused:") for m in messages_of(response))
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"
    assert Review.objects.filter(reviewer=recused).count() == 0


@pytest.mark.parametrize(
    ("post", "refusal"),
    [
        ({"action": "approve"}, "Approval needs"),
        ({"action": "reject", "note": ""}, "note is required"),
        ({"action": "start-review"}, "cannot go into review"),
        ({"action": "review", "decision": "reject", "comment": ""}, "comment is required"),
        ({"action": "review", "decision": "perhaps"}, "approve or reject"),
        ({"action": "request-changes", "note": ""}, "a note is required"),
        ({"action": "explode"}, "Unknown action"),
    ],
)
def test_refused_actions_show_the_reason_never_a_500(people, in_review, post, refusal):
    promotion = in_review()
    if post["action"] == "review":
        post = {**post, **rated(promotion)}
    response = admin_client(people["committee"]).post(act_url(promotion), post, follow=True)
    assert response.status_code == 200
    assert any(refusal in m for m in messages_of(response)), messages_of(response)
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"


def test_a_member_without_committee_rights_cannot_open_the_page(people, in_review):
    promotion = in_review()
    candidate_client = admin_client(people["candidate"])
    response = candidate_client.get(change_url(promotion))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    response = candidate_client.post(act_url(promotion), {"action": "withdraw"})
    assert response.status_code == 302
    staff_without_group = factories.UserFactory(is_staff=True)
    response = admin_client(staff_without_group).get(change_url(promotion))
    assert response.status_code == 403
    response = admin_client(staff_without_group).post(act_url(promotion), {"action": "withdraw"})
    assert response.status_code == 403
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"


def test_the_list_shows_the_committees_columns_and_filters(people, in_review, nominate):
    promotion = in_review()
    factories.review(promotion, people["committee"], "approve")
    client = admin_client(people["committee"])
    response = client.get("/admin/promotions/promotion/?state__exact=in_review")
    html = response.content.decode()
    assert response.status_code == 200
    assert "pm → senior-pm" in html
    assert "1 / 0" in html
    assert "days open" in html.lower()
    for query in ["track=ic", "to_level__id__exact=3", f"q={people['candidate'].username}"]:
        assert client.get(f"/admin/promotions/promotion/?{query}").status_code == 200


def test_the_state_is_never_editable_and_nothing_can_be_deleted(people, in_review):
    promotion = in_review()
    client = admin_client(people["hr"])
    page = client.get(change_url(promotion)).content.decode()
    assert 'name="state"' not in page
    response = client.post(change_url(promotion), {"state": "approved"})
    assert response.status_code == 403
    assert client.get(f"/admin/promotions/promotion/{promotion.pk}/delete/").status_code == 403
    event = promotion.events.first()
    assert client.get(f"/admin/promotions/promotionevent/{event.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/promotions/promotionevent/{event.pk}/change/", {}).status_code == 403
    )
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"


def test_career_history_cannot_be_edited_in_the_admin(people):
    from ladder.models import Level
    from ladder.services import member_level_change

    change = member_level_change(
        member=people["candidate_member"], to_level=Level.objects.get(code="senior-pm")
    )
    client = admin_client(factories.UserFactory(is_staff=True, is_superuser=True))
    assert client.get(f"/admin/ladder/levelchange/{change.pk}/delete/").status_code == 403
    assert client.post(f"/admin/ladder/levelchange/{change.pk}/change/", {}).status_code == 403
    assert client.get("/admin/ladder/levelchange/add/").status_code == 403
    assert LevelChange.objects.count() == 1


def test_the_change_page_shows_justification_level_and_history(people, in_review):
    promotion = in_review()
    html = admin_client(people["committee"]).get(change_url(promotion)).content.decode()
    assert promotion.justification in html
    assert "candidate's current level" in html.lower()
    assert "Product Manager" in html
    assert "timeline" in html.lower()


def test_a_review_without_a_rating_per_criterion_is_refused(people, in_review):
    promotion = in_review()
    ratings = rated(promotion)
    ratings.pop(next(iter(ratings)))
    response = admin_client(people["committee"]).post(
        act_url(promotion), {"action": "review", "decision": "approve", **ratings}, follow=True
    )
    assert any(m.startswith("Refused: Rate") for m in messages_of(response)), messages_of(response)
    assert not Review.objects.exists()


def test_the_desk_shows_the_packet_its_versions_and_stale_votes(people, in_review):
    promotion = in_review()
    factories.review(promotion, people["committee"], "approve")
    services.promotion_request_changes(
        promotion=promotion, actor=people["committee2"], note="Say more about mentoring."
    )
    evidence = factories.evidence_for("senior-pm")
    evidence[1]["text"] = "Mentors two associate PMs every week."
    packets.packet_submit(
        promotion=promotion, actor=people["manager"], justification="Reworked.", evidence=evidence
    )
    services.promotion_resubmit(promotion=promotion, actor=people["manager"])
    client = admin_client(people["committee2"])
    html = client.get(change_url(promotion)).content.decode()
    assert "packet v2" in html and "v1</a>" in html
    assert "<ins>Mentors two associate PMs every week.</ins>" in html  # compared with v1
    assert "stale" in html  # the approve on v1 no longer counts
    assert 'name="rating_mentors-juniors"' in html
    old = client.get(change_url(promotion) + "?version=1").content.decode()
    assert "packet v1" in old
    candidate = admin_client(people["candidate"]).get(change_url(promotion))
    assert candidate.status_code == 302  # not staff: no desk at all
