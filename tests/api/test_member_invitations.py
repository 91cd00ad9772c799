"""Invitations over the API: `POST members/` with `"invite": true`, `POST members/{id}/invite/`
(202, HR; 404 for a member one may not see), and `invited_at` / `invitation_accepted_at` on
members, read by HR only (null for everyone else)."""

import re

import pytest
from django.core import mail

from accounts.models import Invitation
from ladder import invitations, services
from ladder.models import Level, Member, MemberChange
from tests import factories

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://ladder\.test/invite/([A-Za-z0-9_-]+)/")
NEW_MEMBER = {
    "username": "newpm",
    "email": "newpm@example.com",
    "first_name": "Nadia",
    "last_name": "Park",
    "level": "pm",
    "manager": None,
}


def invite_url(member) -> str:
    return f"/api/v1/members/{member.pk}/invite/"


def test_hr_creates_a_member_with_an_invitation(
    as_user, ladder_people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(ladder_people["hr"]).post(
            "/api/v1/members/", {**NEW_MEMBER, "invite": True}, format="json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["invited_at"] is not None and body["invitation_accepted_at"] is None
    assert "invite" not in body
    [message] = mail.outbox
    assert message.to == ["newpm@example.com"]
    [token] = LINK.findall(message.body)
    invitations.invitation_accept(token=token, password="a-Long-pass-phrase-9")
    member = Member.objects.get(user__username="newpm")
    assert member.user.check_password("a-Long-pass-phrase-9")
    routes = set(MemberChange.objects.filter(user=member.user).values_list("route", flat=True))
    assert routes == {"api", "system"}  # accepted here by the service itself, not a request


def test_without_invite_nobody_is_e_mailed(
    as_user, ladder_people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(ladder_people["hr"]).post("/api/v1/members/", NEW_MEMBER, format="json")
    assert response.status_code == 201
    assert response.json()["invited_at"] is None
    assert mail.outbox == [] and not Invitation.objects.exists()


@pytest.mark.parametrize("value", ["maybe", 2, None, [True]])
def test_invite_must_be_a_boolean(as_user, ladder_people, value):
    response = as_user(ladder_people["hr"]).post(
        "/api/v1/members/", {**NEW_MEMBER, "invite": value}, format="json"
    )
    assert response.status_code == 400
    assert not Member.objects.filter(user__username="newpm").exists()


def test_a_refused_invitation_creates_no_member(as_user, ladder_people):
    hr = ladder_people["hr"]
    factories.MemberFactory(user=hr, level=Level.objects.get(code="pm"))
    factories.promotion(candidate=hr.member, by=factories.hr_user())  # HR's own promotion open
    response = as_user(hr).post("/api/v1/members/", {**NEW_MEMBER, "invite": True}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "conflict_of_interest"
    assert not Member.objects.filter(user__username="newpm").exists()


def test_hr_invites_a_member_202(as_user, ladder_people, django_capture_on_commit_callbacks):
    report = ladder_people["report_a"]
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(ladder_people["hr"]).post(invite_url(report))
    assert response.status_code == 202, response.json()
    body = response.json()
    assert set(body) == {"invited_at", "expires_at", "email"}
    assert body["email"] == report.user.email
    assert [m.to for m in mail.outbox] == [[report.user.email]]
    again = as_user(ladder_people["hr"]).post(invite_url(report))  # sends again
    assert again.status_code == 202
    assert Invitation.objects.filter(user=report.user, voided_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("committee", 403), ("manager", 403), ("report_a", 403), ("outsider", 404)],
)
def test_only_hr_invites_and_unseen_members_are_404(as_user, ladder_people, who, status):
    person = ladder_people[who]
    user = getattr(person, "user", person)
    response = as_user(user).post(invite_url(ladder_people["report_a"]))
    assert response.status_code == status
    assert response.json()["code"] == ("no_such_member" if status == 404 else "permission_denied")
    assert not Invitation.objects.exists()


def test_an_unknown_member_is_404(as_user, ladder_people):
    response = as_user(ladder_people["hr"]).post("/api/v1/members/999999/invite/")
    assert response.status_code == 404 and response.json()["code"] == "no_such_member"


def test_an_inactive_member_is_409(as_user, ladder_people):
    hr, report = ladder_people["hr"], ladder_people["report_a"]
    services.member_update(actor=hr, member=report, changes={"is_active": False})
    response = as_user(hr).post(invite_url(report))
    assert response.status_code == 409 and response.json()["code"] == "member_inactive"


def test_a_superusers_record_is_403(as_user, ladder_people):
    root = factories.UserFactory(is_superuser=True)
    member = Member.objects.create(user=root, level=Level.objects.get(code="pm"))
    response = as_user(ladder_people["hr"]).post(invite_url(member))
    assert response.status_code == 403 and response.json()["code"] == "superuser_protected"


def test_only_post(as_user, ladder_people):
    client = as_user(ladder_people["hr"])
    assert client.get(invite_url(ladder_people["report_a"])).status_code == 405


def test_hr_reads_when_people_were_invited_and_accepted_others_read_null(
    as_user, ladder_people, django_capture_on_commit_callbacks
):
    hr, manager, report = ladder_people["hr"], ladder_people["manager"], ladder_people["report_a"]
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_send(actor=hr, user=report.user)
    [token] = LINK.findall(mail.outbox[0].body)
    invitations.invitation_accept(token=token, password="a-Long-pass-phrase-9")
    report.user.refresh_from_db()  # its new password: tokens are issued under it

    as_hr = as_user(hr).get(f"/api/v1/members/{report.pk}/").json()
    assert as_hr["invited_at"] and as_hr["invitation_accepted_at"]
    listed = {row["id"]: row for row in as_user(hr).get("/api/v1/members/").json()["results"]}
    assert listed[report.pk]["invitation_accepted_at"] == as_hr["invitation_accepted_at"]
    assert listed[manager.pk]["invited_at"] is None
    for reader in (manager.user, report.user, ladder_people["committee"]):
        seen = as_user(reader).get(f"/api/v1/members/{report.pk}/").json()
        assert seen["invited_at"] is None and seen["invitation_accepted_at"] is None
    me = as_user(report.user).get("/api/v1/members/me/").json()
    assert me["invited_at"] is None and me["invitation_accepted_at"] is None
