"""While an HR user's own promotion is open they may not change committee membership, create
users (staff or not: the add form sets a password) or set another user's password: each would let
them approve their own promotion through a second account."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from core import roles
from ladder.models import Level
from promotions import services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_candidate(people):
    hr = people["hr"]
    factories.MemberFactory(user=hr, level=Level.objects.get(code="pm"))
    promotion = factories.promotion(candidate=hr.member, by=factories.hr_user())
    client = Client()
    client.force_login(hr)
    return hr, promotion, client


def change_form(user, groups) -> dict:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "groups": [g.pk for g in groups],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "10:00:00",
    }


def test_hr_candidate_cannot_add_a_user_or_put_one_on_the_committee(hr_candidate, people):
    hr, promotion, client = hr_candidate
    committee = Group.objects.get(name=roles.COMMITTEE_GROUP)
    accomplice = factories.UserFactory()
    response = client.post(
        "/admin/auth/user/add/",
        {"username": "sock", "password1": "x-Very-long-9", "password2": "x-Very-long-9"},
    )
    assert response.status_code == 403
    url = reverse("admin:auth_user_change", args=[accomplice.pk])
    response = client.post(url, change_form(accomplice, [committee]))
    assert response.status_code == 403
    assert not accomplice.groups.exists()


def test_hr_candidate_cannot_set_a_committee_members_password(hr_candidate, people):
    hr, promotion, client = hr_candidate
    member = people["committee"]
    url = reverse("admin:auth_user_password_change", args=[member.pk])
    response = client.post(url, {"password1": "x-Very-long-9", "password2": "x-Very-long-9"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.check_password(factories.PASSWORD)


def test_once_decided_hr_administers_accounts_again(hr_candidate, people):
    hr, promotion, client = hr_candidate
    services.promotion_withdraw(promotion=promotion, actor=factories.hr_user())
    member = people["committee2"]
    url = reverse("admin:auth_user_password_change", args=[member.pk])
    response = client.post(url, {"password1": "x-Very-long-9", "password2": "x-Very-long-9"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("x-Very-long-9")


def test_another_hr_user_may_while_one_is_a_candidate(hr_candidate, people):
    colleague = Client()
    colleague.force_login(factories.hr_user())
    response = colleague.post(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": "x-Very-long-9", "password2": "x-Very-long-9"},
    )
    assert response.status_code == 302


@pytest.fixture
def in_review_with_split_votes(hr_candidate, people):
    hr, promotion, client = hr_candidate
    promotion = services.promotion_start_review(promotion=promotion, actor=people["committee"])
    rejecter = factories.committee_member(level="vp-product")
    factories.review(promotion, rejecter, "reject", "Not yet.")
    factories.review(promotion, people["committee"], "approve")
    return hr, promotion, client, rejecter


def test_hr_candidate_cannot_sway_the_votes_through_member_records(
    in_review_with_split_votes, people, as_user
):
    """Deactivating the rejecting reviewer, or making them the candidate's manager (recused), or
    reactivating a dormant committee account: each would change whose votes count."""
    hr, promotion, client, rejecter = in_review_with_split_votes
    api = as_user(hr)
    for member, change in (
        (rejecter.member, {"is_active": False}),
        (rejecter.member, {"manager": people["manager"].username}),
        (people["candidate_member"], {"is_active": False}),
    ):
        response = api.patch(f"/api/v1/members/{member.pk}/", change, format="json")
        assert response.status_code == 403, change
        assert response.json()["code"] == "conflict_of_interest"
    own = api.patch(
        f"/api/v1/members/{hr.member.pk}/", {"manager": rejecter.username}, format="json"
    )
    assert own.status_code == 403 and own.json()["code"] == "own_record"
    response = client.post(
        reverse("admin:ladder_member_change", args=[rejecter.member.pk]),
        {"manager": "", "level_changes-TOTAL_FORMS": "0", "level_changes-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 200  # the form again, with the refusal
    assert "promotion is open" in str(response.context["adminform"].form.errors)
    rejecter.member.refresh_from_db()
    assert rejecter.member.is_active and rejecter.is_active
    approve = as_user(people["committee2"]).post(
        f"/api/v1/promotions/{promotion.pk}/approve/", {}, format="json"
    )
    assert approve.status_code == 409  # one approval, one rejection: no quorum


def test_a_colleague_may_still_change_names_and_addresses(hr_candidate, people, as_user):
    hr, promotion, client = hr_candidate
    response = as_user(hr).patch(
        f"/api/v1/members/{people['candidate_member'].pk}/",
        {"email": "new@example.com"},
        format="json",
    )
    assert response.status_code == 200
