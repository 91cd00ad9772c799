import pytest
from django.contrib.auth import get_user_model

from ladder.models import Member

pytestmark = pytest.mark.django_db
User = get_user_model()

NEW_MEMBER = {
    "username": "newpm",
    "email": "newpm@example.com",
    "first_name": "Nadia",
    "last_name": "Park",
    "level": "pm",
    "manager": None,
}


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- create -------------------------------------------------------------------------------------


def test_hr_creates_a_member(as_user, ladder_people):
    manager = ladder_people["manager"]
    payload = {**NEW_MEMBER, "manager": manager.user.username, "password": "a-Long-pass-phrase-9"}
    response = as_user(ladder_people["hr"]).post("/api/v1/members/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "newpm"
    assert body["level"] == "pm"
    assert body["manager"] == manager.user.username
    assert "password" not in body
    member = Member.objects.get(pk=body["id"])
    assert member.user.check_password("a-Long-pass-phrase-9")
    assert member.manager == manager


def test_created_without_password_cannot_log_in(as_user, ladder_people, api):
    as_user(ladder_people["hr"]).post("/api/v1/members/", NEW_MEMBER, format="json")
    assert not User.objects.get(username="newpm").has_usable_password()


@pytest.mark.parametrize("who", ["committee", "manager", "report_a"])
def test_only_hr_creates_members(as_user, ladder_people, who):
    person = ladder_people[who]
    user = getattr(person, "user", person)
    response = as_user(user).post("/api/v1/members/", NEW_MEMBER, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not User.objects.filter(username="newpm").exists()


def test_non_hr_gets_403_even_with_an_invalid_body(as_user, ladder_people):
    response = as_user(ladder_people["manager"].user).post("/api/v1/members/", {}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"level": "astronaut"}, "does_not_exist"),
        ({"level": None}, "null"),
        ({"manager": "nobody"}, "does_not_exist"),
        ({"email": "not-an-email"}, "invalid"),
        ({"username": "has spaces!"}, "invalid"),
        ({"username": "x" * 151}, "max_length"),
        ({"password": "123"}, "password_invalid"),
        ({"state": "approved"}, "unknown_field"),
    ],
)
def test_create_refuses_bad_input(as_user, ladder_people, change, code):
    before = Member.objects.count()
    response = as_user(ladder_people["hr"]).post(
        "/api/v1/members/", {**NEW_MEMBER, **change}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert Member.objects.count() == before
    assert not User.objects.filter(username="newpm").exists()


def test_create_refuses_a_taken_username(as_user, ladder_people):
    taken = ladder_people["report_a"].user.username
    response = as_user(ladder_people["hr"]).post(
        "/api/v1/members/", {**NEW_MEMBER, "username": taken.upper()}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "username_taken"


def test_create_refuses_missing_required_fields(as_user, ladder_people):
    response = as_user(ladder_people["hr"]).post("/api/v1/members/", {}, format="json")
    assert response.status_code == 400
    assert {"username", "email", "level"} <= set(response.json()["errors"])


# --- list and retrieve -------------------------------------------------------------------------


def test_hr_and_committee_list_everyone(as_user, ladder_people):
    everyone = set(Member.objects.values_list("id", flat=True))
    for who in ("hr", "committee"):
        assert ids(as_user(ladder_people[who]).get("/api/v1/members/")) == everyone


def test_a_manager_lists_self_and_direct_reports(as_user, ladder_people):
    manager = ladder_people["manager"]
    expected = {manager.id, ladder_people["report_a"].id, ladder_people["report_b"].id}
    assert ids(as_user(manager.user).get("/api/v1/members/")) == expected


def test_a_member_lists_only_self(as_user, ladder_people):
    member = ladder_people["report_a"]
    assert ids(as_user(member.user).get("/api/v1/members/")) == {member.id}


def test_another_members_id_is_404(as_user, ladder_people):
    client = as_user(ladder_people["report_a"].user)
    response = client.get(f"/api/v1/members/{ladder_people['report_b'].id}/")
    assert response.status_code == 404
    assert response.json()["code"] == "no_such_member"
    assert client.get(f"/api/v1/members/{ladder_people['report_a'].id}/").status_code == 200
    assert client.get("/api/v1/members/99999999999999999999/").status_code == 404
    assert client.get("/api/v1/members/abc/").status_code == 404


def test_a_manager_sees_a_report_but_not_another_team(as_user, ladder_people):
    client = as_user(ladder_people["manager"].user)
    assert client.get(f"/api/v1/members/{ladder_people['report_b'].id}/").status_code == 200
    assert client.get(f"/api/v1/members/{ladder_people['outsider'].id}/").status_code == 404


def test_page_size_goes_up_to_200(as_user, ladder_people):
    client = as_user(ladder_people["hr"])
    for size in ["0", "201", "100000", "-1", "abc", "1.5"]:
        response = client.get(f"/api/v1/members/?page_size={size}")
        assert response.status_code == 400, size
        assert response.json()["code"] == "invalid_page_size"
    response = client.get("/api/v1/members/?page_size=200")
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    response = client.get("/api/v1/members/?page_size=2&page=2")
    assert len(response.json()["results"]) == 2
    assert client.get("/api/v1/members/?page=0").status_code == 400
    assert client.get("/api/v1/members/?page=999").json()["code"] == "no_such_page"


# --- me -----------------------------------------------------------------------------------------


def test_me_returns_own_record_with_next_levels(as_user, ladder_people):
    member = ladder_people["report_b"]  # senior-pm
    body = as_user(member.user).get("/api/v1/members/me/").json()
    assert body["id"] == member.id
    assert [lv["code"] for lv in body["next_levels"]] == ["lead-pm", "group-pm"]


def test_me_is_404_without_a_member_record(as_user, ladder_people):
    response = as_user(ladder_people["hr"]).get("/api/v1/members/me/")
    assert response.status_code == 404
    assert response.json()["code"] == "no_member_record"


# --- update -------------------------------------------------------------------------------------


def test_a_patch_with_level_is_refused_and_changes_nothing(as_user, ladder_people):
    member = ladder_people["report_a"]
    response = as_user(ladder_people["hr"]).patch(
        f"/api/v1/members/{member.id}/", {"level": "cpo", "first_name": "Changed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "level_read_only"
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert member.level.code == "associate-pm"
    assert member.user.first_name != "Changed"


def test_hr_changes_manager_names_and_email(as_user, ladder_people):
    member = ladder_people["report_a"]
    other = ladder_people["other_manager"]
    response = as_user(ladder_people["hr"]).patch(
        f"/api/v1/members/{member.id}/",
        {"manager": other.user.username, "first_name": "Ada", "email": "ada@example.com"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["manager"] == other.user.username
    member.refresh_from_db()
    assert (member.manager, member.user.first_name, member.user.email) == (
        other,
        "Ada",
        "ada@example.com",
    )


def test_deactivating_a_member_stops_their_login(as_user, ladder_people):
    member = ladder_people["report_a"]
    client = as_user(member.user)
    response = as_user(ladder_people["hr"]).patch(
        f"/api/v1/members/{member.id}/", {"is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert client.get("/api/v1/members/me/").status_code == 401


def test_a_manager_cannot_be_their_own_report(as_user, ladder_people):
    manager = ladder_people["manager"]
    report = ladder_people["report_a"]
    response = as_user(ladder_people["hr"]).patch(
        f"/api/v1/members/{manager.id}/", {"manager": report.user.username}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "manager_cycle"
    response = as_user(ladder_people["hr"]).patch(
        f"/api/v1/members/{manager.id}/", {"manager": manager.user.username}, format="json"
    )
    assert response.json()["code"] == "manager_cycle"
    manager.refresh_from_db()
    assert manager.manager is None


def test_a_manager_may_not_patch_their_report(as_user, ladder_people):
    report = ladder_people["report_a"]
    response = as_user(ladder_people["manager"].user).patch(
        f"/api/v1/members/{report.id}/", {"first_name": "X"}, format="json"
    )
    assert response.status_code == 403
    response = as_user(ladder_people["manager"].user).patch(
        f"/api/v1/members/{ladder_people['outsider'].id}/", {"first_name": "X"}, format="json"
    )
    assert response.status_code == 404


def test_put_and_delete_are_not_offered(as_user, ladder_people):
    client = as_user(ladder_people["hr"])
    member = ladder_people["report_a"]
    assert client.put(f"/api/v1/members/{member.id}/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/members/{member.id}/").status_code == 405
    assert Member.objects.filter(pk=member.id).exists()
