"""The committee's desk in a real browser: headless Chromium (Debian's) driven by Playwright
against a live server. What a person must use is checked as a person would meet it: at each of
tests/accessibility.py's WIDTHS (1024 and 1280 px; 1440 and 1920 too in `make test-deep`),
every input and button of the review and decision forms has a box of real size inside the
viewport once scrolled into view, and is clicked without `force`; the review can be recorded by
keyboard alone. With SCREENSHOT_DIR set (`make screenshots`), the pages are saved as PNGs."""

import os
import re
from datetime import date

import pytest

from ladder.models import Level, LevelChange
from promotions import services
from promotions.models import Promotion
from tests import factories
from tests.accessibility import WIDTHS
from tests.browser import log_in

HEIGHT = 800

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def desk_world(db):
    """A promotion in review with a vote already cast by another committee member, a candidate
    with a career behind them, and one nomination still waiting (the filters must hide it)."""
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    candidate = factories.MemberFactory(
        level=Level.objects.get(code="pm"),
        manager=manager,
        level_since=date(2024, 3, 1),
        user__first_name="Robin",
        user__last_name="Candidate",
    )
    LevelChange.objects.create(
        member=candidate,
        from_level=Level.objects.get(code="associate-pm"),
        to_level=Level.objects.get(code="pm"),
        effective_date=date(2024, 3, 1),
    )
    reviewer = factories.committee_member(username="cora", first_name="Cora", last_name="Mendes")
    colleague = factories.committee_member(username="chen")
    waiting = factories.MemberFactory(manager=manager, level=Level.objects.get(code="associate-pm"))
    factories.promotion(candidate=waiting, to="pm", justification="Not yet in review.")
    promotion = factories.promotion(
        candidate=candidate,
        to="senior-pm",
        justification=(
            "Led the checkout rewrite across payments, risk and mobile: conversion up 4 points.\n"
            "Mentors two associate PMs; runs the quarterly roadmap review for the growth area."
        ),
        state="in_review",
        actor=colleague,
    )
    factories.review(promotion, colleague, "approve", "Senior scope.")
    return promotion, reviewer


