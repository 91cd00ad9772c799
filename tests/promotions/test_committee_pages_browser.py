"""The committee's and HR's admin pages, and the browsable API, as anyone meets them: Debian's
Chromium through Playwright against a live server, at tests/accessibility.py's WIDTHS (1024 and
1280 px; 1440 and 1920 too in `make test-deep`). On each page
nothing scrolls sideways, nothing is cut or pushed out of the main column, no name is broken in
two, and axe-core finds no critical or serious violation (tests/accessibility.py). One browser,
one sign-in, one page resized per width. Then the desk refuses a review and keeps it as it was
chosen. With SCREENSHOT_DIR set (`make screenshots`), the pages whose layout changed are saved at
1024 and 1280 px."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from ladder.models import Criterion, Level, LevelTransition
from promotions import services
from promotions.cycles import services as cycles
from promotions.delegations import services as delegations
from promotions.models import NominationRequest
from promotions.packets.services import packet_evidence
from tests import factories
from tests.accessibility import WIDTHS, check_page
from tests.browser import log_in
from webhooks.models import Delivery, DeliveryStatus, Endpoint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT_WIDTHS = (1024, 1280)
# The pages whose layout this test first made fit (the others change only in their breadcrumbs).
SCREENSHOT_PAGES = (
    "desk",
    "delegation-list",
    "delegation-add",
    "cycle-calibration",
    "promotion-list",
    "level-change",
    "criterion-list",
    "level-transition-list",
    "webhook-add",
    "webhook-delivery-list",
)


def person(username: str, level: str, manager, first: str, last: str):
    return factories.MemberFactory(
        user__username=username,
        user__first_name=first,
        user__last_name=last,
        level=Level.objects.get(code=level),
        manager=manager,
    )


def committee_world() -> dict:
    """HR's Hana; a calibrating cycle of four candidates with long names, one in review with a
    vote of Chen's, one to lead-pm (its six criteria make the board's widest table); a webhook
    with a failed and a delivered delivery."""
    hana = factories.hr_user(username="hana", first_name="Hana", last_name="Reyes")
    chen = factories.committee_member(username="chen", first_name="Chen", last_name="Okafor")
    maya = person("maya", "group-pm", None, "Maya", "Lindqvist-Abernathy")
    today = timezone.localdate()
    cycle = cycles.cycle_create(
        actor=hana,
        name="Spring cycle",
        tracks=[],
        nominations_open_on=today - timedelta(days=30),
        nominations_close_on=today,
        decisions_due_on=today + timedelta(days=14),
        effective_on=today + timedelta(days=30),
    )
    cycles.cycle_open(actor=hana, cycle=cycle)
    nominated = [
        factories.promotion(candidate=person(username, level, maya, first, last), to=to)
        for username, level, to, first, last in (
            ("aleksandra", "pm", "senior-pm", "Aleksandra", "Kowalski"),
            ("bartholomew", "associate-pm", "pm", "Bartholomew", "Featherstonehaugh"),
            ("gudrun", "pm", "senior-pm", "Guðrún", "Sigurðardóttir"),
            ("wojciech", "senior-pm", "lead-pm", "Wojciech", "Brzęczyszczykiewicz"),  # 6 criteria
        )
    ]
    cycles.cycle_calibrate(actor=hana, cycle=cycle)
    in_review = services.promotion_start_review(promotion=nominated[0], actor=chen)
    factories.review(in_review, chen, "approve", "Senior scope, clearly.")
    endpoint = Endpoint.objects.create(
        url="https://hooks.payroll.example.com/pm-ladder/events",
        description="Payroll sync",
        events=["promotion.approved", "member.level_changed"],
        secret="whsec_test",
        created_by=hana,
    )
    for event, status, code in (
        ("promotion.approved", DeliveryStatus.FAILED, 500),
        ("member.level_changed", DeliveryStatus.DELIVERED, 200),
    ):
        Delivery.objects.create(
            endpoint=endpoint,
            event=event,
            webhook_id=f"msg_{event}",
            body="{}",
            status=status,
            attempts=2,
            last_status_code=code,
            retry_until=timezone.now() + timedelta(hours=24),
        )
    # Chen is away this week: Dana holds Chen's seat (HR's list of delegations).
    dana = factories.committee_member(username="dana", first_name="Dana", last_name="Moreau")
    delegations.delegation_create(
        actor=hana, delegator=chen, delegate=dana, starts_on=today, ends_on=today + timedelta(6)
    )
    # Ingrid asked Maya for a nomination before the cycle closed: HR's list of requests.
    ingrid = person("ingrid", "pm", maya, "Ingrid", "Vasquez-Oyelaran")
    senior = Level.objects.get(code="senior-pm")
    request = NominationRequest.objects.create(
        member=ingrid,
        to_level=senior,
        justification="I have run the checkout squad for two years.",
        evidence=packet_evidence(to_level=senior, evidence=factories.evidence_for(senior)),
    )
    return {"promotion": in_review, "cycle": cycle, "endpoint": endpoint, "request": request}


ADMIN = "#content-main"


def committee_pages(world) -> dict[str, tuple[str, str]]:
    """{name: (path, the page's main column)}."""
    senior = Level.objects.get(code="senior-pm")
    assert Criterion.objects.filter(level=senior).exists()
    assert LevelTransition.objects.filter(from_level=senior).exists()
    promotion, cycle, endpoint = world["promotion"].pk, world["cycle"].pk, world["endpoint"].pk
    return {
        "admin-index": ("/admin/", ADMIN),
        "desk": (f"/admin/promotions/promotion/{promotion}/change/", ADMIN),
        "cycle-calibration": (f"/admin/promotions/cycle/{cycle}/calibration/", ADMIN),
        # HR plans a cycle: its dates, the optional release date among them.
        "cycle-add": ("/admin/promotions/cycle/add/", ADMIN),
        "promotion-list": ("/admin/promotions/promotion/", ADMIN),
        # HR's delegations: every one, and the form to name a delegate for a seat.
        "delegation-list": ("/admin/promotions/delegation/", ADMIN),
        "delegation-add": ("/admin/promotions/delegation/add/", ADMIN),
        "level-change": (f"/admin/ladder/level/{senior.pk}/change/", ADMIN),
        "criterion-list": ("/admin/ladder/criterion/", ADMIN),
        "level-transition-list": ("/admin/ladder/leveltransition/", ADMIN),
        "webhook-add": ("/admin/webhooks/endpoint/add/", ADMIN),
        "webhook-change": (f"/admin/webhooks/endpoint/{endpoint}/change/", ADMIN),
        "webhook-delivery-list": ("/admin/webhooks/delivery/", ADMIN),
        # HR's list of notification deliveries, and a filter that finds none ("0 results (N
        # total)": its link must be told from the text).
        "notification-delivery-list": ("/admin/notifications/delivery/", ADMIN),
        # HR's nomination requests: how long answers took, and one to answer.
        "nomination-request-list": ("/admin/promotions/nominationrequest/", ADMIN),
        "nomination-request": (
            f"/admin/promotions/nominationrequest/{world['request'].pk}/change/",
            ADMIN,
        ),
        "no-failed-deliveries": ("/admin/notifications/delivery/?status__exact=failed", ADMIN),
        # The browsable API, for the committee signed in to the admin.
        "api-promotion": (f"/api/v1/promotions/{promotion}/", "#content"),
    }


def test_the_committee_pages_are_usable_by_anyone_at_every_width(live_server, chromium):
    from playwright.sync_api import expect

    world = committee_world()
    pages = committee_pages(world)
    page = chromium.new_page(viewport={"width": WIDTHS[0], "height": 800})
    log_in(page, live_server.url, "hana", "/admin/")
    screenshots = os.environ.get("SCREENSHOT_DIR")
    failures = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for name, (path, container) in pages.items():
            page.goto(live_server.url + path)
            try:
                check_page(page, container=container)
            except AssertionError as failure:
                failures.append(str(failure))
            if screenshots and width in SCREENSHOT_WIDTHS and name in SCREENSHOT_PAGES:
                screenshot(page, screenshots, f"{name}-{width}.png")
    assert not failures, "\n".join(failures)

    # The desk refuses a review (reject, every rating chosen, no comment) and keeps it as chosen,
    # the reason inside the form; the page, errors and all, is checked as the others.
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    page.goto(live_server.url + pages["desk"][0])
    review = page.locator("#your-review")
    ratings = review.locator("input[type=radio][name^=rating_][value=exceeds]")
    for rating in ratings.all():
        rating.check()
    review.locator("input[name=decision][value=reject]").check()
    review.locator("input[name=record-review]").click()
    expect(review).to_contain_text("A comment is required to reject.")
    assert page.url.endswith("#your-review")
    for rating in ratings.all():
        expect(rating).to_be_checked()
    expect(review.locator("input[name=decision][value=reject]")).to_be_checked()
    check_page(page, container=ADMIN)
    if screenshots:
        screenshot(page, screenshots, "desk-review-refused-1024.png")

    # HR's cycle form names the release date, with what it does, beside the other dates.
    page.goto(live_server.url + pages["cycle-add"][0])
    release_on = page.get_by_label("Release on")
    expect(release_on).to_be_visible()
    expect(release_on).to_be_editable()
    expect(page.locator("#content-main")).to_contain_text("held from the candidates")

    # HR names a delegate for a seat: each field labelled, the days' order refused in words.
    page.goto(live_server.url + pages["delegation-add"][0])
    page.get_by_label("Delegator:", exact=True).select_option(label="dana")
    page.get_by_label("Delegate:", exact=True).select_option(label="chen")
    page.get_by_label("Starts on:").fill(timezone.localdate().isoformat())
    page.get_by_label("Ends on:").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#content-main")).to_contain_text("ends on or after the day it starts")
    check_page(page, container=ADMIN)

    # HR answers a nomination request: the reason labelled, the member told why.
    page.goto(live_server.url + pages["nomination-request"][0])
    expect(page.get_by_role("button", name="Accept and nominate Ingrid")).to_be_visible()
    page.get_by_label("Reason (the member reads it)").fill("The cycle is calibrating: next one.")
    page.get_by_role("button", name="Decline the request").click()
    expect(page.locator("#content-main")).to_contain_text("Declined")
    expect(page.get_by_role("button", name="Decline the request")).to_have_count(0)
    check_page(page, container=ADMIN)


def screenshot(page, directory: str, name: str):
    page.evaluate("window.scrollTo(0, 0)")  # the menu beside the page sticks to the top
    page.screenshot(path=os.path.join(directory, name), full_page=True)
