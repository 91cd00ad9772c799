"""The member site as anyone meets it: Debian's Chromium through Playwright against a live
server, at tests/accessibility.py's WIDTHS (1024 and 1280 px; 1440 and 1920 too in `make
test-deep`). Every page, as a manager and as a PM: nothing scrolls sideways, nothing is cut or
pushed out of the page's column, no word is broken in two, and axe-core finds no critical or
serious violation (tests/accessibility.py). A manager nominates a report from /team/ by keyboard
alone. With SCREENSHOT_DIR set (`make screenshots`), each page is saved at 1024 and 1280 px."""

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ladder.models import Level
from ladder.selectors import level_criteria
from promotions import services
from promotions.delegations import services as delegations
from promotions.models import Delegation, Promotion
from tests import factories
from tests.accessibility import WIDTHS, check_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT_WIDTHS = (1024, 1280)


def person(username: str, level: str, manager, first: str, last: str):
    return factories.MemberFactory(
        user__username=username,
        user__first_name=first,
        user__last_name=last,
        user__email=f"{username}@example.com",
        level=Level.objects.get(code=level),
        manager=manager,
    )


def member_world() -> dict:
    """Maya manages three: Aleksandra (sent back to Maya with a note), Bartholomew (approved, for
    a later date) and Chidi (eligible, no promotion)."""
    maya = person("maya", "group-pm", None, "Maya", "Lindqvist-Abernathy")
    aleksandra = person("aleksandra", "pm", maya, "Aleksandra", "Kowalski")
    bartholomew = person("bartholomew", "associate-pm", maya, "Bartholomew", "Featherstonehaugh")
    chidi = person("chidi", "senior-pm", maya, "Chidi", "Anagonye")
    committee = factories.committee_member(
        username="chen", first_name="Chen", last_name="Okafor", level="vp-product"
    )
    # Chen is away this week: Dana holds Chen's seat; later Chen holds Eli's.
    dana = factories.committee_member(username="dana", first_name="Dana", last_name="Reyes")
    eli = factories.committee_member(username="eli", first_name="Eli", last_name="Moreau")
    today = timezone.localdate()
    for delegator, delegate, start, end in ((committee, dana, 0, 6), (eli, committee, 8, 12)):
        delegations.delegation_create(
            actor=delegator,
            delegator=delegator,
            delegate=delegate,
            starts_on=today + timedelta(days=start),
            ends_on=today + timedelta(days=end),
        )
    sent_back = factories.promotion(candidate=aleksandra, to="senior-pm", state="in_review")
    services.promotion_request_changes(
        promotion=sent_back,
        actor=committee,
        note="Say more about how Aleksandra mentors the two associate PMs on the checkout team.",
    )
    approved = factories.promotion(candidate=bartholomew, to="pm", state="approved")
    return {
        "maya": maya,
        "aleksandra": aleksandra,
        "bartholomew": bartholomew,
        "chidi": chidi,
        "sent_back": sent_back,
        "approved": approved,
    }


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def pages_of(world) -> dict[str, list[tuple[str, str]]]:
    """Each signed-in person and the pages they use: (name for the screenshot, path)."""
    chidi_form = reverse("portal:nominate", args=[world["chidi"].pk, "lead-pm"])
    return {
        "bartholomew": [
            ("home-pm", "/"),
            ("me", "/me/"),
            ("my-promotion", reverse("portal:my-promotion", args=[world["approved"].pk])),
            ("inbox-pm", "/inbox/"),
        ],
        "maya": [
            ("home-manager", "/"),
            ("team", "/team/"),
            ("nominate", chidi_form),
            ("nomination-sent-back", reverse("portal:nomination", args=[world["sent_back"].pk])),
            ("withdraw", reverse("portal:withdraw", args=[world["sent_back"].pk])),
            ("me-manager", "/me/"),
            ("inbox", "/inbox/"),
            ("password-change", "/password/change/"),
        ],
        # Eligible for lead-pm: the link to ask beside it, and the form to ask with.
        "chidi": [
            ("me-eligible", "/me/"),
            ("request", reverse("portal:request", args=["lead-pm"])),
        ],
        # A committee member: their seat while away, handed to Dana, and Eli's they will hold.
        "chen": [("me-committee", "/me/")],
        "": [("login", "/login/"), ("password-reset", "/password/reset/")],
    }


def test_every_member_page_fits_and_passes_axe_at_every_width(chromium, live_server):
    world = member_world()
    screenshots = os.environ.get("SCREENSHOT_DIR")
    for username, pages in pages_of(world).items():
        context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900})
        page = context.new_page()
        if username:
            sign_in(page, live_server.url, username)
        for name, path in pages:
            page.goto(f"{live_server.url}{path}")
            assert page.locator("h1").count() == 1, path
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                check_page(page, container="main")
                if screenshots and width in SCREENSHOT_WIDTHS:
                    page.screenshot(
                        path=os.path.join(screenshots, f"member-{name}-{width}.png"),
                        full_page=True,
                    )
        context.close()
    _a_request_asked_declined_asked_again_and_accepted(chromium, live_server.url, world)
    _a_delegate_refused_then_revoked(chromium, live_server.url)


