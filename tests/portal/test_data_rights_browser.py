"""Data rights in Chromium (docs/data-rights.md): a member downloads their own data from /me/ (the
link visible, labelled and clicked as a person would; the file is the export, named as one); HR
erases a leaver and puts a promotion on legal hold in the admin (the confirmation and the reason's
pages). Every page passes axe-core at 1024 and 1280 px; with SCREENSHOT_DIR set they are saved."""

import json
import os

import pytest

from ladder.models import Member
from ladder.services import member_update
from promotions.models import Promotion
from tests import factories
from tests.accessibility import WIDTHS, check_page
from tests.browser import log_in

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


def _shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        width = page.viewport_size["width"] if page.viewport_size else 0
        page.screenshot(path=os.path.join(folder, f"{name}-{width}.png"), full_page=True)


def _run_action(page, value: str, row_pk: int) -> None:
    page.locator(f"input[name=_selected_action][value='{row_pk}']").check()
    page.select_option("select[name=action]", value)
    page.get_by_role("button", name="Go").click()


def test_hr_erases_a_leaver_and_holds_a_promotion_in_the_admin(chromium, live_server):
    from playwright.sync_api import expect

    factories.hr_user(username="hana")
    leaver, _ = factories.team()
    member_update(
        actor=factories.hr_user(), member=leaver, changes={"is_active": False}, route="api"
    )
    promotion = factories.promotion(state="rejected")
    page = chromium.new_page(viewport={"width": WIDTHS[0], "height": 900})
    log_in(page, live_server.url, "hana", "/admin/ladder/member/?is_active__exact=0")

    _run_action(page, "erase_personal_data", leaver.pk)
    confirm = page.get_by_role("button", name="Yes, erase their personal data")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        expect(confirm).to_be_visible()
        check_page(page, container="#content-main")
        _shoot(page, "admin-erase-confirmation")
    confirm.click()
    expect(page.locator(".messagelist")).to_contain_text("was erased")

    page.goto(f"{live_server.url}/admin/promotions/promotion/")
    _run_action(page, "put_on_legal_hold", promotion.pk)
    reason = page.get_by_label("Reason (kept in the audit trail)")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        expect(reason).to_be_visible()
        check_page(page, container="#content-main")
        _shoot(page, "admin-legal-hold")
    reason.fill("Tribunal claim 2031")
    page.get_by_role("button", name="Put on legal hold").click()
    expect(page.locator(".messagelist")).to_contain_text("on legal hold")
    assert Member.objects.get(pk=leaver.pk).erased_at is not None
    assert Promotion.objects.get(pk=promotion.pk).legal_hold
