"""The executive step, over HTTP (docs/workflow.md, "Executive step"): the committee's approval of a
move to a level with `executive_approval` waits for an Executive, who approves it (the level changes
then) or rejects it with a note. Never an Executive who voted on the promotion or approved it as the
committee, nor the nominator; the Executives are told and reminded."""

from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from ladder.models import LevelChange, Member
from notifications.models import Notification
from promotions import notify
from promotions.models import Promotion, PromotionEvent
from tests import factories
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.token_for(user)}")
    return client


def senior_case(*, voter=None):
    """A group PM nominated for head-of-product (executive_approval), in review with one
    approving vote."""
    candidate, _ = factories.team(level="group-pm", manager_level="vp-product")
    voter = voter or factories.committee_member()
    promotion = factories.promotion(
        candidate=candidate, to="head-of-product", state="in_review", votes=[(voter, "approve")]
    )
    return promotion, voter


def test_the_senior_levels_need_an_executive_and_say_so():
    hr = client_of(factories.hr_user())
    for code, needed in (("head-of-product", True), ("vp-product", True), ("cpo", True)):
        assert hr.get(f"/api/v1/ladder/levels/{code}/").json()["executive_approval"] is needed
    assert hr.get("/api/v1/ladder/levels/senior-pm/").json()["executive_approval"] is False


def test_a_senior_move_approved_by_the_committee_waits_for_an_executive_who_approves_it():
    assert connection.vendor == "postgresql"
    voting_executive = factories.committee_member()
    voting_executive.groups.add(*factories.executive().groups.all())
    promotion, _ = senior_case(voter=voting_executive)
    url = f"/api/v1/promotions/{promotion.pk}/"
    committee_user = factories.executive()  # also an Executive: approving as the committee
    committee_user.groups.add(*factories.committee_member().groups.all())
    executive = factories.executive()
    bystander = factories.executive()

    # The committee's approval: quorum checked now; no level change, no decision yet.
    sent = client_of(committee_user).post(url + "approve/", {}, format="json")
    assert sent.status_code == 200, sent.content
    body = sent.json()
    assert body["state"] == "awaiting_executive"
    assert body["decided_at"] is None and body["effective_on"] is None
    candidate = Member.objects.get(pk=promotion.candidate_id)
    assert candidate.level.code == "group-pm"
    # The Executives are told (not those who took part); the candidate hears nothing yet.
    told = set(
        Notification.objects.filter(kind="awaiting_executive").values_list(
            "recipient_id", flat=True
        )
    )
    assert {executive.pk, bystander.pk} <= told
    assert promotion.candidate.user_id not in told

    # The candidate reads it as in review still on the member site; the API says where it is.
    assert client_of(promotion.candidate.user).get(url).json()["state"] == "awaiting_executive"

    # Who may not: the Executive who voted on it, the committee member who approved it, a
    # committee member who is no Executive, the nominator.
    voted = client_of(voting_executive).post(url + "approve/", {}, format="json")
    assert voted.status_code == 403 and voted.json()["code"] == "took_part_before"
    approved_it = client_of(committee_user).post(url + "approve/", {}, format="json")
    assert approved_it.status_code == 403 and approved_it.json()["code"] == "took_part_before"
    committee = client_of(factories.committee_member())
    assert committee.post(url + "approve/", {}, format="json").status_code == 403
    assert (
        client_of(promotion.nominated_by).post(url + "approve/", {}, format="json").status_code
        == 403
    )
    assert client_of(voting_executive).get(url).json()["available_transitions"] == []

    seen = client_of(executive).get(url).json()
    assert seen["available_transitions"] == ["approve", "reject"]
    done = client_of(executive).post(url + "approve/", {}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "approved"
    assert done.json()["decided_at"] and done.json()["level_applied"] is True
    candidate.refresh_from_db()
    assert candidate.level.code == "head-of-product"
    assert LevelChange.objects.filter(member=candidate).count() == 1
    assert client_of(bystander).post(url + "approve/", {}, format="json").status_code == 409
    states = list(
        PromotionEvent.objects.filter(promotion=promotion).values_list("to_state", flat=True)
    )
    assert states[-2:] == ["awaiting_executive", "approved"]
    assert Notification.objects.filter(kind="approved", recipient=promotion.candidate.user).exists()


def test_an_executive_rejects_with_a_note_and_the_date_is_the_executives_to_set():
    promotion, _ = senior_case()
    url = f"/api/v1/promotions/{promotion.pk}/"
    committee = client_of(factories.committee_member())
    later = (timezone.localdate() + timedelta(days=3)).isoformat()
    dated = committee.post(url + "approve/", {"effective_on": later}, format="json")
    assert dated.status_code == 400 and dated.json()["code"] == "effective_on_set_by_executive"
    assert committee.post(url + "approve/", {}, format="json").json()["state"] == (
        "awaiting_executive"
    )
    # The committee's own reject is over: from here it is the Executives' work.
    assert committee.post(url + "reject/", {"note": "No."}, format="json").status_code == 403
    executive = client_of(factories.executive())
    refused = executive.post(url + "reject/", {}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "note_required"
    done = executive.post(url + "reject/", {"note": "Not this year."}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "rejected"
    assert Notification.objects.filter(kind="rejected", recipient=promotion.candidate.user).exists()


def test_an_executive_s_later_date_and_the_reminder_goes_to_the_executives():
    promotion, _ = senior_case()
    url = f"/api/v1/promotions/{promotion.pk}/"
    client_of(factories.committee_member()).post(url + "approve/", {}, format="json")
    executive = factories.executive()
    later = timezone.now() + timedelta(days=60)
    assert notify.notify_overdue(now=later) >= 1
    reminded = set(
        Notification.objects.filter(kind="review_reminder", promotion_id=promotion.pk).values_list(
            "recipient_id", flat=True
        )
    )
    assert executive.pk in reminded
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    done = client_of(executive).post(url + "approve/", {"effective_on": day}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["effective_on"] == day and done.json()["level_applied"] is False


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_executive_approvals_at_once_exactly_one_applies():
    assert connection.vendor == "postgresql"
    promotion, _ = senior_case()
    url = f"/api/v1/promotions/{promotion.pk}/approve/"
    client_of(factories.committee_member()).post(url, {}, format="json")
    clients = [client_of(factories.executive()) for _ in range(10)]
    responses = at_once(*(partial(c.post, url, {}, format="json") for c in clients))
    assert Counter(r.status_code for r in responses) == Counter({200: 1, 409: 9})
    assert Promotion.objects.get(pk=promotion.pk).state == "approved"
    assert LevelChange.objects.filter(member_id=promotion.candidate_id).count() == 1
    assert PromotionEvent.objects.filter(promotion=promotion, to_state="approved").count() == 1


def test_the_admin_index_tells_an_executive_what_awaits_them(client):
    promotion, voter = senior_case()
    executive = factories.executive()
    client.force_login(executive)
    assert "Nothing awaits an executive" in client.get("/admin/").content.decode()
    url = f"/api/v1/promotions/{promotion.pk}/approve/"
    client_of(factories.committee_member()).post(url, {}, format="json")
    page = client.get("/admin/").content.decode()
    assert "1 promotion awaits an executive's approval" in page
    listing = client.get("/admin/promotions/promotion/?state__exact=awaiting_executive")
    assert listing.status_code == 200 and promotion.candidate.name in listing.content.decode()