def assert_usable(page, locator, width: int):
    """Scrolled into view, the control has a real box inside the viewport; then it is clicked
    as a person would click it (no `force`)."""
    locator.evaluate("element => element.scrollIntoView({block: 'center', inline: 'center'})")
    box = locator.bounding_box()
    assert box is not None, locator
    assert box["width"] >= 14 and box["height"] >= 14, (locator, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (locator, box, width)
    assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, (locator, box)
    assert locator.is_visible() and locator.is_enabled()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_desk_forms_are_usable_at_every_width(live_server, chromium, desk_world, width):
    from playwright.sync_api import expect

    promotion, reviewer = desk_world
    page = chromium.new_page(viewport={"width": width, "height": HEIGHT})
    desk = f"/admin/promotions/promotion/{promotion.pk}/change/"
    log_in(page, live_server.url, "cora", desk)
    expect(page.locator("#summary")).to_contain_text("Robin Candidate")
    expect(page.locator(".expectation")).to_contain_text("Senior Product Manager")
    expect(page.locator("#career")).to_contain_text("Junior Product Manager")
    expect(page.locator("#votes")).to_contain_text("Senior scope.")

    review = page.locator("#your-review")
    decide = page.locator("#transitions")
    ratings = review.locator("input[type=radio][name^=rating_]")
    expect(ratings).to_have_count(15)  # five criteria of senior-pm, three ratings each
    controls = [
        *[ratings.nth(i) for i in range(15)],
        review.locator("input[name=decision][value=approve]"),
        review.locator("input[name=decision][value=reject]"),
        review.locator("textarea[name=comment]"),
        review.locator("input[name=record-review]"),
        decide.locator("textarea[name=note]"),
        *[decide.locator("button[name=action]").nth(i) for i in range(4)],
    ]
    # approve, reject, request changes, hold
    expect(decide.locator("button[name=action]")).to_have_count(4)
    for control in controls:
        assert_usable(page, control, width)

    # Both forms sit inside the main column, whatever the width.
    main = page.locator("#content-main").bounding_box()
    for form in (review, decide):
        box = form.bounding_box()
        assert box["x"] >= main["x"] and box["x"] + box["width"] <= main["x"] + main["width"] + 1

    # The review by keyboard alone: rate each criterion, choose, type, tab to the button, Enter.
    for meets in review.locator("input[type=radio][name^=rating_][value=meets]").all():
        meets.focus()
        page.keyboard.press("Space")
    review.locator("input[name=decision][value=approve]").focus()
    page.keyboard.press("Space")
    review.locator("textarea[name=comment]").focus()
    page.keyboard.type("Clear senior scope.")
    page.keyboard.press("Tab")
    expect(review.locator("input[name=record-review]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("Your review is recorded.")
    expect(page.locator("#votes")).to_contain_text("Clear senior scope.")

    button = page.locator("#transitions button[value=approve]")
    assert_usable(page, button, width)
    button.click()
    expect(page.locator(".messagelist")).to_contain_text("now approved")
    expect(page.locator(".field-state")).to_contain_text("Approved")
    expect(page.locator(".field-candidate_level")).to_contain_text("Senior Product Manager")
    assert Promotion.objects.get(pk=promotion.pk).state == "approved"


def test_the_committee_finds_what_needs_its_vote(live_server, chromium, desk_world):
    from playwright.sync_api import expect

    promotion, reviewer = desk_world
    page = chromium.new_page(viewport={"width": 1280, "height": HEIGHT})
    log_in(page, live_server.url, "cora", "/admin/")
    expect(page.locator("#awaiting-vote")).to_contain_text("1 promotion awaits your vote")
    page.locator("#awaiting-vote a").click()
    expect(page).to_have_url(re.compile(r"needs_my_vote=yes"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    screenshots = os.environ.get("SCREENSHOT_DIR")
    if screenshots:
        page.goto(f"{live_server.url}/admin/promotions/promotion/")
        page.screenshot(path=os.path.join(screenshots, "committee-list.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/promotions/promotion/?needs_my_vote=yes")
    rows.first.get_by_role("link", name="Robin Candidate").click()
    expect(page.locator("#your-review")).to_be_visible()
    if screenshots:
        page.screenshot(path=os.path.join(screenshots, "desk-in-review.png"), full_page=True)
    for meets in page.locator("#your-review input[name^=rating_][value=meets]").all():
        meets.check()
    page.check("#your-review input[name=decision][value=approve]")
    page.click("#your-review input[name=record-review]")
    page.fill("#transitions textarea[name=note]", "Congratulations.")
    page.click("#transitions button[value=approve]")
    expect(page.locator(".field-state")).to_contain_text("Approved")
    if screenshots:
        page.screenshot(path=os.path.join(screenshots, "desk-approved.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#awaiting-vote")).to_contain_text("Nothing awaits your vote")


def test_the_desk_compares_packet_versions(live_server, chromium, desk_world):
    """Sent back, reworked, resubmitted: the committee reads v2 with its changes marked against
    v1, the stale vote marked, and switches to v1 by keyboard."""
    from playwright.sync_api import expect

    from promotions.packets import services as packets

    promotion, reviewer = desk_world
    nominator = promotion.nominated_by
    services.promotion_request_changes(
        promotion=promotion, actor=reviewer, note="Show the mentoring in numbers."
    )
    evidence = factories.evidence_for("senior-pm")
    evidence[1]["text"] = "Mentors two associate PMs weekly; both now lead discovery alone."
    evidence[1]["links"] = ["https://wiki.example.com/mentoring-notes"]
    packets.packet_submit(
        promotion=promotion,
        actor=nominator,
        justification="Reworked: the mentoring, in numbers.",
        evidence=evidence,
    )
    services.promotion_resubmit(promotion=promotion, actor=nominator)
    page = chromium.new_page(viewport={"width": 1280, "height": HEIGHT})
    log_in(page, live_server.url, "cora", f"/admin/promotions/promotion/{promotion.pk}/change/")
    mentoring = page.locator("#criterion-mentors-juniors")
    expect(mentoring.locator("ins")).to_contain_text("both now lead discovery alone")
    expect(mentoring.locator(".changed-mark")).to_be_visible()
    expect(page.locator("#votes")).to_contain_text("stale")
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(
            path=os.path.join(os.environ["SCREENSHOT_DIR"], "desk-two-versions.png"),
            full_page=True,
        )
    version_one = page.locator(".versions a", has_text="v1")
    version_one.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#justification-title")).to_contain_text("packet v1")
