"""HR reads the configuration's audit trail in a real browser (Debian's Chromium through
Playwright, against a live server) at 1024 and 1280 px: the list shows who changed what, by which
route, and its filters; nothing scrolls sideways and no column is cut. With SCREENSHOT_DIR set
(`make screenshots`) the page is saved as config-changes-<width>.png."""

import os

import pytest

from promotions.cycles import services as cycles
from tests import factories
from tests.browser import OVERFLOWING, log_in
from webhooks import services as webhooks

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("width", [1024, 1280])
def test_hr_reads_who_changed_the_configuration(live_server, chromium, settings, width):
    from playwright.sync_api import expect

    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    hr = factories.hr_user(username="harriet", first_name="Harriet", last_name="Osei")
    endpoint = webhooks.endpoint_create(
        actor=hr, url="http://127.0.0.1:9/hooks/payroll", description="Payroll sync"
    )
    webhooks.endpoint_update(
        actor=hr, endpoint=endpoint, changes={"url": "http://127.0.0.1:9/hooks/elsewhere"}
    )
    cycle = factories.draft_cycle(hr, name="Spring round")
    cycles.cycle_open(actor=hr, cycle=cycle)

    page = chromium.new_page(viewport={"width": width, "height": 800})
    log_in(page, live_server.url, "harriet", "/admin/audit/configchange/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(4)
    text = page.locator("#result_list").inner_text()
    assert "Payroll sync" in text and "Spring round" in text
    assert "http://127.0.0.1:9/hooks/elsewhere" in text  # the "to" of the redirection
    assert "via system" in text  # the route, under the action
    for header in ("At", "Target", "Action", "Actor", "What changed"):
        expect(page.locator("#result_list thead")).to_contain_text(header)
    expect(page.locator("#changelist-filter")).to_contain_text("By route")
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=os.path.join(directory, f"config-changes-{width}.png"), full_page=True)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    results = page.locator("#changelist .results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert page.locator("#content-main").evaluate(OVERFLOWING) == []
