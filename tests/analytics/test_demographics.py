"""Self-reported demographics (docs/analytics.md): the categories offered, a member's own values
over the API and on /me/demographics/, "prefer not to say" always there, the data-rights section,
and the admin of choices (People analytics edits them; no page lists anyone's values)."""

import pytest
from django.db import IntegrityError, transaction

from analytics.models import PREFER_NOT_TO_SAY, DemographicChoice, DemographicValue
from core import personal_data
from tests import factories

ME = "/api/v1/members/me/demographics/"


@pytest.fixture
def member(db):
    return factories.MemberFactory()


def test_categories_offer_the_seeded_choices_and_prefer_not_to_say_last(member, as_user):
    body = as_user(member.user).get("/api/v1/demographics/categories/").json()
    codes = [category["code"] for category in body["categories"]]
    assert codes == ["gender", "ethnicity", "age_band"]
    for category in body["categories"]:
        assert category["choices"][-1] == {"code": PREFER_NOT_TO_SAY, "label": "Prefer not to say"}
        assert len(category["choices"]) >= 4
    DemographicChoice.objects.filter(category="gender", code="woman").update(is_active=False)
    body = as_user(member.user).get("/api/v1/demographics/categories/").json()
    gender = [c["code"] for c in body["categories"][0]["choices"]]
    assert "woman" not in gender and PREFER_NOT_TO_SAY in gender


def test_a_member_gives_changes_and_withdraws_their_values(member, as_user):
    client = as_user(member.user)
    assert client.get(ME).json() == {"gender": None, "ethnicity": None, "age_band": None}
    response = client.put(ME, {"gender": "woman", "age_band": "25-34"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"gender": "woman", "ethnicity": None, "age_band": "25-34"}
    response = client.put(ME, {"gender": PREFER_NOT_TO_SAY, "age_band": None}, format="json")
    assert response.json() == {"gender": PREFER_NOT_TO_SAY, "ethnicity": None, "age_band": None}
    assert DemographicValue.objects.filter(member=member).count() == 1
    assert personal_data.sections()  # registered at start-up
    section = next(s for s in personal_data.sections() if s.name == "demographics")
    assert section.export(member) == {
        "gender": {"code": PREFER_NOT_TO_SAY, "label": "Prefer not to say"}
    }
    section.erase(member)
    assert client.get(ME).json()["gender"] is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"shoe_size": "42"}, "unknown_category"),
        ({"gender": "not-a-choice"}, "unknown_choice"),
        ({"gender": 5}, "unknown_choice"),
        ({"gender": ["woman"]}, "unknown_choice"),
        (["gender"], "invalid"),
    ],
)
def test_unknown_categories_and_choices_are_refused_and_nothing_is_written(
    member, as_user, body, code
):
    client = as_user(member.user)
    client.put(ME, {"gender": "man"}, format="json")
    response = client.put(ME, body, format="json")
    assert response.status_code == 400 and response.json()["code"] == code
    assert client.get(ME).json()["gender"] == "man"


def test_an_inactive_choice_is_refused(member, as_user):
    DemographicChoice.objects.filter(category="gender", code="man").update(is_active=False)
    response = as_user(member.user).put(ME, {"gender": "man"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_choice"


def test_prefer_not_to_say_cannot_be_deactivated(db):
    choice = DemographicChoice.objects.get(category="gender", code=PREFER_NOT_TO_SAY)
    choice.is_active = False
    with pytest.raises(IntegrityError), transaction.atomic():
        choice.save()


def test_the_member_site_page_saves_and_withdraws(member, client):
    client.force_login(member.user)
    page = client.get("/me/demographics/")
    assert page.status_code == 200 and "Prefer not to say" in page.content.decode()
    assert b'href="/me/demographics/"' in client.get("/me/").content
    response = client.post("/me/demographics/", {"gender": "non-binary", "ethnicity": ""})
    assert response.status_code == 302
    assert DemographicValue.objects.get(member=member, category="gender").choice.code == (
        "non-binary"
    )
    refused = client.post("/me/demographics/", {"gender": "nope"})
    assert refused.status_code == 200 and b"errorlist" in refused.content
    client.post("/me/demographics/", {"gender": ""})
    assert not DemographicValue.objects.filter(member=member).exists()


def test_the_page_is_404_without_a_member_record(client, db):
    client.force_login(factories.hr_user())
    assert client.get("/me/demographics/").status_code == 404


def test_people_analytics_edits_choices_and_hr_does_not(client, db):
    prefer = DemographicChoice.objects.get(category="gender", code=PREFER_NOT_TO_SAY)
    client.force_login(factories.hr_user())
    assert client.get("/admin/analytics/demographicchoice/").status_code == 403
    assert client.get("/admin/analytics/demographicchoice/adverse-impact/").status_code == 403
    client.force_login(factories.people_analyst())
    listing = client.get("/admin/analytics/demographicchoice/")
    assert listing.status_code == 200 and b"adverse-impact/" in listing.content
    add = client.post(
        "/admin/analytics/demographicchoice/add/",
        {
            "category": "gender",
            "code": "two-spirit",
            "label": "Two-spirit",
            "order": 45,
            "is_active": "on",
        },
    )
    assert add.status_code == 302
    assert DemographicChoice.objects.filter(code="two-spirit", is_active=True).exists()
    delete = client.get(f"/admin/analytics/demographicchoice/{prefer.pk}/delete/")
    assert delete.status_code == 403
    change = client.post(
        f"/admin/analytics/demographicchoice/{prefer.pk}/change/",
        {"label": "Rather not say", "order": 1, "is_active": ""},
    )
    assert change.status_code == 302
    prefer.refresh_from_db()
    assert prefer.is_active and prefer.label == "Rather not say"
    # No admin page of anyone's values.
    assert client.get("/admin/analytics/demographicvalue/").status_code == 404


def test_an_answer_no_longer_offered_stays_the_members_own(member, as_user, client):
    api = as_user(member.user)
    api.put(ME, {"gender": "man"}, format="json")
    DemographicChoice.objects.filter(category="gender", code="man").update(is_active=False)
    # Sent again unchanged it stays; the page still shows it, and saving the page keeps it.
    assert api.put(ME, {"gender": "man"}, format="json").json()["gender"] == "man"
    client.force_login(member.user)
    assert b'<option value="man" selected>' in client.get("/me/demographics/").content
    assert client.post("/me/demographics/", {"gender": "man"}).status_code == 302
    assert api.get(ME).json()["gender"] == "man"
    # Changed away from it, it cannot be chosen again.
    api.put(ME, {"gender": "woman"}, format="json")
    assert api.put(ME, {"gender": "man"}, format="json").json()["code"] == "unknown_choice"


def test_hr_grants_people_analytics_in_the_admin(client, db):
    analyst = factories.people_analyst()
    client.force_login(factories.hr_user())
    listing = client.get("/admin/auth/user/")
    assert analyst.username in listing.content.decode()  # not a right beyond HR's
    form = client.get(f"/admin/auth/user/{analyst.pk}/change/").content.decode()
    assert ">People analytics</option>" in form
