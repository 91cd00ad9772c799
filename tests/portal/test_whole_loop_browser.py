"""The whole loop through pages only, as the people who run it would: HR imports a member with
`import_members --invite`; the invitee opens the e-mail's link, chooses a password and is signed
in; their manager nominates them from /team/; the committee sends it back on its desk; the
manager revises the packet and resubmits; the committee votes and approves; the PM reads
"Approved" with its effective date on /me/promotions/<id>/."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from ladder.models import Level, Member
from ladder.selectors import level_criteria
from promotions.models import Promotion
from tests import factories
from tests.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_PASSWORD = "a-long-passphrase-of-noor-2026"


def sign_in(page, base_url: str, username: str, password: str = factories.PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_from_import_to_approval_through_pages_only(chromium, live_server, tmp_path, settings):
    from playwright.sync_api import expect

    factories.hr_user(username="hana", first_name="Hana", last_name="Reyes")
    factories.committee_member(username="chen", first_name="Chen", last_name="Okafor")
    factories.MemberFactory(
        user__username="maya",
        user__first_name="Maya",
        user__last_name="Lindqvist",
        level=Level.objects.get(code="group-pm"),
    )
    since = (timezone.localdate() - timedelta(days=800)).isoformat()
    members = tmp_path / "members.csv"
    members.write_text(
        "username,email,first_name,last_name,level,manager,level_since,is_active\n"
        f"noor,noor@example.com,Noor,Haddad,pm,maya,{since},true\n"
    )
    mail.outbox.clear()
    call_command("import_members", str(members), "--actor", "hana", "--invite")
    noor = Member.objects.get(user__username="noor")
    (invitation,) = [message for message in mail.outbox if "noor@example.com" in message.to]
    link = re.search(r"https?://\S+/invite/\S+/", invitation.body).group(0)
    link = live_server.url + link[link.index("/invite/") :]

    browser = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = browser.new_page()
    # The invitee chooses a password from the e-mail's link and is signed in.
    page.goto(link)
    passwords = page.locator("input[type=password]")
    passwords.nth(0).fill(NEW_PASSWORD)
    passwords.nth(1).fill(NEW_PASSWORD)
    page.get_by_role("button").filter(has_text=re.compile("password", re.I)).first.click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("header")).to_contain_text("Noor Haddad")
    sign_out(page)

    # Her manager nominates her from /team/.
    sign_in(page, live_server.url, "maya")
    page.get_by_role("link", name="My team", exact=True).click()
    page.get_by_role("link", name="Nominate Noor Haddad for Senior Product Manager").click()
    page.get_by_label("Why this person is ready").fill("Owns onboarding end to end.")
    criteria = level_criteria(level=Level.objects.get(code="senior-pm"))
    for index, criterion in enumerate(criteria):
        page.get_by_label("Evidence").nth(index).fill(f"First draft: {criterion.title}.")
    page.get_by_role("button", name="Nominate").click()
    page.wait_for_url("**/nominations/*/")
    promotion = Promotion.objects.get(candidate=noor)
    sign_out(page)

    # The committee sends it back from its desk.
    desk = f"/admin/promotions/promotion/{promotion.pk}/change/"
    log_in(page, live_server.url, "chen", desk)
    with page.expect_navigation():  # a form posted, a page back
        page.locator("#transitions button[value=start-review]").click()
    expect(page.locator(".field-state")).to_contain_text("In review")
    page.locator("#transitions textarea[name=note]").fill("Say how Noor mentors the two APMs.")
    with page.expect_navigation():  # a form posted, a page back
        page.locator("#transitions button[value=request-changes]").click()
    expect(page.locator(".field-state")).to_contain_text("Changes requested")
    page.context.clear_cookies()

    # The manager reads the note, revises the packet (version 2) and resubmits.
    sign_in(page, live_server.url, "maya")
    page.goto(f"{live_server.url}/nominations/{promotion.pk}/")
    expect(page.locator(".note")).to_contain_text("Say how Noor mentors the two APMs.")
    mentoring = page.get_by_label("Evidence").nth(1)
    expect(mentoring).to_have_value(re.compile("First draft"))  # the current version
    mentoring.fill("Mentors two APMs weekly; both shipped their first features.")
    with page.expect_navigation():  # a form posted, a page back
        page.get_by_role("button", name="Save version 2").click()
    expect(page.locator(".messages")).to_contain_text("Version 2 is saved.")
    with page.expect_navigation():  # a form posted, a page back
        page.get_by_role("button", name="Resubmit version 2 to the committee").click()
    expect(page.locator(".messages")).to_contain_text("Resubmitted")
    sign_out(page)

    # The committee votes on version 2 and approves.
    log_in(page, live_server.url, "chen", desk)
    review = page.locator("#your-review")
    expect(review).to_be_visible()  # the desk, not the sign-in page it came through
    for meets in review.locator("input[type=radio][name^=rating_][value=meets]").all():
        meets.check()
    review.locator("input[name=decision][value=approve]").check()
    review.locator("textarea[name=comment]").fill("Mentoring is clear now.")
    with page.expect_navigation():  # a form posted, a page back
        review.locator("input[name=record-review]").click()
    expect(page.locator(".messagelist")).to_contain_text("Your review is recorded.")
    with page.expect_navigation():  # a form posted, a page back
        page.locator("#transitions button[value=approve]").click()
    expect(page.locator(".field-state")).to_contain_text("Approved")
    page.context.clear_cookies()

    # Noor reads it, with its effective date.
    sign_in(page, live_server.url, "noor", NEW_PASSWORD)
    page.get_by_role("link", name="Follow your promotion").click()
    expect(page.locator("main")).to_contain_text("Approved")
    effective = Promotion.objects.get(pk=promotion.pk).effective_on
    expect(page.locator("main")).to_contain_text(f"{effective.day} {effective:%B %Y}")
    assert page.url.endswith(f"/me/promotions/{promotion.pk}/")
    browser.close()
