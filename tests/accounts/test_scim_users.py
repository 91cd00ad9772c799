"""SCIM Users: the request sequences Okta and Entra ID document (create, look up by `userName eq`,
deactivate with PATCH `active` false, PATCH the manager, a report created before their manager and
linked later), the ladder's rules refusing what they refuse, and SCIM error bodies for anything
malformed."""

import pytest
from django.core import mail
from django.test import Client

from accounts.models import ScimIdentity
from ladder.models import Member, MemberChange
from tests import factories
from tests.accounts.scim import (
    CORE_USER,
    ENTERPRISE,
    LADDER,
    assert_error,
    new_client,
    okta_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scim():
    return new_client()


def test_okta_creates_looks_up_and_deactivates_a_user(scim):
    # Okta first asks whether the user exists ...
    found = scim.get(
        "/Users?filter=userName%20eq%20%22ann.lee@example.com%22&startIndex=1&count=100"
    )
    assert found.status == 200 and found.body["totalResults"] == 0 and found.body["Resources"] == []
    # ... then creates them
    created = scim.post("/Users", okta_user("ann.lee@example.com"))
    assert created.status == 201, created.body
    user_id = created.body["id"]
    assert created.headers["Location"].endswith(f"/scim/v2/Users/{user_id}")
    assert created.body["userName"] == "ann.lee@example.com"
    assert created.body["name"] == {"givenName": "Ann", "familyName": "Lee"}
    assert created.body["active"] is True
    assert created.body[LADDER] == {"level": "pm", "levelSince": "2024-03-01"}
    assert "password" not in created.body
    member = Member.objects.select_related("user").get(user_id=user_id)
    assert member.user.email == "ann.lee@example.com" and not member.user.has_usable_password()
    assert member.level.code == "pm" and str(member.level_since) == "2024-03-01"

    found = scim.get("/Users?filter=userName%20eq%20%22ANN.LEE@example.com%22")
    assert found.body["totalResults"] == 1 and found.body["Resources"][0]["id"] == user_id
    assert scim.get(f"/Users/{user_id}").body["meta"]["resourceType"] == "User"

    # Okta deactivates with PATCH replace active false (no path, a value object)
    done = scim.patch(f"/Users/{user_id}", {"op": "replace", "value": {"active": False}})
    assert done.status == 200, done.body
    assert done.body["active"] is False
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert not member.is_active and not member.user.is_active
    # and back
    scim.patch(f"/Users/{user_id}", {"op": "replace", "value": {"active": True}})
    member.refresh_from_db()
    assert member.is_active
    routes = set(MemberChange.objects.filter(user_id=user_id).values_list("route", flat=True))
    assert routes == {"scim"}
    assert set(MemberChange.objects.filter(user_id=user_id).values_list("actor", flat=True)) == {
        None
    }


def test_entra_id_sequence_with_a_report_created_before_their_manager(scim):
    report = scim.post(
        "/Users",
        {
            "schemas": [CORE_USER, ENTERPRISE, LADDER],
            "externalId": "8a3f-report",
            "userName": "rita@contoso.com",
            "active": True,
            "displayName": "Rita Report",
            "title": "PM",
            "emails": [{"primary": True, "type": "work", "value": "rita@contoso.com"}],
            "name": {"formatted": "Rita Report", "familyName": "Report", "givenName": "Rita"},
            "addresses": [{"type": "work", "country": "DE", "primary": True}],
            ENTERPRISE: {"employeeNumber": "1042", "department": "Payments"},
            LADDER: {"level": "associate-pm", "levelSince": "2025-01-15"},
        },
    )
    assert report.status == 201, report.body
    assert report.body[ENTERPRISE] == {"employeeNumber": "1042", "department": "Payments"}
    # Entra ID looks users up by externalId or userName
    by_external = scim.get("/Users?filter=externalId%20eq%20%228a3f-report%22")
    assert [u["id"] for u in by_external.body["Resources"]] == [report.body["id"]]
    assert scim.get("/Users?filter=externalId%20eq%20%228A3F-REPORT%22").body["totalResults"] == 0

    boss = scim.post("/Users", okta_user("max.boss@contoso.com", level="group-pm"))
    assert boss.status == 201
    # Entra ID sends the manager as the bare id, with the extension's path
    linked = scim.patch(
        f"/Users/{report.body['id']}",
        {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": boss.body["id"]},
    )
    assert linked.status == 200, linked.body
    assert linked.body[ENTERPRISE]["manager"]["value"] == boss.body["id"]
    member = Member.objects.get(user_id=report.body["id"])
    assert member.manager.user_id == int(boss.body["id"])

    # Entra ID's form of "active": a string, op capitalised
    off = scim.patch(
        f"/Users/{report.body['id']}", {"op": "Replace", "path": "active", "value": "False"}
    )
    assert off.status == 200 and off.body["active"] is False
    # removing the manager
    removed = scim.patch(
        f"/Users/{report.body['id']}", {"op": "remove", "path": f"{ENTERPRISE}:manager"}
    )
    assert removed.status == 200 and "manager" not in removed.body.get(ENTERPRISE, {})


def test_okta_replaces_the_manager_with_a_value_object(scim):
    first = scim.post("/Users", okta_user("first.boss@example.com", level="group-pm")).body
    second = scim.post("/Users", okta_user("second.boss@example.com", level="group-pm")).body
    body = okta_user("ann.lee@example.com")
    body[ENTERPRISE] = {"manager": {"value": first["id"]}}
    ann = scim.post("/Users", body).body
    assert ann[ENTERPRISE]["manager"]["value"] == first["id"]
    moved = scim.patch(
        f"/Users/{ann['id']}",
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": second["id"]}},
    )
    assert moved.status == 200 and moved.body[ENTERPRISE]["manager"]["value"] == second["id"]
    entries = MemberChange.objects.filter(user_id=ann["id"], changes__has_key="manager")
    assert entries.exists()


def test_put_replaces_the_record(scim):
    ann = scim.post("/Users", okta_user("ann.lee@example.com")).body
    body = okta_user("ann.lee@example.com")
    body["name"] = {"givenName": "Annie", "familyName": "Lee-Park"}
    body["emails"] = [{"value": "annie@example.com", "primary": True}]
    body[ENTERPRISE] = {"department": "Growth"}
    del body[LADDER]  # immutable: may be left out
    put = scim.put(f"/Users/{ann['id']}", body)
    assert put.status == 200, put.body
    assert put.body["name"] == {"givenName": "Annie", "familyName": "Lee-Park"}
    assert put.body["emails"] == [{"value": "annie@example.com"}]
    assert put.body[ENTERPRISE] == {"department": "Growth"}
    assert put.body[LADDER]["level"] == "pm"


def test_delete_deactivates_keeps_the_record_and_ends_tokens_and_sessions(scim):
    ann = scim.post("/Users", okta_user("ann.lee@example.com")).body
    user = Member.objects.get(user_id=ann["id"]).user
    user.set_password(factories.PASSWORD)
    user.save()
    api_token = factories.token_for(user)
    browser = Client()
    browser.force_login(user)
    assert browser.get("/").status_code == 200
    assert (
        Client().get("/api/v1/members/me/", HTTP_AUTHORIZATION=f"Token {api_token}").status_code
        == 200
    )

    assert scim.delete(f"/Users/{ann['id']}").status == 204
    member = Member.objects.get(user_id=ann["id"])
    assert not member.is_active and not member.user.is_active
    assert ScimIdentity.objects.get(user=member.user).deleted_at is not None
    assert_error(scim.get(f"/Users/{ann['id']}"), 404)
    assert (
        scim.get("/Users?filter=userName%20eq%20%22ann.lee@example.com%22").body["totalResults"]
        == 0
    )
    assert (
        Client().get("/api/v1/members/me/", HTTP_AUTHORIZATION=f"Token {api_token}").status_code
        == 401
    )
    assert browser.get("/").status_code == 302  # the session no longer signs them in
    assert_error(scim.post("/Users", okta_user("ann.lee@example.com")), 409, "uniqueness")


@pytest.mark.parametrize(
    ("change", "scim_type"),
    [
        ({"op": "replace", "path": f"{LADDER}:level", "value": "senior-pm"}, "mutability"),
        ({"op": "replace", "path": f"{LADDER}:levelSince", "value": "2020-01-01"}, "mutability"),
        ({"op": "replace", "value": {"userName": "some one"}}, "invalidValue"),
        ({"op": "replace", "path": f"{ENTERPRISE}:manager", "value": "999999"}, "invalidValue"),
        ({"op": "replace", "path": "active", "value": "maybe"}, None),
        ({"op": "jump", "path": "active", "value": True}, None),
        ({"op": "replace", "path": "emails[type eq", "value": "x"}, None),
    ],
)
def test_patch_refusals(scim, change, scim_type):
    ann = scim.post("/Users", okta_user("ann.lee@example.com")).body
    assert_error(scim.patch(f"/Users/{ann['id']}", change), 400, scim_type)
    member = Member.objects.get(user_id=ann["id"])
    assert member.level.code == "pm" and member.manager is None and member.is_active


def test_a_reporting_loop_is_refused(scim):
    boss = scim.post("/Users", okta_user("boss@example.com", level="group-pm")).body
    body = okta_user("ann.lee@example.com")
    body[ENTERPRISE] = {"manager": {"value": boss["id"]}}
    ann = scim.post("/Users", body).body
    loop = scim.patch(
        f"/Users/{boss['id']}",
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": ann["id"]}},
    )
    assert_error(loop, 400, "invalidValue")
    assert "own reports" in loop.body["detail"]
    assert_error(
        scim.patch(
            f"/Users/{boss['id']}",
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": boss["id"]}},
        ),
        400,
    )


@pytest.mark.parametrize(
    ("change", "status", "scim_type"),
    [
        (lambda b: b.pop(LADDER), 400, "invalidValue"),
        (lambda b: b[LADDER].pop("levelSince"), 400, None),
        (lambda b: b[LADDER].update(level="astronaut"), 400, "invalidValue"),
        (lambda b: b[LADDER].update(levelSince="01/03/2024"), 400, "invalidValue"),
        (lambda b: b[LADDER].update(levelSince="2999-01-01"), 400, "invalidValue"),
        (lambda b: b.update({ENTERPRISE: {"manager": {"value": "12345"}}}), 400, "invalidValue"),
        (lambda b: b.update({ENTERPRISE: {"manager": {"value": "abc"}}}), 400, "invalidValue"),
        (lambda b: b.update(userName=""), 400, None),
        (lambda b: b.pop("userName"), 400, None),
        (lambda b: b.update(userName="ann\x00lee"), 400, "invalidValue"),
        (lambda b: b.update(userName="x" * 151), 400, "invalidValue"),
        (lambda b: b.update(name={"givenName": "A\u202eB"}), 400, "invalidValue"),
        (lambda b: b.update(emails=[{"value": "not-an-address"}]), 400, None),
        (lambda b: b.update(emails="ann@example.com"), 400, None),
        (lambda b: b.update(active="perhaps"), 400, None),
        (lambda b: b.update(name=["Ann"]), 400, None),
    ],
)
def test_create_refusals(scim, change, status, scim_type):
    body = okta_user("ann.lee@example.com")
    change(body)
    assert_error(scim.post("/Users", body), status, scim_type)
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b"42",
        b'"x"',
        b'{"schemas": 5}',
        b"\xff\xfe",
        b'{"Operations": 1}',
        b"[" * 100_000,
        b'{"Operations": [{"op": "remove", "path": "members", "value": [{"value": 1}]}]}',
    ],
)
def test_malformed_bodies_are_400_never_500(scim, raw):
    ann = scim.post("/Users", okta_user("ann.lee@example.com")).body
    for method, path in [
        ("POST", "/Users"),
        ("PUT", f"/Users/{ann['id']}"),
        ("PATCH", f"/Users/{ann['id']}"),
        ("PATCH", "/Groups/1"),
        ("PUT", "/Groups/1"),
    ]:
        answer = scim.request(method, path, raw=raw)
        assert answer.status in (400, 404), (method, path, raw, answer.status)
        assert_error(answer, answer.status)


