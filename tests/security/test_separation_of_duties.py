"""While an HR user's own promotion is open they may not change committee membership, create
users (staff or not: the add form sets a password) or set another user's password: each would let
them approve their own promotion through a second account."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from ladder import roles
from ladder.models import Level
from promotions import services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_candidate(people):
    hr = people["hr"]
    factories.MemberFactory(user=hr, level=Level.objects.get(code="pm"))
    promotion = services.promotion_nominate(
        candidate=hr.member,
        to_level=Level.objects.get(code="senior-pm"),
        nominated_by=factories.hr_user(),
        justification="Ready.",
    )
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
