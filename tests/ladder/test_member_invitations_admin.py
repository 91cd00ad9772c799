"""Invitations from the admin and the import: the member add form's "Send an invitation", the
changelist's "Send invitations" on many members (with the invitation's state in a column and on
the change page), the import page's option and `manage.py import_members --invite` (one e-mail
per member created, none to those updated)."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation
from ladder import invitations, services
from ladder.imports import COLUMNS
from ladder.models import Level, Member, MemberChange
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()
LINK = re.compile(r"http://ladder\.test/invite/([A-Za-z0-9_-]+)/")
CHANGELIST = "/admin/ladder/member/"
HEADER = ",".join(COLUMNS)


@pytest.fixture
def hr():
    return factories.hr_user(username="hana")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invited_addresses() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_hr_sends_invitations_to_many_members_from_the_changelist(
    hr, django_capture_on_commit_callbacks
):
    team = [factories.MemberFactory() for _ in range(3)]
    gone = factories.MemberFactory(user__username="gone")
    services.member_update(actor=hr, member=gone, changes={"is_active": False})
    selected = [member.pk for member in [*team, gone]]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(hr).post(
            CHANGELIST,
            {"action": "send_invitations", "_selected_action": selected},
            follow=True,
        )
    assert response.status_code == 200
    text = response.content.decode()
    assert "3 invitations sent" in text
    assert "Not invited: gone: This member is inactive" in text
    assert invited_addresses() == sorted(member.user.email for member in team)
    assert len(LINK.findall("".join(m.body for m in mail.outbox))) == 3
    audit = MemberChange.objects.filter(user__in=[m.user for m in team], route="admin")
    assert audit.count() == 3


def test_sending_again_voids_the_older_links(hr, django_capture_on_commit_callbacks):
    member = factories.MemberFactory()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client_for(hr).post(
                CHANGELIST, {"action": "send_invitations", "_selected_action": [member.pk]}
            )
    first, second = LINK.findall("".join(m.body for m in mail.outbox))
    assert first != second
    assert Invitation.objects.filter(user=member.user, voided_at__isnull=True).count() == 1


def test_hr_reads_the_invitation_state_in_the_list_and_on_the_change_page(
    hr, django_capture_on_commit_callbacks
):
    waiting, accepted, never = (factories.MemberFactory() for _ in range(3))
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitations_send(actor=hr, users=[waiting.user, accepted.user])
    token = next(
        token
        for message in mail.outbox
        if message.to == [accepted.user.email]
        for token in LINK.findall(message.body)
    )
    invitations.invitation_accept(token=token, password="a-Long-pass-phrase-9")

    client = client_for(hr)
    listing = client.get(CHANGELIST).content.decode()
    assert "invitation" in listing.lower()
    assert listing.count("accepted 20") == 1 and listing.count("sent 20") == 1
    change = client.get(reverse("admin:ladder_member_change", args=[waiting.pk]))
    html = change.content.decode()
    assert "Invited at" in html and "Invitation accepted at" in html
    page = client.get(reverse("admin:ladder_member_change", args=[never.pk])).content.decode()
    assert "Invited at" in page


def test_the_committee_neither_sees_the_action_nor_the_state(db):
    committee = factories.committee_member(level="vp-product")
    member = factories.MemberFactory()
    client = client_for(committee)
    listing = client.get(CHANGELIST).content.decode()
    assert "send_invitations" not in listing and "Invited at" not in listing
    response = client.post(
        CHANGELIST, {"action": "send_invitations", "_selected_action": [member.pk]}
    )
    assert not Invitation.objects.exists()
    assert response.status_code in (200, 302, 403)


def test_the_add_form_sends_an_invitation_when_ticked(hr, django_capture_on_commit_callbacks):
    person = factories.UserFactory(username="ines", email="ines@example.com")
    form = {
        "user": person.pk,
        "level": Level.objects.get(code="pm").pk,
        "manager": "",
        "level_since": "2024-01-01",
        "is_active": "on",
        "invite": "on",
        "level_changes-TOTAL_FORMS": "0",
        "level_changes-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(hr).post(reverse("admin:ladder_member_add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Member.objects.filter(user=person).exists()
    assert invited_addresses() == ["ines@example.com"]
    add_page = client_for(hr).get(reverse("admin:ladder_member_add")).content.decode()
    assert "Send an invitation" in add_page


def test_the_add_form_refuses_an_invitation_it_may_not_send(hr):
    person = factories.UserFactory(username="noaddress", email="")
    form = {
        "user": person.pk,
        "level": Level.objects.get(code="pm").pk,
        "level_since": "2024-01-01",
        "is_active": "on",
        "invite": "on",
        "level_changes-TOTAL_FORMS": "0",
        "level_changes-INITIAL_FORMS": "0",
    }
    response = client_for(hr).post(reverse("admin:ladder_member_add"), form)
    assert response.status_code == 200
    assert "no e-mail address" in response.content.decode()
    assert not Member.objects.filter(user=person).exists()


def test_the_change_page_has_no_invite_box(hr):
    member = factories.MemberFactory()
    page = client_for(hr).get(reverse("admin:ladder_member_change", args=[member.pk]))
    assert 'name="invite"' not in page.content.decode()


# --- The import ---------------------------------------------------------------------------------


def import_csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_import_members_invite_sends_one_mail_per_member_created(
    hr, tmp_path, django_capture_on_commit_callbacks
):
    known = factories.MemberFactory(user__username="kept", user__email="kept@example.com")
    path = tmp_path / "people.csv"
    path.write_text(
        import_csv(
            "ada,ada@example.com,Ada,L,pm,,,true",
            "bob,bob@example.com,Bob,M,pm,ada,,true",
            "cyd,cyd@example.com,Cyd,N,pm,,,false",
            f"kept,kept-new@example.com,{known.user.first_name},{known.user.last_name},"
            f"{known.level.code},,,true",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_members", str(path), "--actor", "hana", "--invite")
    assert invited_addresses() == ["ada@example.com", "bob@example.com"]
    assert not Invitation.objects.filter(user__username__in=["kept", "cyd"]).exists()
    assert set(
        MemberChange.objects.filter(changes__has_key="invitation").values_list("route", flat=True)
    ) == {"import"}


def test_import_without_invite_sends_nothing_and_a_dry_run_writes_nothing(
    hr, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "people.csv"
    path.write_text(import_csv("ada,ada@example.com,Ada,L,pm,,,true"))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_members", str(path), "--actor", "hana", "--invite", "--dry-run")
        call_command("import_members", str(path), "--actor", "hana")
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_the_import_page_offers_the_invitations(hr, django_capture_on_commit_callbacks):
    client = client_for(hr)
    text = import_csv("ada,ada@example.com,Ada,L,pm,,,true", "eve,eve@example.com,Eve,K,pm,,,")
    upload = SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")
    preview = client.post("/admin/ladder/member/import/", {"file": upload, "invite": "on"})
    assert "will be e-mailed an invitation" in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/admin/ladder/member/import/", {"confirm": "1"}, follow=True)
    assert "2 invited" in done.content.decode()
    assert invited_addresses() == ["ada@example.com", "eve@example.com"]


def test_the_member_admin_is_the_only_admin_with_the_action():
    site_admin = admin.site._registry[Member]
    assert "send_invitations" in site_admin.actions
