"""Every change of a person's record is audited (who, when, what, by which route), and a decision
records the votes counted and not counted, so the timeline shows which votes decided it."""

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError
from django.test import Client
from django.urls import reverse

from ladder.models import MemberChange
from promotions import services
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_reported_case_leaves_a_trace(people, in_review, as_user):
    """HR deactivates the rejecting reviewer, approves, reactivates them."""
    promotion = in_review()
    approver, rejecter = people["committee"], factories.committee_member(level="vp-product")
    factories.review(promotion, approver, "approve")
    factories.review(promotion, rejecter, "reject", "Not yet.")
    hr = as_user(people["hr"])
    url = f"/api/v1/members/{rejecter.member.pk}/"
    assert hr.patch(url, {"is_active": False}, format="json").status_code == 200
    approve = hr.post(f"/api/v1/promotions/{promotion.pk}/approve/", {}, format="json")
    assert approve.status_code == 200
    assert hr.patch(url, {"is_active": True}, format="json").status_code == 200

    trail = list(MemberChange.objects.filter(user=rejecter).order_by("at", "id"))
    assert [(c.actor, c.route, c.changes["is_active"]) for c in trail] == [
        (people["hr"], "api", {"from": True, "to": False}),
        (people["hr"], "api", {"from": False, "to": True}),
    ]
    timeline = hr.get(f"/api/v1/promotions/{promotion.pk}/timeline/").json()
    decision = timeline[-1]
    assert decision["to_state"] == "approved"
    assert {(v["reviewer"], v["decision"], v["counted"]) for v in decision["votes"]} == {
        (approver.username, "approve", True),
        (rejecter.username, "reject", False),
    }
    assert "no longer" in next(v for v in decision["votes"] if not v["counted"])["why_not"]


def test_the_candidate_and_manager_never_see_the_votes(people, in_review, as_user):
    promotion = in_review()
    factories.review(promotion, people["committee"], "approve")
    services.promotion_approve(promotion=promotion, actor=people["committee2"])
    for who in ("candidate", "manager"):
        timeline = as_user(people[who]).get(f"/api/v1/promotions/{promotion.pk}/timeline/").json()
        assert all(event["votes"] is None for event in timeline), who


def test_a_rejection_records_its_votes_too(people, in_review):
    promotion = in_review()
    factories.review(promotion, people["committee"], "reject", "No.")
    services.promotion_reject(promotion=promotion, actor=people["committee2"], note="No.")
    event = promotion.events.get(to_state="rejected")
    assert event.votes == [
        {
            "reviewer": people["committee"].username,
            "cast_by": people["committee"].username,
            "decision": "reject",
            "counted": True,
            "why_not": None,
            "packet_version": 1,
            "stale": False,
        }
    ]


def test_member_changes_in_the_admin_are_audited(people):
    member = people["candidate_member"]
    client = Client()
    client.force_login(people["hr"])
    url = reverse("admin:ladder_member_change", args=[member.pk])
    response = client.post(
        url,
        {
            "manager": people["other_manager"].member.pk,
            "level_changes-TOTAL_FORMS": "0",
            "level_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = MemberChange.objects.get(user=member.user)
    assert (change.actor, change.route) == (people["hr"], "admin")
    assert change.changes == {
        "manager": {"from": people["manager"].username, "to": people["other_manager"].username},
        "is_active": {"from": True, "to": False},  # the unticked box: deactivated
    }
    page = client.get(url).content.decode()
    assert "Change history" in page and people["other_manager"].username in page


def test_account_changes_in_the_user_admin_are_audited(people):
    user = people["candidate"]
    client = Client()
    client.force_login(people["hr"])
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": "new@example.com",
        "is_staff": "on",
        "groups": [],
        "date_joined_0": "2025-01-01",
        "date_joined_1": "10:00:00",
    }
    assert client.post(url, form).status_code == 302
    rows = MemberChange.objects.filter(user=user)
    assert {(row.actor, row.route) for row in rows} == {(people["hr"], "admin")}
    changes = {field: c for row in rows for field, c in row.changes.items()}
    assert changes["email"]["to"] == "new@example.com"
    assert changes["is_active"] == {"from": True, "to": False}
    assert changes["is_staff"] == {"from": False, "to": True}
    # The member follows their login: deactivated on the ladder too.
    people["candidate_member"].refresh_from_db()
    assert people["candidate_member"].is_active is False


def test_member_creation_over_the_api_is_audited(people, as_user):
    response = as_user(people["hr"]).post(
        "/api/v1/members/",
        {"username": "newpm", "email": "n@example.com", "level": "pm", "level_since": "2024-03-01"},
        format="json",
    )
    assert response.status_code == 201
    change = MemberChange.objects.get(user__username="newpm")
    assert change.changes["level"] == {"from": None, "to": "pm"}
    assert change.changes["level_since"] == {"from": None, "to": "2024-03-01"}


@pytest.mark.services
def test_the_database_refuses_to_rewrite_the_audit_trail(people, as_user):
    as_user(people["hr"]).patch(
        f"/api/v1/members/{people['candidate_member'].pk}/", {"first_name": "X"}, format="json"
    )
    assert MemberChange.objects.exists()
    for sql in ("UPDATE ladder_memberchange SET route = 'x'", "DELETE FROM ladder_memberchange"):
        with (
            pytest.raises((InternalError, ProgrammingError), match="Cannot update or delete"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)


def test_the_committee_does_not_read_hrs_audit_trail(people, as_user):
    member = people["candidate_member"]
    as_user(people["hr"]).patch(
        f"/api/v1/members/{member.pk}/", {"email": "secret@example.com"}, format="json"
    )
    client = Client()
    client.force_login(people["committee"])
    page = client.get(reverse("admin:ladder_member_change", args=[member.pk])).content.decode()
    assert "Change history" not in page and "secret@example.com" not in page
    assert client.get("/admin/ladder/memberchange/").status_code == 403


def test_a_users_own_password_change_is_audited(people):
    user = people["committee"]
    client = Client()
    client.force_login(user)
    response = client.post(
        "/admin/password_change/",
        {
            "old_password": factories.PASSWORD,
            "new_password1": "x-Very-long-9",
            "new_password2": "x-Very-long-9",
        },
    )
    assert response.status_code == 302
    change = MemberChange.objects.get(user=user)
    assert (change.actor, change.changes) == (user, {"password": {"from": None, "to": "changed"}})


def test_superuser_rights_granted_in_the_admin_are_audited(people):
    from django.contrib.auth.models import Permission

    boss = factories.UserFactory(is_superuser=True, is_staff=True)
    user = people["candidate"]
    client = Client()
    client.force_login(boss)
    permission = Permission.objects.get(codename="change_group")
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "user_permissions": [permission.pk],
        "date_joined_0": "2025-01-01",
        "date_joined_1": "10:00:00",
    }
    url = reverse("admin:auth_user_change", args=[user.pk])
    assert client.post(url, form).status_code == 302
    changes = {
        f: c for row in MemberChange.objects.filter(user=user) for f, c in row.changes.items()
    }
    assert changes["is_superuser"] == {"from": False, "to": True}
    assert changes["user_permissions"]["to"] == [str(permission)]
    assert "date_joined" in changes
