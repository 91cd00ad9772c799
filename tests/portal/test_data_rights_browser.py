"""A member downloads their own data from /me/ in Chromium (docs/data-rights.md): the link is
visible, labelled and clicked as a person would; the file is the export, named as one; the page
passes axe-core at 1024 and 1280 px. With SCREENSHOT_DIR set, /me/ is saved at both widths."""

import json
import os

import pytest

from tests import factories
from tests.accessibility import WIDTHS, check_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_member_downloads_their_data_from_me(chromium, live_server):
    from playwright.sync_api import expect

    promotion = factories.promotion(state="rejected")
    user = promotion.candidate.user
    page = chromium.new_context(accept_downloads=True).new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username or e-mail").fill(user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/me/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        link = page.get_by_role("link", name="Download my data (JSON)")
        expect(link).to_be_visible()
        check_page(page, container="main")
        if os.environ.get("SCREENSHOT_DIR") and width in (1024, 1280):
            page.screenshot(
                path=os.path.join(os.environ["SCREENSHOT_DIR"], f"member-my-data-{width}.png"),
                full_page=True,
            )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data (JSON)").click()
    saved = download.value
    assert saved.suggested_filename.startswith("pm-ladder-my-data-")
    assert saved.suggested_filename.endswith(".json")
    with open(saved.path(), encoding="utf-8") as file:
        data = json.load(file)
    assert data["member"]["username"] == user.username
    assert [case["id"] for case in data["promotions"]] == [promotion.pk]
