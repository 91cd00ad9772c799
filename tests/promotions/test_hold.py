"""On hold, over HTTP: the committee pauses a case and resumes it where it was (docs/workflow.md).
The candidate sees the state, never the note; nothing on hold is overdue; resuming a case in review
does not tell anyone again that the review started; a cycle with a case on hold cannot close."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification
from promotions import services
from promotions.cycles import services as cycles
from promotions.models import Cycle, Promotion
from promotions.selectors import overdue
from tests import factories

pytestmark = pytest.mark.django_db

NOTE = "held-note-5e1: waiting for the reorganisation to settle"


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.token_for(user)}")
    return client


def test_hold_a_case_in_review_and_resume_it_where_it_was():
    promotion = factories.promotion(state="in_review")
    committee = client_of(factories.committee_member())
    candidate = client_of(promotion.candidate.user)
    url = f"/api/v1/promotions/{promotion.pk}/"

    refused = committee.post(url + "hold/", {}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "note_required"
    assert committee.post(url + "resume/", {}, format="json").status_code == 409

    held = committee.post(url + "hold/", {"note": NOTE}, format="json")
    assert held.status_code == 200 and held.json()["state"] == "on_hold"
    assert "resume" in held.json()["available_transitions"]
    seen = candidate.get(url)
    assert seen.json()["state"] == "on_hold"
    timeline = candidate.get(url + "timeline/").content.decode()
    assert "on_hold" in timeline and NOTE not in timeline
    for row in Notification.objects.filter(recipient=promotion.candidate.user):
        assert NOTE not in row.body and NOTE not in row.subject
    later = timezone.now() + timedelta(days=60)
    assert not overdue(now=later).filter(pk=promotion.pk).exists()

    started = Notification.objects.filter(kind="review_started").count()
    resumed = committee.post(url + "resume/", {}, format="json")
    assert resumed.status_code == 200 and resumed.json()["state"] == "in_review"
    assert Notification.objects.filter(kind="review_started").count() == started
    assert Notification.objects.filter(kind="resumed", recipient=promotion.candidate.user).exists()
    assert overdue(now=later).filter(pk=promotion.pk).exists()


def test_a_nominated_case_resumes_as_nominated_and_only_the_committee_holds():
    promotion = factories.promotion()
    url = f"/api/v1/promotions/{promotion.pk}/"
    nominator = client_of(promotion.nominated_by)
    assert nominator.post(url + "hold/", {"note": NOTE}, format="json").status_code == 403
    committee = client_of(factories.committee_member())
    assert committee.post(url + "hold/", {"note": NOTE}, format="json").status_code == 200
    assert committee.post(url + "hold/", {"note": NOTE}, format="json").status_code == 409
    assert committee.post(url + "resume/", {}, format="json").json()["state"] == "nominated"
    assert Promotion.objects.get(pk=promotion.pk).held_from == ""


def test_a_cycle_with_a_case_on_hold_cannot_close():
    hr = factories.hr_user()
    today = timezone.localdate()
    cycle = cycles.cycle_create(
        actor=hr,
        name="H1",
        tracks=[],
        nominations_open_on=today,
        nominations_close_on=today + timedelta(days=10),
        decisions_due_on=today + timedelta(days=20),
        effective_on=today + timedelta(days=30),
    )
    cycles.cycle_open(actor=hr, cycle=cycle)
    promotion = factories.promotion()
    services.promotion_hold(promotion=promotion, actor=factories.committee_member(), note=NOTE)
    cycles.cycle_calibrate(actor=hr, cycle=Cycle.objects.get(pk=cycle.pk))
    refused = client_of(hr).post(f"/api/v1/cycles/{cycle.pk}/close/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "cycle_has_open_promotions"


def test_the_candidate_reads_on_hold_in_words_on_the_member_site(client):
    promotion = factories.promotion(state="in_review")
    services.promotion_hold(promotion=promotion, actor=factories.committee_member(), note=NOTE)
    client.force_login(promotion.candidate.user)
    page = client.get(f"/me/promotions/{promotion.pk}/").content.decode()
    assert "On hold" in page and NOTE not in page
