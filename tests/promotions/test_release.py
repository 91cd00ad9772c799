"""A cycle's release date, over HTTP (docs/workflow.md, "Release date"; promotions/release.py):
until the date, the candidate reads a decided promotion as it was before the decision, on every page
and endpoint they can reach, and hears nothing of it; the nominator and the candidate's manager see
it with `released: false` and release it once they have told them; the periodic task releases the
rest on the date. Webhooks carry the decision at once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Delivery as Sending
from notifications.models import Notification
from notifications.outbox import outbox
from promotions import release, services
from promotions.models import Cycle, Promotion, PromotionEvent
from tests import factories
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

NOTE = "release-note-7c2: the committee's reasons"


def deliver_due() -> None:
    """What a worker does with the deliveries published after commit: send them (e-mail)."""
    outbox.deliver(list(Sending.objects.filter(status="pending").values_list("id", flat=True)))


def emails_about_approval(address: str) -> list:
    return [
        message
        for message in mail.outbox
        if address in message.to and "approv" in (message.subject + message.body).lower()
    ]


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.token_for(user)}")
    return client


def calibrating_cycle(*, release_in: int | None = 5) -> Cycle:
    return factories.release_cycle(release_in=release_in)


def decided(cycle: Cycle, decision: str = "approve", **kwargs) -> Promotion:
    return factories.held_decision(cycle=cycle, decision=decision, note=NOTE, **kwargs)


def test_the_candidate_learns_nothing_of_a_held_approval_anywhere(client):
    """Every place the candidate could read the decision, walked as the candidate: the API's
    detail, list and its state filter, timeline, packet, members/me, eligibility, the inbox (the
    rows e-mail and Slack deliver), and the member site's /, /me/ and the promotion's page."""
    Endpoint.objects.create(url="https://hr.example.com/hook", secret="s")
    cycle = calibrating_cycle()
    promotion = decided(cycle)
    assert promotion.state == "approved" and promotion.release_held
    candidate_user = promotion.candidate.user
    candidate = client_of(candidate_user)
    url = f"/api/v1/promotions/{promotion.pk}/"

    detail = candidate.get(url).json()
    assert detail["state"] == "in_review"
    assert detail["decided_at"] is None and detail["effective_on"] is None
    assert detail["level_applied"] is False and detail["released"] is None
    assert detail["available_transitions"] == []
    (row,) = candidate.get("/api/v1/promotions/").json()["results"]
    assert row == detail
    assert candidate.get("/api/v1/promotions/?state=approved").json()["count"] == 0
    assert candidate.get("/api/v1/promotions/?state=in_review").json()["count"] == 1
    timeline = candidate.get(url + "timeline/").json()
    assert [event["to_state"] for event in timeline] == ["nominated", "in_review"]
    assert candidate.get(url + "packet/").status_code == 200
    me = candidate.get("/api/v1/members/me/").json()
    assert me["level"] == "pm" and me["pending_promotion"] is None
    eligibility = candidate.get(f"/api/v1/members/{promotion.candidate_id}/eligibility/").json()
    codes = {r["code"] for level in eligibility["next_levels"] for r in level["reasons"]}
    assert "open_promotion" in codes and "promotion_pending" not in codes
    inbox = candidate.get("/api/v1/notifications/").json()["results"]
    assert [message["kind"] for message in inbox] == ["review_started"]
    assert not Notification.objects.filter(recipient=candidate_user, kind="approved").exists()
    deliver_due()  # the decision's messages to those who tell the candidate, and no other
    assert emails_about_approval(promotion.nominated_by.email)
    assert not emails_about_approval(candidate_user.email)
    for body in (str(detail), str(timeline), str(inbox)):
        assert "approved" not in body.lower() and NOTE not in body

    client.force_login(candidate_user)
    for page in ("/", "/me/", f"/me/promotions/{promotion.pk}/", "/inbox/"):
        text = client.get(page).content.decode()
        assert "Approved" not in text and "approved" not in text.lower(), page
        assert page == "/inbox/" or "In review" in text, page
        assert promotion.effective_on.strftime("%-d %B %Y") not in text, page

    # The nominator and the manager (here one person) see the decision, not yet released.
    manager = client_of(promotion.nominated_by)
    seen = manager.get(url).json()
    assert seen["state"] == "approved" and seen["released"] is False
    assert seen["available_transitions"] == ["release"]
    told = Notification.objects.get(recipient=promotion.nominated_by, kind="approved")
    assert "Released to the candidate" in told.body
    # Webhooks (HR's systems) carried it at once.
    assert Delivery.objects.filter(event="promotion.approved").count() == 1

    released = manager.post(url + "release/", {}, format="json")
    assert released.status_code == 200 and released.json()["released"] is True
    assert released.json()["available_transitions"] == []
    assert candidate.get(url).json()["state"] == "approved"
    timeline = candidate.get(url + "timeline/").json()
    assert [event["to_state"] for event in timeline][-2:] == ["approved", "released"]
    message = Notification.objects.get(recipient=candidate_user, kind="released")
    assert message.subject.startswith("Promotion approved") and "Approved" in message.body
    assert NOTE not in message.body
    assert Delivery.objects.filter(event="promotion.released").count() == 1
    deliver_due()
    (sent,) = emails_about_approval(candidate_user.email)
    assert "Approved" in sent.body and NOTE not in sent.body
    assert "Approved" in client.get(f"/me/promotions/{promotion.pk}/").content.decode()

    again = manager.post(url + "release/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_released"


def test_who_may_release_and_the_order_of_refusals():
    cycle = calibrating_cycle()
    open_one = factories.promotion()  # still nominated when the cycle calibrates
    candidate, manager = factories.team()
    hr = factories.hr_user()
    promotion = decided(cycle, "reject", candidate=candidate, by=hr)
    url = f"/api/v1/promotions/{promotion.pk}/release/"
    # The candidate is offered and refused what a case in review offers and refuses: no appeal
    # of a rejection they have not been told of, in words that do not tell it either.
    as_candidate = client_of(candidate.user)
    seen = as_candidate.get(url.replace("release/", "")).json()
    assert seen["state"] == "in_review" and seen["available_transitions"] == []
    appeal = as_candidate.post(
        url.replace("release/", "appeal/"), {"statement": "I disagree."}, format="json"
    )
    assert appeal.status_code == 409 and "reject" not in appeal.json()["detail"].lower()
    # Nothing else happens to a held decision before it is released: the nominator's appeal too.
    early = client_of(hr).post(
        url.replace("release/", "appeal/"), {"statement": "We disagree."}, format="json"
    )
    assert early.status_code == 409 and "release it to them first" in early.json()["detail"]
    assert client_of(factories.UserFactory()).post(url, {}).status_code == 404
    for refused in (candidate.user, factories.committee_member(), factories.hr_user()):
        response = client_of(refused).post(url, {}, format="json")
        assert response.status_code == 403, refused
    # The nominator (HR here) and the candidate's manager both may; the manager does.
    assert (
        "release" in client_of(hr).get(url.replace("release/", "")).json()["available_transitions"]
    )
    assert client_of(manager.user).post(url, {}, format="json").status_code == 200
    message = Notification.objects.get(recipient=candidate.user, kind="released")
    assert "did not approve" in message.body and NOTE not in message.body
    # Nothing decided, nothing to release.
    response = client_of(open_one.nominated_by).post(
        f"/api/v1/promotions/{open_one.pk}/release/", {}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "invalid_state"


def test_without_a_release_date_nothing_is_held():
    promotion = decided(calibrating_cycle(release_in=None))
    assert not promotion.release_held
    assert client_of(promotion.candidate.user).get(f"/api/v1/promotions/{promotion.pk}/").json()[
        "state"
    ] == ("approved")
    response = client_of(promotion.nominated_by).post(
        f"/api/v1/promotions/{promotion.pk}/release/", {}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "already_released"


def test_the_date_releases_the_rest_once_and_before_any_level_changes():
    cycle = calibrating_cycle()
    cases = [factories.promotion(state="in_review") for _ in range(3)]
    approved, rejected = decided(cycle, case=cases[0]), decided(cycle, "reject", case=cases[1])
    release_on = Cycle.objects.get(pk=cycle.pk).release_on
    assert release.promotions_release_due(today=release_on - timedelta(days=1)) == 0
    # Catching up after downtime: days late, both go, once.
    assert release.promotions_release_due(today=release_on + timedelta(days=3)) == 2
    assert release.promotions_release_due(today=release_on + timedelta(days=3)) == 0
    for promotion in (approved, rejected):
        assert PromotionEvent.objects.filter(promotion=promotion, to_state="released").count() == 1
        row = PromotionEvent.objects.get(promotion=promotion, to_state="released")
        assert row.actor is None
    assert Notification.objects.filter(kind="released").count() == 2

    # The effective task never changes a level under a held decision: it releases it first.
    late = decided(cycle, case=cases[2])
    services.promotions_apply_effective(today=Cycle.objects.get(pk=cycle.pk).effective_on)
    late = Promotion.objects.get(pk=late.pk)
    assert late.level_applied and not late.release_held
    kinds = list(PromotionEvent.objects.filter(promotion=late).values_list("to_state", flat=True))
    assert kinds[-2:] == ["released", "effective"]


def test_release_on_sits_between_decisions_due_and_effective_over_http():
    hr = client_of(factories.hr_user())
    today = timezone.localdate()
    body = {
        "name": "H3",
        "nominations_open_on": today.isoformat(),
        "nominations_close_on": (today + timedelta(days=10)).isoformat(),
        "decisions_due_on": (today + timedelta(days=20)).isoformat(),
        "effective_on": (today + timedelta(days=30)).isoformat(),
    }
    for wrong in (today + timedelta(days=19), today + timedelta(days=31)):
        response = hr.post(
            "/api/v1/cycles/", {**body, "release_on": wrong.isoformat()}, format="json"
        )
        assert response.status_code == 400, wrong
        assert response.json()["code"] == "cycle_dates_out_of_order"
    created = hr.post("/api/v1/cycles/", body, format="json")
    assert created.status_code == 201 and created.json()["release_on"] is None
    url = f"/api/v1/cycles/{created.json()['id']}/"
    on = (today + timedelta(days=25)).isoformat()
    changed = hr.patch(url, {"release_on": on}, format="json")
    assert changed.status_code == 200 and changed.json()["release_on"] == on
    assert hr.get(url).json()["release_on"] == on
    moved = hr.patch(url, {"effective_on": (today + timedelta(days=24)).isoformat()}, format="json")
    assert moved.status_code == 400 and moved.json()["code"] == "cycle_dates_out_of_order"
    assert hr.patch(url, {"release_on": None}, format="json").json()["release_on"] is None


def test_the_release_task_is_registered_with_beat():
    from django.conf import settings

    from promotions import tasks

    schedule = settings.CELERY_BEAT_SCHEDULE["promotions-release-due"]
    assert schedule["task"] == "promotions.tasks.promotions_release_due"
    assert tasks.promotions_release_due() == 0


def test_the_nominator_releases_from_their_nomination_s_page(client):
    promotion = decided(calibrating_cycle(), "reject")
    page = f"/nominations/{promotion.pk}/"
    client.force_login(promotion.nominated_by)
    text = client.get(page).content.decode()
    assert "does not know yet" in text and "release the decision" in text
    released = client.post(f"/promotions/{promotion.pk}/release/", follow=True)
    assert released.redirect_chain[-1][0] == page
    text = released.content.decode()
    assert "can now read the committee" in text and "does not know yet" not in text
    assert Notification.objects.filter(recipient=promotion.candidate.user, kind="released").exists()
    # Once more: refused, said on the page.
    again = client.post(f"/promotions/{promotion.pk}/release/", follow=True)
    assert "not held" in again.content.decode()


def test_hr_who_nominated_releases_from_the_desk_and_a_staff_candidate_never_sees_it(client):
    """The desk's buttons are the table's: HR who nominated the candidate reads the held decision
    there and releases it; a committee member who is the candidate finds no trace of it."""
    hr = factories.hr_user()
    staff_candidate = factories.committee_member(level="pm", manager=factories.MemberFactory())
    promotion = decided(calibrating_cycle(), candidate=staff_candidate.member, by=hr)
    desk = f"/admin/promotions/promotion/{promotion.pk}/change/"

    client.force_login(staff_candidate)
    assert client.get(desk).status_code in (302, 404)  # not in their admin at all
    listed = client.get("/admin/promotions/promotion/").content.decode()
    assert desk not in listed

    client.force_login(hr)
    page = client.get(desk).content.decode()
    assert 'value="release"' in page
    done = client.post(
        f"/admin/promotions/promotion/{promotion.pk}/act/",
        {"action": "release", "note": "Told them in our one-to-one."},
        follow=True,
    )
    assert done.status_code == 200
    assert not Promotion.objects.get(pk=promotion.pk).release_held
    event = PromotionEvent.objects.get(promotion=promotion, to_state="released")
    assert (event.actor, event.note) == (hr, "Told them in our one-to-one.")


def test_an_executives_held_decision_leaves_the_case_awaiting_an_executive_for_its_candidate():
    """A held decision reads as the state it was decided from: an Executive's decision on a move
    to head-of-product leaves the case awaiting an Executive for its candidate (detail, state
    filter, timeline): it never steps back to `in_review`, which would tell them someone decided."""
    from ladder.models import Level

    cycle = calibrating_cycle()
    manager = factories.MemberFactory(level=Level.objects.get(code="vp-product"))
    candidate = factories.MemberFactory(level=Level.objects.get(code="group-pm"), manager=manager)
    committee = factories.committee_member()
    in_review = factories.promotion(
        candidate=candidate, to="head-of-product", state="in_review", actor=committee
    )
    Cycle.objects.filter(pk=cycle.pk).update(state="calibrating")
    factories.review(in_review, factories.committee_member(), "approve")
    awaiting = services.promotion_approve(promotion=in_review, actor=committee)
    assert awaiting.state == "awaiting_executive"
    client = client_of(candidate.user)

    def seen() -> tuple:
        detail = client.get(f"/api/v1/promotions/{awaiting.pk}/").json()
        timeline = client.get(f"/api/v1/promotions/{awaiting.pk}/timeline/").json()
        listed = {
            state: client.get("/api/v1/promotions/", {"state": state}).json()["count"]
            for state in ("in_review", "awaiting_executive", "rejected")
        }
        return (
            detail["state"],
            detail["decided_at"],
            [event["to_state"] for event in timeline],
            listed,
        )

    before = seen()
    assert before == (
        "awaiting_executive",
        None,
        ["nominated", "in_review", "awaiting_executive"],
        {"in_review": 0, "awaiting_executive": 1, "rejected": 0},
    )
    rejected = services.promotion_reject(
        promotion=Promotion.objects.get(pk=awaiting.pk), actor=factories.executive(), note=NOTE
    )
    assert rejected.state == "rejected" and rejected.release_held
    assert seen() == before
    release.promotion_release(promotion=rejected, actor=manager.user)
    detail = client.get(f"/api/v1/promotions/{awaiting.pk}/").json()
    assert detail["state"] == "rejected"
    assert client.get("/api/v1/promotions/", {"state": "rejected"}).json()["count"] == 1
