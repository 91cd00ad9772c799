"""End to end in a real browser: headless Chromium (Debian's) driven by Playwright against a live
server. A committee member logs in, filters to promotions in review, opens one, records a review
and approves it."""

import os
import re

import pytest

from ladder.models import Level
from promotions import services
from tests import factories

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def allow_orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django would refuse ORM calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_committee_member_approves_in_the_admin(live_server, allow_orm_beside_playwright):
    from playwright.sync_api import expect, sync_playwright

    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    candidate = factories.MemberFactory(
        level=Level.objects.get(code="pm"),
        manager=manager,
        user__first_name="Robin",
        user__last_name="Candidate",
    )
    reviewer = factories.committee_member(username="cora")
    waiting = factories.MemberFactory(manager=manager, level=Level.objects.get(code="associate-pm"))
    services.promotion_nominate(  # stays nominated: the filter must hide it
        candidate=waiting,
        to_level=Level.objects.get(code="pm"),
        nominated_by=manager.user,
        justification="Not yet in review.",
    )
    promotion = services.promotion_nominate(
        candidate=candidate,
        to_level=Level.objects.get(code="senior-pm"),
        nominated_by=manager.user,
        justification="Led the checkout rewrite.",
    )
    services.promotion_start_review(promotion=promotion, actor=reviewer)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/promotions/promotion/")
        page.fill("#id_username", "cora")
        page.fill("#id_password", factories.PASSWORD)
        page.click("input[type=submit]")
        expect(page).to_have_url(re.compile(r"/admin/promotions/promotion/$"))

        page.locator("#changelist-filter").get_by_role("link", name="In review").click()
        expect(page).to_have_url(re.compile(r"state__exact=in_review"))
        rows = page.locator("#result_list tbody tr")
        expect(rows).to_have_count(1)
        rows.first.get_by_role("link", name="Robin Candidate").click()

        expect(page.locator("body")).to_contain_text("Led the checkout rewrite.")
        page.check("input[name=decision][value=approve]")
        page.fill("#id_comment", "Clear senior scope.")
        page.click("input[name=record-review]")
        expect(page.locator(".messagelist")).to_contain_text("Your review is recorded.")

        page.click("button[name=action][value=approve]")
        expect(page.locator(".messagelist")).to_contain_text("now approved")
        expect(page.locator(".field-state")).to_contain_text("Approved")
        expect(page.locator(".field-candidate_level")).to_contain_text("Senior Product Manager")
        if os.environ.get("SCREENSHOT_DIR"):
            page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "approved.png"))
        browser.close()

    candidate.refresh_from_db()
    assert candidate.level.code == "senior-pm"
