"""HR's member import page and the CSV exports of the member and promotion changelists
(django-import-export's export, for HR only, spreadsheet-safe)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ladder.imports import COLUMNS as MEMBER_COLUMNS
from ladder.imports import members_import
from ladder.models import Member, MemberChange
from promotions.exports import COLUMNS as PROMOTION_COLUMNS
from tests import factories

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/ladder/member/import/"
MEMBER_EXPORT = "/admin/ladder/member/export/"
PROMOTION_EXPORT = "/admin/promotions/promotion/export/"
HEADER = ",".join(MEMBER_COLUMNS)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")


def export(client: Client, url: str) -> list[list[str]]:
    response = client.post(url, {"format": "0", "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    # A byte-order mark first: Excel on Windows reads a CSV without one as Windows-1252.
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def hr():
    return factories.hr_user(username="hana")


def test_hr_imports_through_the_admin_with_a_preview_then_a_confirmation(hr):
    boss = factories.MemberFactory(user__username="boss", level__code="group-pm")
    client = client_for(hr)
    changelist = client.get(reverse("admin:ladder_member_changelist")).content.decode()
    assert IMPORT_URL in changelist and MEMBER_EXPORT in changelist
    assert client.get(IMPORT_URL).status_code == 200

    text = f"{HEADER}\nada,ada@example.com,Ada,L,senior-pm,boss,2024-01-02,true\n"
    preview = client.post(IMPORT_URL, {"file": upload(text)})
    assert preview.status_code == 200
    assert "1 to create, 0 to update, 0 unchanged" in preview.content.decode()
    assert not Member.objects.filter(user__username="ada").exists()  # a dry run

    done = client.post(IMPORT_URL, {"confirm": "1"})
    assert done.status_code == 302 and done["Location"] == reverse("admin:ladder_member_changelist")
    ada = Member.objects.get(user__username="ada")
    assert ada.manager == boss and ada.level.code == "senior-pm"
    assert MemberChange.objects.get(user=ada.user).route == "import"
    # The file is confirmed once: a second confirmation has nothing to import.
    again = client.post(IMPORT_URL, {"confirm": "1"}, follow=True)
    assert "Nothing to import" in again.content.decode()


def test_the_admin_shows_every_error_with_its_line_and_imports_nothing(hr):
    client = client_for(hr)
    text = f"{HEADER}\nada,ada@example.com,A,L,nope,,,\nbob,bob@example.com,B,B,pm,ghost,,\n"
    page = client.post(IMPORT_URL, {"file": upload(text)}).content.decode()
    assert "Nothing was imported: 2 errors" in page
    assert "line 2: Unknown level &#x27;nope&#x27;." in page
    assert "line 3: Unknown manager &#x27;ghost&#x27;" in page
    assert 'name="confirm"' not in page
    assert client.post(IMPORT_URL, {"confirm": "1"}).status_code == 302  # nothing kept
    assert not Member.objects.exists()


@pytest.mark.parametrize("role", ["committee", "member"])
def test_the_committee_and_members_can_neither_import_nor_export(role):
    factories.promotion()
    user = factories.committee_member() if role == "committee" else factories.MemberFactory().user
    client = client_for(user)
    text = f"{HEADER}\nada,ada@example.com,A,L,pm,,,\n"
    for response in (
        client.get(IMPORT_URL),
        client.post(IMPORT_URL, {"file": upload(text)}),
        client.get(MEMBER_EXPORT),
        client.post(MEMBER_EXPORT, {"format": "0", "resource": "0"}),
        client.post(PROMOTION_EXPORT, {"format": "0", "resource": "0"}),
    ):
        # The committee is staff: refused (403); a member is not: sent to the login page.
        assert response.status_code == (403 if role == "committee" else 302)
        assert not response.get("Content-Type", "").startswith("text/csv")
    if role == "committee":
        page = client.get(reverse("admin:promotions_promotion_changelist")).content.decode()
        assert PROMOTION_EXPORT not in page
        page = client.get(reverse("admin:ladder_member_changelist")).content.decode()
        assert IMPORT_URL not in page and MEMBER_EXPORT not in page
    assert not Member.objects.filter(user__username="ada").exists()


def test_a_member_export_imports_back_with_no_changes(hr):
    candidate, manager = factories.team()
    factories.MemberFactory(level__code="pm", manager=manager, is_active=False)
    factories.MemberFactory(user__first_name="Zoë", user__last_name="O'Brien, Jr.")
    rows = export(client_for(hr), MEMBER_EXPORT)
    assert tuple(rows[0]) == MEMBER_COLUMNS
    assert len(rows) == 1 + Member.objects.count()
    content = "\r\n".join(",".join(f'"{c}"' for c in row) for row in rows)
    result = members_import(actor=hr, content=content)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == ([], [], Member.objects.count())
    assert not MemberChange.objects.exists()


def test_exports_neutralise_spreadsheet_formulas(hr):
    factories.MemberFactory(
        user__username="evil", user__first_name="=HYPERLINK(1)", user__last_name="@SUM(A1)"
    )
    factories.MemberFactory(user__first_name="+1", user__last_name="-2")
    factories.MemberFactory(user__first_name="\tTab", user__last_name="Plain")
    rows = export(client_for(hr), MEMBER_EXPORT)
    names = {(row[2], row[3]) for row in rows[1:]}
    assert ("'=HYPERLINK(1)", "'@SUM(A1)") in names
    assert ("'+1", "'-2") in names
    assert ("'\tTab", "Plain") in names


def test_the_promotion_export_columns(hr):
    promotion = factories.promotion(state="approved")
    rows = export(client_for(hr), PROMOTION_EXPORT)
    assert (
        tuple(rows[0])
        == PROMOTION_COLUMNS
        == (
            "id",
            "candidate",
            "from_level",
            "to_level",
            "state",
            "nominated_by",
            "created_at",
            "decided_at",
            "effective_on",
            "cycle",
        )
    )
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row == {
        "id": str(promotion.pk),
        "candidate": promotion.candidate.user.username,
        "from_level": promotion.from_level.code,
        "to_level": promotion.to_level.code,
        "state": "approved",
        "nominated_by": promotion.nominated_by.username,
        # To the second: spreadsheets show microseconds as noise.
        "created_at": promotion.created_at.isoformat(timespec="seconds"),
        "decided_at": promotion.decided_at.isoformat(timespec="seconds"),
        "effective_on": promotion.effective_on.isoformat() if promotion.effective_on else "",
        "cycle": promotion.cycle.name if promotion.cycle else "",
    }


def test_the_export_follows_the_changelist_filters_and_refuses_forged_ones(hr):
    factories.promotion()
    factories.promotion(state="withdrawn")
    client = client_for(hr)
    rows = export(client, PROMOTION_EXPORT + "?state__exact=withdrawn")
    assert [row[4] for row in rows[1:]] == ["withdrawn"]
    forged = client.post(PROMOTION_EXPORT + "?justification__contains=x", {"format": "0"})
    assert not forged.get("Content-Type", "").startswith("text/csv")
