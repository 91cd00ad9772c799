"""SCIM tokens (made in the admin or by `manage.py scim_token`, shown once, stored as a digest,
revocable, last use kept) and SCIM's discovery endpoints."""

import hashlib
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import ScimToken
from audit.models import ConfigChange
from tests import factories
from tests.accounts.scim import ERROR, LADDER, Scim, assert_error, new_client

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_as_its_digest_only_and_its_use_is_noted():
    scim = new_client("okta")
    row = ScimToken.objects.get(name="okta")
    assert row.digest == hashlib.sha256(scim.token.encode()).hexdigest()
    assert scim.token not in str(ScimToken.objects.values().get())
    assert row.last_used_at is None
    assert scim.get("/ServiceProviderConfig").status == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nope", "Token x", "Basic dXNlcjpwYXNz"],
)
def test_a_missing_or_wrong_token_is_401_with_a_scim_error(authorization):
    new_client()
    scim = Scim(None)
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = scim.client.get("/scim/v2/Users", **headers)
    assert response.status_code == 401
    assert response.json()["schemas"] == [ERROR]
    assert response.json()["status"] == "401"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Content-Type"] == "application/scim+json"


def test_an_api_token_is_not_a_scim_token(db):
    hr = factories.hr_user()
    assert_error(Scim(factories.token_for(hr)).get("/Users"), 401)


def test_a_revoked_token_stops_at_once_and_stays_listed():
    scim = new_client("entra")
    assert scim.get("/Users").status == 200
    out = io.StringIO()
    call_command("scim_token", "revoke", "entra", stdout=out)
    assert "Revoked 'entra'" in out.getvalue()
    assert_error(scim.get("/Users"), 401)
    assert ScimToken.objects.get(name="entra").revoked_at is not None
    actions = list(ConfigChange.objects.values_list("action", "route"))
    assert ("scim token revoked", "system") in actions


def test_the_command_prints_a_token_once_and_lists_without_it():
    out, err = io.StringIO(), io.StringIO()
    call_command("scim_token", "create", "okta", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert re.fullmatch(r"scim_[A-Za-z0-9_-]{40,}", token)
    assert Scim(token).get("/Users").status == 200
    listed = io.StringIO()
    call_command("scim_token", "list", stdout=listed)
    assert "okta" in listed.getvalue() and token not in listed.getvalue()
    with pytest.raises(CommandError, match="exists already"):
        call_command("scim_token", "create", "OKTA", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No SCIM token"):
        call_command("scim_token", "revoke", "nobody")


def test_hr_makes_a_token_in_the_admin_and_sees_it_once(client):
    hr = factories.hr_user(username="hana")
    client.force_login(hr)
    response = client.post("/admin/accounts/scimtoken/add/", {"name": "okta"}, follow=True)
    assert response.status_code == 200
    [message] = [m.message for m in response.context["messages"] if "scim_" in m.message]
    token = re.search(r"scim_[A-Za-z0-9_-]+", message).group(0)
    row = ScimToken.objects.get(name="okta")
    assert row.created_by == hr
    assert Scim(token).get("/Users").status == 200
    page = client.get(f"/admin/accounts/scimtoken/{row.pk}/change/")
    assert token not in page.content.decode()
    listing = client.get("/admin/accounts/scimtoken/")
    assert "okta" in listing.content.decode()
    client.post(
        "/admin/accounts/scimtoken/",
        {"action": "revoke", "_selected_action": [row.pk]},
    )
    assert_error(Scim(token).get("/Users"), 401)
    assert ConfigChange.objects.filter(action="scim token created", route="admin").exists()


def test_only_hr_sees_scim_tokens_in_the_admin(client):
    client.force_login(factories.committee_member(username="carl"))
    assert client.get("/admin/accounts/scimtoken/").status_code == 403
    assert client.get("/admin/accounts/scimtoken/add/").status_code == 403


def test_discovery_describes_what_is_supported():
    scim = new_client()
    config = scim.get("/ServiceProviderConfig").body
    assert config["patch"]["supported"] is True
    assert config["filter"] == {"supported": True, "maxResults": 200}
    for unsupported in ("bulk", "sort", "etag", "changePassword"):
        assert config[unsupported]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"

    types = scim.get("/ResourceTypes").body
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    user = scim.get("/ResourceTypes/User").body
    assert {"schema": LADDER, "required": True} in user["schemaExtensions"]
    assert_error(scim.get("/ResourceTypes/Printer"), 404)

    schemas = scim.get("/Schemas").body
    assert schemas["totalResults"] == 4
    ladder = scim.get(f"/Schemas/{LADDER}").body
    level = next(a for a in ladder["attributes"] if a["name"] == "level")
    assert level["required"] is True and level["mutability"] == "immutable"
    assert "pm" in level["canonicalValues"]
    assert_error(scim.get("/Schemas/urn:nope"), 404)
    assert_error(scim.request("POST", "/ServiceProviderConfig", {}), 405)
