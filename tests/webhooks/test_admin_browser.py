"""HR's webhooks in a real browser: headless Chromium (Debian's) driven by Playwright against a
live server, at 1280 px. HR adds an endpoint in the form, keeps the secret from the page that shows
it once, goes on to the endpoint, opens its delivery log and sends a failed delivery again; a
receiver on 127.0.0.1 gets it under the same webhook-id. What a person must use is checked as a
person meets it: a box of real size inside the viewport, not covered by anything, clicked without
`force`; no page scrolls sideways. With SCREENSHOT_DIR set (`make screenshots`), the pages are
saved as webhook-add.png, webhook-secret.png and webhook-deliveries.png."""

import os
import re

import pytest

from tests import factories
from tests.browser import OVERFLOWING, log_in
from webhooks import services
from webhooks.events import Event
from webhooks.models import Delivery, DeliveryStatus, Endpoint

WIDTH, HEIGHT = 1280, 800

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The element a person would hit at the centre of the control's box: the control itself (or a
# part of it), not a header, a sidebar or a message drawn over it.
HIT = """element => {
    const box = element.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return hit !== null && (hit === element || element.contains(hit));
}"""


def assert_usable(locator, what: str):
    """Scrolled into view, the control has a real box inside the viewport and is the thing under
    the pointer at its centre."""
    locator.evaluate("element => element.scrollIntoView({block: 'center', inline: 'nearest'})")
    box = locator.bounding_box()
    assert box is not None, what
    assert box["width"] >= 12 and box["height"] >= 12, (what, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (what, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, (what, box)
    assert locator.is_visible() and locator.is_enabled(), what
    assert locator.evaluate(HIT), f"{what} is covered"


def assert_no_sideways_scroll(page):
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), page.url


def assert_list_fits(page):
    """A changelist seen whole at 1280 px: no column scrolled away inside the list's own box, the
    list clear of the filters beside it, nothing beyond the main column."""
    assert_no_sideways_scroll(page)
    results = page.locator("#changelist .results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth"), results.evaluate(
        "box => [box.scrollWidth, box.clientWidth]"
    )
    table = page.locator("#result_list").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= WIDTH, table
    filters = page.locator("#changelist-filter")
    if filters.count():
        assert table["x"] + table["width"] <= filters.bounding_box()["x"], "under the filters"
    assert page.locator("#content-main").evaluate(OVERFLOWING) == []


def screenshot(page, name: str):
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=os.path.join(directory, name), full_page=True)