def test_username_and_external_id_are_unique(scim):
    scim.post("/Users", okta_user("ann.lee@example.com"))
    assert_error(scim.post("/Users", okta_user("ANN.LEE@example.com")), 409, "uniqueness")
    taken = okta_user("bob@example.com")
    taken["externalId"] = okta_user("ann.lee@example.com")["externalId"]
    assert_error(scim.post("/Users", taken), 409, "uniqueness")


@pytest.mark.parametrize(
    "text",
    [
        'userName sw "ann"',
        'userName eq "a" or userName eq "b"',
        'title eq "PM"',
        "userName eq ann",
        'userName eq "a" and',
        "userName pr",
        '(userName eq "a")',
        'emails[type eq "work"]',
    ],
)
def test_filters_other_than_eq_and_and_are_invalid(scim, text):
    from urllib.parse import quote

    assert_error(scim.get(f"/Users?filter={quote(text)}"), 400, "invalidFilter")


def test_filters_and_pages(scim):
    for n in range(5):
        scim.post("/Users", okta_user(f"user{n}@example.com"))
    both = scim.get(
        "/Users?filter=userName%20eq%20%22user3@example.com%22%20and%20emails.value%20eq%20%22USER3@example.com%22"
    )
    assert [u["userName"] for u in both.body["Resources"]] == ["user3@example.com"]
    none = scim.get(
        "/Users?filter=userName%20eq%20%22user3@example.com%22%20and%20emails.value%20eq%20%22x@y.z%22"
    )
    assert none.body["totalResults"] == 0
    page = scim.get("/Users?startIndex=2&count=2")
    assert page.body["totalResults"] == 5 and page.body["startIndex"] == 2
    assert [u["userName"] for u in page.body["Resources"]] == [
        "user1@example.com",
        "user2@example.com",
    ]
    assert scim.get("/Users?count=0").body["Resources"] == []
    assert scim.get("/Users?startIndex=-4&count=1").body["startIndex"] == 1
    assert_error(scim.get("/Users?count=many"), 400, "invalidValue")
    far = scim.get("/Users?startIndex=" + "9" * 40)
    assert far.status == 200 and far.body["Resources"] == [] and far.body["totalResults"] == 5
    only = scim.get("/Users?attributes=userName&count=1").body["Resources"][0]
    assert set(only) == {"id", "schemas", "userName"}


