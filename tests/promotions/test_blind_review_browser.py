"""A blind cycle's case in Chromium (Playwright against a live server): a committee member reads the
desk and the calibration page under the candidate's pseudonym, with the note that the packet
should not name the candidate, the review form labelled and usable, and an event of the audit
trail's (opened from its list) under the pseudonym too; after their vote the desk names the
candidate. Each page at 1024 and 1280 px passes tests/accessibility.py (nothing cut or scrolled
sideways, axe-core: nothing critical or serious). With SCREENSHOT_DIR set, saved as
blind-desk-<width>.png, blind-calibration-<width>.png and blind-event-<width>.png."""

import os

import pytest

from ladder.models import Level
from promotions import blind
from tests import factories
from tests.accessibility import check_page
from tests.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTHS = (1024, 1280)


def test_a_committee_member_reads_a_blind_case_then_votes(chromium, live_server):
    from playwright.sync_api import expect

    hr = factories.hr_user()
    factories.committee_member(level="vp-product", username="chen")
    cycle = factories.blind_cycle(hr=hr, name="H1 blind")
    manager = factories.MemberFactory(
        user__first_name="Maya",
        user__last_name="Lindqvist",
        level=Level.objects.get(code="group-pm"),
    )
    candidate = factories.MemberFactory(
        user__first_name="Ravi",
        user__last_name="Iyer",
        level=Level.objects.get(code="pm"),
        manager=manager,
    )
    promotion = factories.promotion(candidate=candidate, state="in_review", actor=hr)
    pseudonym = blind.pseudonym(promotion.pk)
    url = live_server.url
    desk_path = f"/admin/promotions/promotion/{promotion.pk}/change/"
    calibration_path = f"/admin/promotions/cycle/{cycle.pk}/calibration/"
    screenshots = os.environ.get("SCREENSHOT_DIR")

    page = chromium.new_page(viewport={"width": WIDTHS[0], "height": 900})
    log_in(page, url, "chen", desk_path)
    main = page.locator("#content-main")
    expect(page.locator("#summary-title")).to_contain_text(pseudonym)
    expect(page.locator("#blind-note")).to_be_visible()
    expect(page.locator("#blind-note")).to_contain_text("should not name the candidate")
    expect(page.locator("#career")).to_contain_text("Hidden in the blind first pass")
    expect(page.locator("#summary")).not_to_contain_text("in level")
    for text in ("Ravi", "Iyer", "Maya", "Lindqvist"):
        expect(page.locator("body")).not_to_contain_text(text)
    record = page.get_by_role("button", name="Record review")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        expect(record).to_be_visible()
        check_page(page, container="#content-main")
        if screenshots:
            page.screenshot(
                path=os.path.join(screenshots, f"blind-desk-{width}.png"), full_page=True
            )

    page.goto(f"{url}{calibration_path}")
    row = page.get_by_role("link", name=pseudonym)
    expect(page.locator("#blind-note")).to_be_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        expect(row).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("Iyer")
        check_page(page, container="#content-main")
        if screenshots:
            page.screenshot(
                path=os.path.join(screenshots, f"blind-calibration-{width}.png"), full_page=True
            )

    # The audit trail: an event's page, from the list, names neither candidate nor nominator.
    page.goto(f"{url}/admin/promotions/promotionevent/")
    page.locator("#result_list tbody tr").first.locator("a").first.click()
    expect(page.locator("#content-main")).to_contain_text(pseudonym)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for text in ("Ravi", "Iyer", "Maya", "Lindqvist"):
            expect(page.locator("body")).not_to_contain_text(text)
        check_page(page, container="#content-main")
        if screenshots:
            page.screenshot(
                path=os.path.join(screenshots, f"blind-event-{width}.png"), full_page=True
            )

    # The vote: a rating for each criterion (labelled radio groups), a decision, then the name.
    page.goto(f"{url}{calibration_path}")
    row.click()
    expect(page.locator("#summary-title")).to_contain_text(pseudonym)
    ratings = page.locator("#your-review fieldset.rating")
    expect(ratings).to_have_count(len(factories.ratings_body(promotion)))
    for group in ratings.all():
        group.get_by_label("Meets").check()
    page.locator("#your-review").get_by_label("Approve").check()
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".messagelist")).to_contain_text("Your review is recorded.")
    expect(page.locator("#summary-title")).to_contain_text("Ravi Iyer")
    expect(page.locator("#blind-note")).to_have_count(0)
    expect(main.locator("#votes")).to_contain_text("blind")
    check_page(page, container="#content-main")
    page.close()
