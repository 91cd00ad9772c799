"""A decision held for its cycle's release date, on the member site in Chromium (Playwright against
a live server): the candidate reads their case as in review; their manager, on /team/, reads that
they do not know yet and releases it with a labelled button once they have told them; the
candidate then reads the decision. Each page at 1024 and 1280 px passes tests/accessibility.py
(no sideways scroll, nothing cut, axe-core: nothing critical or serious). With SCREENSHOT_DIR set,
the manager's team page is saved as team-release-<width>.png."""

import os

import pytest

from ladder.models import Level
from tests import factories
from tests.accessibility import check_page
from tests.portal.test_pages_browser import person, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTHS = (1024, 1280)


def test_the_manager_releases_a_held_decision_from_their_team_page(chromium, live_server):
    from playwright.sync_api import expect

    maya = person("maya", "group-pm", None, "Maya", "Lindqvist-Abernathy")
    ravi = person("ravi", "pm", maya, "Ravi", "Iyer")
    assert ravi.level == Level.objects.get(code="pm")
    # Nominated by HR: Maya is the manager, not the nominator (her release is the manager's).
    promotion = factories.held_decision(candidate=ravi, to="senior-pm", by=factories.hr_user())
    url = live_server.url
    mine = f"{url}/me/promotions/{promotion.pk}/"

    candidate = chromium.new_page(viewport={"width": WIDTHS[0], "height": 800})
    sign_in(candidate, url, "ravi")
    candidate.goto(mine)
    expect(candidate.locator("main")).to_contain_text("In review")
    expect(candidate.locator("main")).not_to_contain_text("Approved")
    check_page(candidate, container="main")

    manager = chromium.new_page(viewport={"width": WIDTHS[0], "height": 800})
    sign_in(manager, url, "maya")
    manager.goto(f"{url}/team/")
    card = manager.locator(f"#member-{ravi.pk}")
    expect(card).to_contain_text("Ravi Iyer does not know yet")
    button = card.get_by_role("button", name="I have told Ravi Iyer: release the decision")
    screenshots = os.environ.get("SCREENSHOT_DIR")
    for width in WIDTHS:
        manager.set_viewport_size({"width": width, "height": 800})
        expect(button).to_be_visible()
        expect(button).to_be_enabled()
        check_page(manager, container="main")
        if screenshots:
            manager.screenshot(
                path=os.path.join(screenshots, f"team-release-{width}.png"), full_page=True
            )
    button.click()
    expect(manager.locator("main")).to_contain_text(
        "Released: Ravi Iyer can now read the committee's decision."
    )
    expect(manager.locator(f"#member-{ravi.pk}")).not_to_contain_text("does not know yet")
    check_page(manager, container="main")

    candidate.goto(mine)
    expect(candidate.locator("main")).to_contain_text("Approved")
    check_page(candidate, container="main")
    candidate.close()
    manager.close()