def test_hr_adds_a_webhook_keeps_its_secret_and_sends_a_delivery_again(
    live_server, chromium, private_urls, receiver
):
    from playwright.sync_api import expect

    factories.hr_user(username="harriet", first_name="Harriet", last_name="Osei")
    page = chromium.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    log_in(page, live_server.url, "harriet", "/admin/webhooks/endpoint/add/")

    # --- The form -----------------------------------------------------------------------------
    url_input = page.locator("#id_url")
    expect(url_input).to_be_visible()
    checkboxes = page.locator("input[type=checkbox][name=events]")
    expect(checkboxes).to_have_count(len(Event))
    save = page.locator("input[type=submit][name=_save]")
    assert_usable(url_input, "the URL input")
    for i in range(len(Event)):
        assert_usable(checkboxes.nth(i), f"the event checkbox {i}")
    assert_usable(page.locator("#id_description"), "the description")
    assert_usable(page.locator("#id_is_active"), "the active checkbox")
    assert_usable(save, "the save button")
    assert_no_sideways_scroll(page)

    url_input.fill(receiver.url)
    page.locator("#id_description").fill("Payroll sync")
    for event in ("promotion.approved", "member.level_changed", "cycle.opened"):
        page.get_by_label(event, exact=True).check()
    expect(page.locator("#id_is_active")).to_be_checked()  # active unless HR says otherwise
    screenshot(page, "webhook-add.png")
    save.click()

    # --- The secret, once ---------------------------------------------------------------------
    expect(page.locator("#content h1")).to_contain_text("Keep this secret now")
    endpoint = Endpoint.objects.get()
    assert endpoint.url == receiver.url
    assert endpoint.events == ["cycle.opened", "member.level_changed", "promotion.approved"]
    secret = page.get_by_label("Signing secret")
    expect(secret).to_have_value(endpoint.secret)
    assert_usable(secret, "the secret field")
    # All of it is in view: the field is wide enough for the secret, nothing scrolled away.
    assert secret.evaluate("input => input.scrollWidth <= input.clientWidth"), "secret cut off"
    box = secret.bounding_box()
    assert box["x"] + box["width"] <= WIDTH
    assert_no_sideways_scroll(page)
    screenshot(page, "webhook-secret.png")
    # HR copies it as from any field: click into it, select all. Read-only: typing changes nothing.
    secret.click()
    page.keyboard.press("Control+a")
    selected = "input => input.value.substring(input.selectionStart, input.selectionEnd)"
    assert secret.evaluate(selected) == endpoint.secret
    page.keyboard.type("x")
    expect(secret).to_have_value(endpoint.secret)
    onwards = page.get_by_role("link", name=re.compile("go to the webhook"))
    assert_usable(onwards, "the link on to the webhook")
    onwards.click()

    # --- The endpoint: its secret gone for good ------------------------------------------------
    expect(page).to_have_url(re.compile(rf"/admin/webhooks/endpoint/{endpoint.pk}/change/$"))
    expect(page.locator("#id_url")).to_have_value(receiver.url)
    assert endpoint.secret not in page.content()
    assert_no_sideways_scroll(page)

    # Three events: the receiver fails the first (until its retries run out), takes the others.
    receiver.script = [500]
    [failing] = services.webhooks_emit(event=Event.PROMOTION_APPROVED, data={"promotion": 7})
    services.webhooks_emit(event=Event.MEMBER_LEVEL_CHANGED, data={"member": 3})
    services.webhooks_emit(event=Event.CYCLE_OPENED, data={"cycle": 2})
    services.webhooks_emit(event=Event.CYCLE_CLOSED, data={"cycle": 2})  # not subscribed
    Delivery.objects.filter(pk=failing.pk).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None
    )
    assert [r["headers"]["webhook-id"] for r in receiver.requests][0] == failing.webhook_id
    assert sorted(Delivery.objects.values_list("status", flat=True)) == [
        "delivered",
        "delivered",
        "failed",
    ]

    # --- Its delivery log ---------------------------------------------------------------------
    log_link = page.get_by_role("link", name="Delivery log")
    assert_usable(log_link, "the delivery log link")
    log_link.click()
    expect(page).to_have_url(re.compile(rf"endpoint__id__exact={endpoint.pk}"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    failed_row = rows.filter(has_text="promotion.approved")
    expect(failed_row.locator("td.field-state")).to_have_text("Failed")
    expect(failed_row.locator("td.field-http")).to_have_text("500")
    expect(page.locator("#content h1")).to_have_text("Delivery log: Payroll sync")
    assert_list_fits(page)

    tick = failed_row.locator("input.action-select")
    select = page.locator("select[name=action]").first
    go = page.locator("#changelist-form .actions button[type=submit]").first
    for control, what in ((tick, "the row's checkbox"), (select, "the action select")):
        assert_usable(control, what)
    tick.check()
    select.select_option("send_again")
    assert_usable(go, "the Go button")
    screenshot(page, "webhook-deliveries.png")
    go.click()

    # --- Sent again, under the same webhook-id ------------------------------------------------
    expect(page.locator(".messagelist")).to_contain_text("1 delivery queued to be sent again.")
    again = Delivery.objects.get(pk=failing.pk)
    assert again.webhook_id == failing.webhook_id
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert ids.count(failing.webhook_id) == 2, ids  # the failed attempt, and the one sent again
    assert again.status == DeliveryStatus.DELIVERED and again.attempts == 2
    again_row = rows.filter(has_text="promotion.approved")
    expect(again_row.locator("td.field-state")).to_contain_text("Delivered")
    expect(again_row.locator("td.field-tries")).to_have_text("2")
    assert_list_fits(page)

    # One delivery, read-only, with what the receiver answered, and no secret.
    again_row.locator("th a").first.click()
    expect(page.locator(".field-webhook_id")).to_contain_text(failing.webhook_id)
    body = page.locator(".field-payload pre")
    expect(body).to_contain_text('"type": "promotion.approved"')
    assert endpoint.secret not in page.content()
    assert page.locator("#content-main").evaluate(OVERFLOWING) == []
    assert_no_sideways_scroll(page)

    # --- With a second webhook, long of name and address: the lists still fit --------------------
    long_url = f"{receiver.url}/{'receiver-path' * 12}?token={'x' * 60}"
    services.endpoint_create(
        actor=Endpoint.objects.get().created_by,
        url=long_url,
        description="Data warehouse loader for the people-analytics team (nightly)",
        events=["cycle.closed"],
    )
    services.webhooks_emit(event=Event.CYCLE_CLOSED, data={"cycle": 2})
    page.goto(f"{live_server.url}/admin/webhooks/delivery/")
    expect(rows).to_have_count(4)
    expect(page.locator("#result_list th.column-webhook")).to_be_visible()  # every webhook's
    assert_list_fits(page)
    page.goto(f"{live_server.url}/admin/webhooks/endpoint/")
    expect(rows).to_have_count(2)
    assert_list_fits(page)
    for link in page.get_by_role("link", name="Delivery log").all():
        assert_usable(link, "a delivery log link")

    # Nothing came from anywhere but the server.
    assert requested and all(url.startswith(live_server.url) for url in requested), requested
