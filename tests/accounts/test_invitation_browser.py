"""The invitation and the password reset as a person meets them: Debian's Chromium through
Playwright against a live server. HR invites Nadia; she opens the link in the e-mail, chooses a
password and lands signed in on the member site's home. Each page (the invitation's, the calm one
for a link that no longer works, the reset's and its answer) at 1024 and 1280 px: nothing scrolls
sideways or leaves its column, axe-core finds no serious violation (tests/accessibility.py). With
SCREENSHOT_DIR set (`make screenshots`) they are saved as invite-*.png and reset-*.png."""

import os
import re

import pytest
from django.core import mail

from ladder import invitations
from ladder.models import Level
from tests import factories
from tests.accessibility import check_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTHS = (1024, 1280)
PASSWORD = "Kite-lantern-harbour-42"


def save(page, name: str) -> None:
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


def invited_link(live_server_url: str) -> str:
    hr = factories.hr_user(username="hana", first_name="Hana", last_name="Ito")
    nadia = factories.MemberFactory(
        user__username="nadia",
        user__first_name="Nadia",
        user__last_name="Park",
        user__email="nadia@example.com",
        level=Level.objects.get(code="pm"),
    )
    nadia.user.set_unusable_password()
    nadia.user.save()
    mail.outbox.clear()
    invitations.invitation_send(actor=hr, user=nadia.user)  # committed: the e-mail goes out
    [message] = mail.outbox
    [path] = re.findall(r"http://ladder\.test(/invite/[A-Za-z0-9_-]+/)", message.body)
    return live_server_url + path


@pytest.mark.parametrize("width", WIDTHS)
def test_open_the_invitation_set_a_password_and_land_signed_in_on_home(
    live_server, chromium, width
):
    from playwright.sync_api import expect

    link = invited_link(live_server.url)
    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.goto(link)
    assert page.url == f"{live_server.url}/invite/set-password/"  # the token left the address
    expect(page.locator("h1")).to_have_text("Choose your password")
    expect(page.locator("main")).to_contain_text("nadia")
    check_page(page, container="main")
    save(page, f"invite-{width}")

    page.fill("#id_new_password1", "nadia2024")
    page.fill("#id_new_password2", "nadia2024")
    page.click("button[type=submit]")
    expect(page.locator(".errorlist")).to_contain_text("too similar")
    check_page(page, container="main")
    save(page, f"invite-refused-{width}")

    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".messages")).to_contain_text("Your password is set")
    expect(page.locator(".site-header")).to_contain_text("Nadia Park")

    again = chromium.new_page(viewport={"width": width, "height": 900})
    again.goto(link)
    expect(again.locator("h1")).to_have_text("This invitation link no longer works")
    check_page(again, container="main")
    save(again, f"invite-no-longer-works-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_reset_pages(live_server, chromium, width):
    from playwright.sync_api import expect

    factories.MemberFactory(user__username="priya", user__email="priya@example.com")
    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.click("text=Forgotten your password?")
    expect(page.locator("h1")).to_have_text("Reset your password")
    check_page(page, container="main")
    save(page, f"reset-{width}")
    page.fill("#id_email", "priya@example.com")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    check_page(page, container="main")
    save(page, f"reset-sent-{width}")

    [link] = re.findall(r"https?://[^/\s]+(/password/reset/\S+/\S+/)", mail.outbox[-1].body)
    page.goto(live_server.url + link)  # the mail names SITE_URL's host
    expect(page.locator("h1")).to_have_text("Choose a new password")
    check_page(page, container="main")
    save(page, f"reset-choose-{width}")
