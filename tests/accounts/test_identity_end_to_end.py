"""Identity at company scale, end to end (issue 24's "done when"): a member provisioned by SCIM, put
in the group mapped to the committee, signs in through a real OpenID provider (oidc-provider,
tests/oidc_provider.mjs) and reaches the committee's desk; deactivated by SCIM, their session and
their API tokens stop working."""

from urllib.parse import quote

import pytest
import requests
from django.test import Client
from django.urls import reverse

from core import roles
from promotions.models import Promotion
from tests import factories
from tests.accounts.oidc import start_provider, through_provider
from tests.accounts.scim import new_client, okta_user

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
CALLBACK = f"{SITE}/sso/callback/"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    yield from start_provider(tmp_path_factory.mktemp("oidc-e2e"), CALLBACK)


def test_provisioned_by_scim_signed_in_by_sso_reaches_the_desk_then_deactivated(provider, settings):
    provider.settings(
        settings,
        SITE_URL=SITE,
        SITE_URL_FOLLOWS_REQUESTS=False,
        OIDC_ROLE_GROUPS="Promotion committee=promo-committee",
    )
    scim = new_client()
    ann = scim.post("/Users", okta_user("ann.lee@example.com", level="senior-pm")).body
    text = 'displayName eq "Promotion committee"'
    committee = scim.get("/Groups?filter=" + quote(text)).body["Resources"][0]["id"]
    added = scim.patch(
        f"/Groups/{committee}", {"op": "add", "path": "members", "value": [{"value": ann["id"]}]}
    )
    assert added.status == 200, added.body
    provider.accounts(
        {
            "ann": {
                "email": "ann.lee@example.com",
                "email_verified": True,
                "groups": ["promo-committee"],
            }
        }
    )
    promotion = factories.promotion()  # someone else's case, for the desk

    browser = Client()
    start = browser.get(reverse("sso:login") + "?next=/admin/")
    assert start.status_code == 302
    back = through_provider(requests.Session(), start["Location"], login="ann", back_to=CALLBACK)
    signed_in = browser.get(back.removeprefix(SITE))
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
    user = factories.UserFactory._meta.model.objects.get(pk=ann["id"])
    assert roles.COMMITTEE_GROUP in set(user.groups.values_list("name", flat=True))
    desk = browser.get(f"/admin/promotions/promotion/{promotion.pk}/change/")
    assert desk.status_code == 200
    assert promotion.candidate.user.get_full_name() in desk.content.decode()
    token = factories.token_for(user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(f"/api/v1/promotions/{promotion.pk}/").status_code == 200

    deactivated = scim.patch(f"/Users/{ann['id']}", {"op": "replace", "value": {"active": False}})
    assert deactivated.status == 200 and deactivated.body["active"] is False
    assert browser.get(f"/admin/promotions/promotion/{promotion.pk}/change/").status_code == 302
    assert browser.get("/").status_code == 302  # to sign in: the session no longer counts
    assert api.get(f"/api/v1/promotions/{promotion.pk}/").status_code == 401
    assert Promotion.objects.filter(pk=promotion.pk).exists()