def _a_delegate_refused_then_revoked(chromium, base_url: str) -> None:
    """Chen names Eli for days already past: refused in words, the form keeping what was
    chosen, fitting and passing axe at every width; then revokes Dana's delegation."""
    page = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900}).new_page()
    sign_in(page, base_url, "chen")
    page.goto(f"{base_url}/me/")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    page.get_by_label("Delegate").select_option("eli")
    page.get_by_label("From").fill(yesterday)
    page.get_by_label("Until").fill(yesterday)
    page.get_by_role("button", name="Name my delegate").click()
    assert page.get_by_text("A delegation starts today or later").is_visible()
    assert page.get_by_label("Delegate").input_value() == "eli"
    assert page.get_by_label("From").input_value() == yesterday
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        check_page(page, container="main")
    if os.environ.get("SCREENSHOT_DIR"):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(
            path=os.path.join(os.environ["SCREENSHOT_DIR"], "member-delegate-refused-1280.png"),
            full_page=True,
        )
    revoke = page.get_by_role("button", name="Revoke the delegation to Dana Reyes")
    assert revoke.is_visible()
    revoke.click()
    assert page.get_by_text("The delegation is revoked").is_visible()
    assert not Delegation.objects.filter(delegator__username="chen").exists()
    page.context.close()


def _a_request_asked_declined_asked_again_and_accepted(chromium, base_url: str, world) -> None:
    """Chidi asks Maya from /me/; Maya answers on /team/ (a decline without a reason is refused,
    in words), declines; Chidi reads why on /me/, asks again, and Maya's accept opens the new
    nomination. Each page fits and passes axe at every width."""
    chidi = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900}).new_page()
    maya = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900}).new_page()
    sign_in(chidi, base_url, "chidi")
    sign_in(maya, base_url, "maya")

    def ask() -> None:
        chidi.goto(f"{base_url}/me/")
        chidi.get_by_role("link", name="Ask my manager to nominate me for Lead").click()
        chidi.get_by_label("Why I am ready").fill("I lead the payments roadmap.")
        for box in chidi.get_by_label("Evidence").all():
            box.fill("Shipped instant payouts with the squad.")
        chidi.get_by_role("button", name="Send the request to my manager").click()
        chidi.wait_for_url(f"{base_url}/me/#requests")

    ask()
    assert chidi.get_by_text("Waiting for the manager").is_visible()
    maya.goto(f"{base_url}/team/")
    request = maya.locator("#requests")
    assert request.get_by_text("Chidi Anagonye asks to be nominated for Lead").is_visible()
    for width in WIDTHS:
        maya.set_viewport_size({"width": width, "height": 900})
        check_page(maya, container="main")
    maya.get_by_role("button", name="Decline the request of Chidi Anagonye").click()
    assert maya.get_by_text("Say why you decline: the member reads it.").is_visible()
    check_page(maya, container="main")
    reason = "Lead the pricing launch first; we talk again in March."
    maya.get_by_label("Why you decline Chidi Anagonye's request").fill(reason)
    maya.get_by_role("button", name="Decline the request of Chidi Anagonye").click()
    maya.wait_for_url(f"{base_url}/team/")

    chidi.goto(f"{base_url}/me/")
    assert chidi.locator("#requests").get_by_text(reason).is_visible()
    check_page(chidi, container="main")
    ask()
    maya.goto(f"{base_url}/team/")
    maya.get_by_role("button", name="Accept and nominate Chidi Anagonye").click()
    promotion = Promotion.objects.get(candidate=world["chidi"])
    maya.wait_for_url(f"{base_url}/nominations/{promotion.pk}/")
    assert maya.get_by_text("I lead the payments roadmap.").first.is_visible()


def test_a_refused_nomination_fits_too(chromium, live_server):
    """The nomination form with every kind of error shown: still within the column, still
    labelled (axe), and still holding what was typed."""
    world = member_world()
    context = chromium.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, "maya")
    page.goto(live_server.url + reverse("portal:nominate", args=[world["chidi"].pk, "lead-pm"]))
    page.get_by_label("Why this person is ready").fill("Leads the payments roadmap.")
    first = page.get_by_label("Evidence").first
    first.fill("Wrote the pricing strategy " * 10)
    page.get_by_label("Links").first.fill("ftp://files.example.com/strategy")
    page.get_by_role("button", name="Nominate").click()
    assert page.get_by_text("Nothing was sent yet.").is_visible()
    assert page.get_by_text("Write the evidence for this criterion.").first.is_visible()
    assert page.get_by_label("Why this person is ready").input_value() == (
        "Leads the payments roadmap."
    )
    assert page.get_by_label("Links").first.input_value() == "ftp://files.example.com/strategy"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        check_page(page, container="main")
    if os.environ.get("SCREENSHOT_DIR"):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(
            path=os.path.join(os.environ["SCREENSHOT_DIR"], "member-nominate-refused-1280.png"),
            full_page=True,
        )
    assert not Promotion.objects.filter(candidate=world["chidi"]).exists()
    context.close()


def test_a_manager_nominates_a_report_by_keyboard_alone(chromium, live_server):
    world = member_world()
    chidi = world["chidi"]
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, "maya")
    page.goto(f"{live_server.url}/team/")
    target = f"Nominate {chidi.name} for Lead Product Manager (Staff PM)"

    def tab_to(name: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "(document.activeElement.labels && document.activeElement.labels[0]"
                " ? document.activeElement.labels[0].innerText"
                " : document.activeElement.innerText || '').trim()"
            )
            if focused == name:
                return
        raise AssertionError(f"Tab never reached {name!r}")

    tab_to(target)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/team/{chidi.pk}/nominate/lead-pm/")
    tab_to("Why this person is ready")
    page.keyboard.type("Leads the payments roadmap across three teams.")
    for criterion in level_criteria(level=Level.objects.get(code="lead-pm")):
        tab_to("Evidence")
        page.keyboard.type(f"Evidence for {criterion.title}.")
        tab_to("Links")  # optional: left empty
    tab_to("Nominate")
    page.keyboard.press("Enter")
    page.wait_for_url("**/nominations/*/")
    promotion = Promotion.objects.get(candidate=chidi)
    assert promotion.nominated_by == world["maya"].user
    assert promotion.packet_versions.get().evidence[0]["text"].startswith("Evidence for")
    context.close()
