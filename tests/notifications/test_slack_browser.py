"""The Slack switch on /me/ as a member meets it, in Chromium at every width: visible, labelled,
clickable by keyboard, and axe-core finds nothing critical or serious (tests/accessibility.py).
With SCREENSHOT_DIR set (`make screenshots`), the page is saved at 1024 and 1280 px."""

import os

import pytest

from notifications.models import Channel, ChannelOptOut
from tests.accessibility import WIDTHS, check_page
from tests.portal.test_pages_browser import SCREENSHOT_WIDTHS, person, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_member_turns_slack_off_from_me_by_keyboard(chromium, live_server, settings):
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    manager = person("maya", "group-pm", None, "Maya", "Lindqvist-Abernathy")
    member = person("bartholomew", "associate-pm", manager, "Bartholomew", "Featherstonehaugh")
    context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, "bartholomew")
    page.goto(f"{live_server.url}/me/")
    screenshots = os.environ.get("SCREENSHOT_DIR")
    section = page.get_by_role("region", name="Notifications")
    assert section.is_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        check_page(page, container="main")
        if screenshots and width in SCREENSHOT_WIDTHS:
            page.screenshot(path=os.path.join(screenshots, f"member-me-slack-{width}.png"))
    button = section.get_by_role("button", name="Turn Slack messages off")
    assert button.is_visible() and button.is_enabled()
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/me/#notifications")
    assert page.get_by_text("Slack messages are off; e-mail stays on.").is_visible()
    assert section.get_by_role("button", name="Turn Slack messages on").is_visible()
    check_page(page, container="main")
    assert ChannelOptOut.objects.filter(user=member.user, channel=Channel.SLACK).exists()
    context.close()