def test_superusers_are_untouched(scim):
    root = factories.MemberFactory(user__username="root", user__is_superuser=True)
    assert scim.get(f"/Users/{root.user_id}").status == 200
    assert_error(
        scim.patch(f"/Users/{root.user_id}", {"op": "replace", "value": {"active": False}}), 403
    )
    assert_error(scim.delete(f"/Users/{root.user_id}"), 403)
    root.refresh_from_db()
    assert root.is_active


def test_unknown_users_are_404(scim):
    for path in ("/Users/424242", "/Users/abc", "/Users/" + "9" * 30):
        assert_error(scim.get(path), 404)
        assert_error(scim.delete(path), 404)


def test_invitations_follow_the_setting(scim, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scim.post("/Users", okta_user("quiet@example.com"))
    assert mail.outbox == []
    settings.SCIM_SEND_INVITES = True
    with django_capture_on_commit_callbacks(execute=True):
        created = scim.post("/Users", okta_user("ann.lee@example.com"))
    assert created.status == 201, created.body
    assert [m.to for m in mail.outbox] == [["ann.lee@example.com"]]
    assert "/invite/" in mail.outbox[0].body


def test_the_identity_provider_renames_a_user(scim):
    ann = scim.post("/Users", okta_user("ann.lee@example.com")).body
    scim.post("/Users", okta_user("bob.ray@example.com"))
    renamed = scim.patch(
        f"/Users/{ann['id']}",
        {"op": "replace", "path": "userName", "value": "ann.park@example.com"},
    )
    assert renamed.status == 200 and renamed.body["userName"] == "ann.park@example.com"
    assert Member.objects.get(user_id=ann["id"]).user.username == "ann.park@example.com"
    change = MemberChange.objects.filter(user_id=ann["id"], changes__has_key="username").first()
    assert change.changes["username"] == {
        "from": "ann.lee@example.com",
        "to": "ann.park@example.com",
    }
    taken = scim.patch(
        f"/Users/{ann['id']}", {"op": "replace", "path": "userName", "value": "BOB.RAY@example.com"}
    )
    assert_error(taken, 409, "uniqueness")


def test_refusals_before_the_views_are_scim_errors_too(scim, settings):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {scim.token}"}
    big = scim.client.generic(
        "POST",
        "/scim/v2/Users",
        b"{}",
        content_type="application/scim+json",
        CONTENT_LENGTH=str(settings.FORM_MAX_BODY_BYTES + 1),
        **headers,
    )
    assert big.status_code == 413
    assert big.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert big.json()["status"] == "413"
    nul = scim.client.get("/scim/v2/Users?filter=userName%20eq%20%22a%00%22", **headers)
    assert nul.status_code == 400 and nul.json()["status"] == "400"
    assert nul.headers["Content-Type"] == "application/scim+json"
