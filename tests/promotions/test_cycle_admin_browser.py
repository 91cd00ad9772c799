"""A cycle's calibration page in a real browser: headless Chromium (Debian's) driven by Playwright
against a live server, at 1280 px. The board and the charts are seen whole: each inside the
viewport's width and the main column, nothing drawn beyond the main column, no horizontal scroll,
and nothing fetched from anywhere but the server itself. With SCREENSHOT_DIR set
(`make screenshots`), the page is saved as cycle-calibration.png."""

import os
import re

import pytest

from promotions.models import Promotion
from tests.browser import OVERFLOWING, log_in
from tests.promotions.test_cycle_admin import NAMESPACES, calibrating_cycle

WIDTH, HEIGHT = 1280, 800

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_within(box, outer, what):
    assert box is not None and box["width"] > 0 and box["height"] > 0, what
    assert box["x"] >= outer["x"] - 1, (what, box, outer)
    assert box["x"] + box["width"] <= outer["x"] + outer["width"] + 1, (what, box, outer)


def test_the_calibration_page_and_its_charts_fit_at_1280_px(live_server, chromium):
    from playwright.sync_api import expect

    world = calibrating_cycle()
    cycle = world["cycle"]
    page = chromium.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    calibration = f"/admin/promotions/cycle/{cycle.pk}/calibration/"
    log_in(page, live_server.url, "cora", calibration)
    expect(page.locator("#cycle-summary")).to_contain_text("Spring cycle")

    board = page.locator("#board")
    tables = board.locator("table")
    expect(tables).to_have_count(4)  # pm, senior-pm, lead-pm, principal-pm
    expect(board).to_contain_text("To Product Manager · Individual contributor · 5 candidates")
    expect(board.locator("tr", has_text="Leo Marchetti")).to_contain_text("recused")
    expect(board.locator("tr", has_text="Ravi Iyer")).to_contain_text("1 not yet")
    stats = page.locator("#stats")
    expect(stats.locator("#stats-level")).to_contain_text("suppressed (fewer than 5 candidates")

    charts = page.locator("#charts figure.chart svg")
    expect(charts).to_have_count(4)  # outcomes by level, track, organisation; approval rate
    main = page.locator("#content-main").bounding_box()
    assert main is not None and main["x"] + main["width"] <= WIDTH
    viewport = {"x": 0, "width": WIDTH}
    for element in [*tables.all(), *charts.all()]:
        element.scroll_into_view_if_needed()
        expect(element).to_be_visible()
        box = element.bounding_box()
        assert_within(box, viewport, element)
        assert_within(box, main, element)
    # The charts are drawn at about the size they are shown: their text stays legible.
    for chart in charts.all():
        assert chart.bounding_box()["width"] >= 600
    assert page.locator("#content-main").evaluate(OVERFLOWING) == []
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")

    # Nothing came from anywhere but the server; the charts name only their namespaces.
    assert requested and all(url.startswith(live_server.url) for url in requested), requested
    svgs = "".join(charts.evaluate_all("charts => charts.map(svg => svg.outerHTML)"))
    assert set(re.findall(r"https?://[^\s\"'<>)]+", svgs)) <= NAMESPACES
    assert "<script" not in svgs

    screenshots = os.environ.get("SCREENSHOT_DIR")
    if screenshots:
        page.evaluate("window.scrollTo(0, 0)")  # the menu beside the page sticks to the top
        page.screenshot(path=os.path.join(screenshots, "cycle-calibration.png"), full_page=True)

    # Each candidate opens on the promotion's desk, which names the cycle.
    board.get_by_role("link", name="Ravi Iyer").click()
    ravi = Promotion.objects.get(candidate__user__username="ravi")
    expect(page).to_have_url(re.compile(rf"/admin/promotions/promotion/{ravi.pk}/change/$"))
    expect(page.locator(".field-cycle")).to_contain_text("Spring cycle")
