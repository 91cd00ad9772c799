"""Single sign-on with Chromium doing the redirects through a real OpenID provider
(tests/oidc_provider.mjs: its login and consent pages): to the member site, to the admin with
role groups following the claim, an unknown person and an unverified e-mail refused."""

import pytest
from django.contrib.auth.models import Group

from core.roles import COMMITTEE_GROUP
from ladder.models import MemberChange
from tests import factories
from tests.accounts.oidc import start_provider

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module")
def provider(tmp_path_factory, live_server):
    yield from start_provider(tmp_path_factory.mktemp("oidc"), f"{live_server.url}/sso/callback/")


def through(page, login: str) -> None:
    """The provider's pages, as a person goes through them."""
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.get_by_role("button", name="Continue").click()


def test_sign_in_with_the_provider(chromium, live_server, provider, settings):
    base = live_server.url
    provider.settings(
        settings,
        SITE_URL=base,
        SITE_URL_FOLLOWS_REQUESTS=False,
        OIDC_ROLE_GROUPS="HR=hr-admins;Promotion committee=promo-committee",
    )
    ada = factories.MemberFactory(user__email="ada@example.com").user
    cara = factories.MemberFactory(user__email="Cara@Example.com").user
    factories.MemberFactory(user__email="gone@example.com", user__is_active=False)
    accounts = {
        "ada": {"email": "ADA@example.com", "email_verified": True, "groups": []},
        "cara": {
            "email": "cara@example.com",
            "email_verified": True,
            "groups": ["promo-committee"],
        },
        "stranger": {"email": "nobody@example.com", "email_verified": True},
        "gone": {"email": "gone@example.com", "email_verified": True},
        "unverified": {"email": "ada@example.com", "email_verified": False},
    }
    provider.accounts(accounts)
    context = chromium.new_context()
    page = context.new_page()

    # The member site: the button, the provider, back home signed in.
    page.goto(f"{base}/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    through(page, "ada")
    page.wait_for_url(f"{base}/")
    page.get_by_role("button", name="Sign out").wait_for()
    context.clear_cookies()

    # The admin: the claim makes Cara a committee member (so staff), and she lands in the admin.
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    through(page, "cara")
    page.wait_for_url(f"{base}/admin/")
    cara.refresh_from_db()
    assert cara.is_staff and list(cara.groups.values_list("name", flat=True)) == [COMMITTEE_GROUP]
    change = MemberChange.objects.filter(user=cara).latest("pk")
    assert change.route == "sso"
    assert change.changes["groups"] == {"from": [], "to": [COMMITTEE_GROUP]}
    context.clear_cookies()

    # Out of the provider's group: out of the committee at the next sign-in; others untouched.
    other = Group.objects.create(name="Book club")
    cara.groups.add(other)
    accounts["cara"]["groups"] = []
    provider.accounts(accounts)
    page.goto(f"{base}/sso/login/")
    through(page, "cara")
    page.wait_for_url(f"{base}/")
    assert list(cara.groups.values_list("name", flat=True)) == ["Book club"]
    context.clear_cookies()

    # Nobody here with that address, or an inactive account: a page saying to ask HR.
    for login in ("stranger", "gone"):
        page.goto(f"{base}/sso/login/")
        through(page, login)
        page.get_by_role("heading", name="No account here for this sign-in").wait_for()
        assert "ask HR" in page.content()
        context.clear_cookies()

    # An address the provider does not vouch for is refused.
    page.goto(f"{base}/sso/login/")
    through(page, "unverified")
    page.get_by_role("heading", name="Your e-mail address is not verified").wait_for()
    assert ada.is_active
    context.close()
