"""SCIM Groups: the three role groups, their members changed by PATCH (and PUT); no group is
created or deleted over SCIM."""

from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group

from core import roles
from ladder.models import MemberChange
from tests import factories
from tests.accounts.scim import assert_error, new_client, okta_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scim():
    return new_client()


def _group_id(scim, name: str) -> str:
    text = 'displayName eq "' + name + '"'
    found = scim.get("/Groups?filter=" + quote(text)).body
    assert found["totalResults"] == 1
    return found["Resources"][0]["id"]


def test_the_three_role_groups_and_no_others(scim):
    Group.objects.create(name="Interns")
    listed = scim.get("/Groups").body
    assert sorted(g["displayName"] for g in listed["Resources"]) == [
        "Executives",
        "HR",
        "People analytics",
        "Promotion committee",
    ]
    interns = Group.objects.get(name="Interns")
    assert_error(scim.get(f"/Groups/{interns.pk}"), 404)
    assert scim.get("/Groups?filter=" + quote('displayName eq "Interns"')).body["totalResults"] == 0
    assert_error(scim.get("/Groups?filter=" + quote('displayName co "HR"')), 400, "invalidFilter")


def test_entra_id_adds_and_removes_committee_members(scim):
    ann = scim.post("/Users", okta_user("ann.lee@example.com", level="senior-pm")).body
    bob = scim.post("/Users", okta_user("bob.ray@example.com", level="senior-pm")).body
    committee = _group_id(scim, "Promotion committee")
    added = scim.patch(
        f"/Groups/{committee}",
        {"op": "Add", "path": "members", "value": [{"value": ann["id"]}, {"value": bob["id"]}]},
    )
    assert added.status == 200, added.body
    assert {m["value"] for m in added.body["members"]} == {ann["id"], bob["id"]}
    user = factories.UserFactory._meta.model.objects.get(pk=ann["id"])
    assert roles.COMMITTEE_GROUP in set(user.groups.values_list("name", flat=True))
    assert user.is_staff  # the committee works in the admin
    removed = scim.patch(
        f"/Groups/{committee}",
        {"op": "Remove", "path": 'members[value eq "' + ann["id"] + '"]'},
    )
    assert removed.status == 200, removed.body
    assert [m["value"] for m in removed.body["members"]] == [bob["id"]]
    change = MemberChange.objects.filter(user_id=ann["id"], changes__has_key="groups").first()
    assert change.route == "scim" and change.actor is None
    assert change.changes["groups"] == {"from": ["Promotion committee"], "to": []}


def test_okta_replaces_members_with_put_and_patch(scim):
    ann = scim.post("/Users", okta_user("ann.lee@example.com")).body
    bob = scim.post("/Users", okta_user("bob.ray@example.com")).body
    hr = _group_id(scim, "HR")
    put = scim.put(
        f"/Groups/{hr}",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "HR",
            "members": [{"value": ann["id"]}],
        },
    )
    assert put.status == 200, put.body
    assert [m["value"] for m in put.body["members"]] == [ann["id"]]
    replaced = scim.patch(
        f"/Groups/{hr}", {"op": "replace", "path": "members", "value": [{"value": bob["id"]}]}
    )
    assert [m["value"] for m in replaced.body["members"]] == [bob["id"]]
    assert scim.patch(f"/Groups/{hr}", {"op": "remove", "path": "members"}).body.get("members") in (
        None,
        [],
    )


@pytest.mark.parametrize(
    ("operation", "status", "scim_type"),
    [
        ({"op": "add", "path": "members", "value": [{"value": "424242"}]}, 400, "invalidValue"),
        ({"op": "add", "path": "members", "value": [{"value": "x"}]}, 400, "invalidValue"),
        ({"op": "replace", "path": "displayName", "value": "Admins"}, 400, None),
        ({"op": "add", "path": "members", "value": "nope"}, 400, None),
    ],
)
def test_group_patch_refusals(scim, operation, status, scim_type):
    hr = _group_id(scim, "HR")
    assert_error(scim.patch(f"/Groups/{hr}", operation), status, scim_type)
    assert not Group.objects.get(name="HR").user_set.exists()


def test_groups_are_not_created_or_deleted(scim):
    hr = _group_id(scim, "HR")
    assert_error(scim.post("/Groups", {"displayName": "Admins"}), 403)
    assert_error(scim.delete(f"/Groups/{hr}"), 403)
    assert_error(scim.put(f"/Groups/{hr}", {"displayName": "Admins"}), 400, "mutability")
    assert Group.objects.filter(name="HR").exists()
    assert not Group.objects.filter(name="Admins").exists()


def test_a_superusers_groups_are_untouched(scim):
    root = factories.MemberFactory(user__username="root", user__is_superuser=True)
    hr = _group_id(scim, "HR")
    assert_error(
        scim.patch(
            f"/Groups/{hr}",
            {"op": "add", "path": "members", "value": [{"value": str(root.user_id)}]},
        ),
        403,
    )
    assert not root.user.groups.exists()


def test_entra_id_removes_members_by_value_list(scim):
    ann = scim.post("/Users", okta_user("ann.lee@example.com")).body
    bob = scim.post("/Users", okta_user("bob.ray@example.com")).body
    execs = _group_id(scim, "Executives")
    scim.patch(
        f"/Groups/{execs}",
        {"op": "Add", "path": "members", "value": [{"value": ann["id"]}, {"value": bob["id"]}]},
    )
    removed = scim.patch(
        f"/Groups/{execs}", {"op": "Remove", "path": "members", "value": [{"value": ann["id"]}]}
    )
    assert removed.status == 200, removed.body
    assert [m["value"] for m in removed.body["members"]] == [bob["id"]]
