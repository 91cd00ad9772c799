"""Holes an independent review found, each closed and kept closed here."""

from collections import Counter
from functools import partial

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from ladder.models import Level
from promotions import services
from promotions.models import Promotion
from tests import factories
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def own_promotion(people):
    """A committee member who is themselves the candidate, with a promotion in review."""
    candidate = factories.committee_member(level="pm", manager=people["candidate_member"].manager)
    promotion = services.promotion_start_review(
        promotion=factories.promotion(candidate=candidate.member, by=people["manager"]),
        actor=people["committee"],
        note="SECRET-NOTE",
    )
    factories.review(promotion, people["committee"], "approve")
    return candidate, promotion


def test_the_event_admin_hides_a_recused_users_own_events(own_promotion, people):
    candidate, promotion = own_promotion
    client = admin_client(candidate)
    listing = client.get("/admin/promotions/promotionevent/")
    assert listing.status_code == 200
    assert "SECRET-NOTE" not in listing.content.decode()
    assert listing.context["cl"].result_count == 0
    event = promotion.events.get(to_state="in_review")
    assert client.get(f"/admin/promotions/promotionevent/{event.pk}/change/").status_code == 302
    other = admin_client(people["committee2"]).get("/admin/promotions/promotionevent/")
    assert other.context["cl"].result_count == 2


def test_the_promotion_list_hides_votes_from_the_candidate(own_promotion, people):
    candidate, promotion = own_promotion
    html = admin_client(candidate).get("/admin/promotions/promotion/").content.decode()
    assert "1 / 0" not in html
    assert (
        "1 / 0"
        in admin_client(people["committee2"]).get("/admin/promotions/promotion/").content.decode()
    )


def test_the_notification_admin_shows_no_bodies(people, nominate):
    promotion = nominate()
    services.promotion_withdraw(
        promotion=promotion, actor=people["manager"], note="SECRET-WITHDRAWAL"
    )
    client = admin_client(people["hr"])
    for row in promotion.notifications.all():
        page = client.get(f"/admin/notifications/notification/{row.pk}/change/")
        assert page.status_code == 200
        assert "SECRET-WITHDRAWAL" not in page.content.decode()


def test_hr_cannot_manage_superusers(people):
    root = factories.UserFactory(is_superuser=True, is_staff=True)
    client = admin_client(people["hr"])
    response = client.post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "Taken-Over-123!", "password2": "Taken-Over-123!", "usable_password": "true"},
    )
    assert response.status_code in {302, 404}
    root.refresh_from_db()
    assert root.check_password(factories.PASSWORD)
    assert client.get(f"/admin/auth/user/{root.pk}/change/").status_code == 302  # "does not exist"


def test_a_vote_stops_counting_when_its_reviewer_leaves_the_committee(people, in_review, as_user):
    promotion = in_review()
    factories.review(promotion, people["committee2"], "approve")
    people["committee2"].groups.remove(Group.objects.get(name="Promotion committee"))
    response = as_user(people["committee"]).post(f"/api/v1/promotions/{promotion.id}/approve/")
    assert response.status_code == 409
    assert response.json()["code"] == "quorum_not_met"


def test_a_vote_stops_counting_when_its_reviewer_becomes_the_candidates_manager(
    people, in_review, as_user
):
    promotion = in_review()
    boss = factories.committee_member(level="group-pm")
    factories.review(promotion, boss, "approve")
    candidate = people["candidate_member"]
    candidate.manager = boss.member
    candidate.save()
    response = as_user(people["committee"]).post(f"/api/v1/promotions/{promotion.id}/approve/")
    assert response.status_code == 409
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"


def test_deactivating_a_member_in_the_admin_ends_their_login(people, as_user):
    member = people["candidate_member"]
    client = as_user(member.user)
    response = admin_client(people["hr"]).post(
        f"/admin/ladder/member/{member.pk}/change/",
        {  # is_active unticked
            "manager": member.manager_id,
            "level_changes-TOTAL_FORMS": "0",
            "level_changes-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content[:500]
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert (member.is_active, member.user.is_active) == (False, False)
    assert client.get("/api/v1/members/me/").status_code == 401


@pytest.mark.parametrize("query", ["page=%C2%B2", "page_size=%E2%91%A0", "page=%D9%A3"])
def test_unicode_digits_in_paging_are_400(as_user, people, query):
    response = as_user(people["committee"]).get(f"/api/v1/promotions/?{query}")
    assert response.status_code == 400


def test_nul_bytes_in_admin_forms_and_filters_are_400(people, in_review):
    promotion = in_review()
    client = admin_client(people["committee"])
    response = client.post(
        f"/admin/promotions/promotion/{promotion.pk}/act/", {"action": "reject", "note": "a\x00b"}
    )
    assert response.status_code == 400
    assert client.get("/admin/promotions/promotion/?track=%00").status_code == 400
    assert client.get("/admin/promotions/promotion/?q=%00").status_code == 400
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_edits_at_once_cannot_close_a_reporting_loop(people):
    assert connection.vendor == "postgresql"
    a = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    b = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    token = factories.token_for(people["hr"])

    def patch(member, manager):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.patch(
            f"/api/v1/members/{member.pk}/", {"manager": manager.user.username}, format="json"
        ).status_code

    statuses = at_once(partial(patch, a, b), partial(patch, b, a))
    assert Counter(statuses) == Counter({200: 1, 400: 1})
    a.refresh_from_db()
    b.refresh_from_db()
    assert not (a.manager_id == b.pk and b.manager_id == a.pk)
