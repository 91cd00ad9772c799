"""People analytics' pages in a real browser (headless Chromium, Playwright, a live server) at 1024
and 1280 px: the adverse-impact page on the seeded cycles (every stage charted beside its table,
the four-fifths flag, suppressed groups, the CSV link) and a member's own demographics page; each
fits its width and axe-core finds nothing critical or serious. With SCREENSHOT_DIR set, the pages
are saved as PNGs."""

import os

import pytest
from django.core.management import call_command

from analytics.models import DemographicValue
from ladder.models import Member
from promotions.models import Cycle
from tests import factories
from tests.accessibility import check_page
from tests.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _shot(page, name: str, width: int) -> None:
    screenshots = os.environ.get("SCREENSHOT_DIR")
    if screenshots:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=os.path.join(screenshots, f"{name}-{width}.png"), full_page=True)


def test_the_adverse_impact_page_and_a_members_own_page(live_server, chromium):
    from playwright.sync_api import expect

    call_command("analytics_seed", members=300, seed=26, stdout=open(os.devnull, "w"))  # noqa: SIM115
    factories.people_analyst(username="petra")
    ids = ",".join(
        str(pk)
        for pk in Cycle.objects.filter(name__startswith="Analytics seed").values_list(
            "pk", flat=True
        )
    )
    member = Member.objects.get(user__username="analytics-seed-0001")
    member.user.set_password(factories.PASSWORD)
    member.user.save()
    for width in (1024, 1280):
        page = chromium.new_page(viewport={"width": width, "height": 800})
        log_in(page, live_server.url, "petra", "/admin/analytics/demographicchoice/adverse-impact/")
        page.get_by_label("Category", exact=True).select_option("gender")
        page.get_by_label("Cycles", exact=True).fill(ids)
        page.get_by_role("button", name="Show").click()
        for stage in ("Nomination", "Approval", "Overall"):
            section = page.get_by_role("region", name=f"{stage}:")
            expect(section).to_be_visible()
            expect(section.get_by_role("img")).to_be_visible()
            expect(section.get_by_role("table")).to_be_visible()
        expect(page.get_by_text("under four fifths").first).to_be_visible()
        expect(page.get_by_text("suppressed (too few to publish)").first).to_be_visible()
        expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
        check_page(page, container="#content")
        _shot(page, "adverse-impact", width)
        page.close()

        page = chromium.new_page(viewport={"width": width, "height": 800})
        page.goto(f"{live_server.url}/login/?next=/me/demographics/")
        page.get_by_label("Username").fill(member.user.username)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Age band").select_option("35-44")
        page.get_by_role("button", name="Save my answers").click()
        expect(page.get_by_text("Your answers are saved.")).to_be_visible()
        check_page(page, container="main")
        _shot(page, "my-demographics", width)
        page.close()
    value = DemographicValue.objects.get(member=member, category="age_band")
    assert value.choice.code == "35-44"
