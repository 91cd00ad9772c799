"""Password reset by e-mail on the member site (Django's own views at /password/reset/, the
portal's templates): the same answer for a known and an unknown address, a mail only for an
active user, the link works once; the admin's "Forgotten your password?" leads there. And
accounts' forms for those views: the e-mail through the outbox (its link made when it goes out,
never stored), every request and reset in the audit trail."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client, TestCase

from core.outbox import FAILED
from ladder import services
from ladder.models import MemberChange
from notifications.models import Notification
from tests import factories
from tests.concurrency import at_once
from tests.notifications.deliveries import email_of

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "a-Brand-new-phrase-7"
RESET_LINK = re.compile(r"https?://[^/\s]+(/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def priya(db):
    return factories.MemberFactory(user__username="priya", user__email="priya@example.com")


def ask_for_a_link(client, email, *, deliver: bool = True):
    """The reset form posted; with `deliver`, what waits for the commit (the e-mail) goes out."""
    if not deliver:
        return client.post("/password/reset/", {"email": email})
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/password/reset/", {"email": email})


def reset_with(client, link):
    opened = client.get(link)
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")
    page = client.get(opened["Location"])
    assert page.status_code == 200 and "Choose a new password" in page.content.decode()
    return client.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )


def test_the_reset_flow_end_to_end(priya):
    client = Client()
    page = client.get("/password/reset/")
    assert page.status_code == 200 and "Reset your password" in page.content.decode()
    sent = ask_for_a_link(client, "PRIYA@example.com")
    assert sent.status_code == 302 and sent["Location"] == "/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == ["priya@example.com"]
    assert message.subject == "Reset your PM Ladder password"
    [link] = RESET_LINK.findall(message.body)

    done = reset_with(client, link)
    assert done.status_code == 302 and done["Location"] == "/password/reset/done/"
    assert "Your password is changed" in client.get(done["Location"]).content.decode()
    priya.user.refresh_from_db()
    assert priya.user.check_password(NEW_PASSWORD)
    again = Client().get(link, follow=True)
    assert "This reset link no longer works" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(priya):
    known = ask_for_a_link(Client(), "priya@example.com")
    mail.outbox.clear()
    unknown = ask_for_a_link(Client(), "nobody@example.com")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert mail.outbox == []
    page = Client().get(unknown["Location"]).content.decode()
    assert "If that address belongs to an active account" in page
    assert "nobody@example.com" not in page and "priya" not in page


@pytest.mark.parametrize("who", ["inactive", "never had a password"])
def test_only_an_active_user_with_a_password_gets_a_mail(priya, who):
    if who == "inactive":
        services.member_update(
            actor=factories.hr_user(), member=priya, changes={"is_active": False}
        )
    else:
        priya.user.set_unusable_password()  # an imported member: the invitation is their way in
        priya.user.save()
    response = ask_for_a_link(Client(), "priya@example.com")
    assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    assert mail.outbox == []


def test_a_malformed_address_is_refused_with_the_reason():
    response = ask_for_a_link(Client(), "not an address")
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


def test_the_admins_forgotten_password_link_leads_to_the_member_sites_reset(db):
    login = Client().get("/admin/login/").content.decode()
    assert 'href="/admin/password_reset/"' in login and "Forgotten your" in login
    response = Client().get("/admin/password_reset/")
    assert response.status_code == 302 and response["Location"] == "/password/reset/"


def test_the_password_change_page_is_in_the_sites_style(priya):
    client = Client()
    client.force_login(priya.user)
    page = client.get("/password/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Change your password" in html and 'class="card narrow"' in html
    changed = client.post(
        "/password/change/",
        {
            "old_password": factories.PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert "Your password is changed" in client.get(changed["Location"]).content.decode()


# --- accounts' forms on the member site's reset views (portal/urls.py) ---------------------------


def test_the_request_only_queues_and_the_mail_goes_through_the_outbox(
    priya, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=False) as request_done:
        sent = ask_for_a_link(client, "priya@example.com", deliver=False)
    assert sent.status_code == 302 and sent["Location"] == "/password/reset/sent/"
    # The request wrote nothing and sent nothing: the same for a known and an unknown address.
    assert mail.outbox == [] and len(request_done) == 1
    assert not Notification.objects.exists() and not MemberChange.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as worker_done:
        request_done[0]()  # the worker: finds the address's owner, queues the e-mail, audits
    row = Notification.objects.get(recipient=priya.user, kind="password_reset")
    assert "/password/reset/" not in row.body  # the inbox keeps no link
    request = MemberChange.objects.get(user=priya.user)
    assert request.actor is None and request.route == "site"
    assert request.changes == {"password_reset": {"from": None, "to": "link e-mailed"}}
    assert mail.outbox == []

    for callback in worker_done:
        callback()  # the e-mail goes out
    [message] = mail.outbox
    [link] = RESET_LINK.findall(message.body)
    assert message.body.count("http://ladder.test/password/reset/") == 1  # SITE_URL's host
    done = reset_with(client, link)
    assert done.status_code == 302
    priya.user.refresh_from_db()
    assert priya.user.check_password(NEW_PASSWORD)
    reset = MemberChange.objects.filter(user=priya.user).order_by("-id").first()
    assert reset.actor == priya.user and reset.route == "site"
    assert reset.changes == {"password": {"from": None, "to": "reset by e-mail link"}}


def test_an_unknown_address_writes_nothing(priya):
    response = ask_for_a_link(Client(), "nobody@example.com")
    assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    assert not Notification.objects.exists() and not MemberChange.objects.exists()
    assert mail.outbox == []


def test_a_reset_mail_waiting_for_a_deactivated_person_is_not_sent(
    priya, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as request_done:
        ask_for_a_link(Client(), "priya@example.com", deliver=False)
    with django_capture_on_commit_callbacks(execute=False) as worker_done:
        request_done[0]()
    services.member_update(actor=factories.hr_user(), member=priya, changes={"is_active": False})
    for callback in worker_done:
        callback()
    assert mail.outbox == []
    delivery = email_of(Notification.objects.get(kind="password_reset"))
    assert delivery.status == FAILED and "may no longer read" in delivery.last_error


def test_nobody_floods_a_mailbox_with_reset_links(priya):
    from accounts.passwords import RESET_MAILS_PER_HOUR

    answers = {ask_for_a_link(Client(), "priya@example.com")["Location"] for _ in range(5)}
    assert answers == {"/password/reset/sent/"}  # the same answer every time
    assert len(mail.outbox) == RESET_MAILS_PER_HOUR == 3
    assert Notification.objects.filter(kind="password_reset").count() == 3
    requests = MemberChange.objects.filter(user=priya.user, changes__has_key="password_reset")
    assert requests.count() == 3


def test_one_client_asks_a_limited_number_of_times_an_hour(
    priya, django_capture_on_commit_callbacks, settings
):
    settings.PASSWORD_RESET_REQUESTS_PER_HOUR = 4
    cache.clear()
    queued = []
    for _ in range(4 + 3):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = ask_for_a_link(Client(), "nobody@example.com", deliver=False)
        assert response["Location"] == "/password/reset/sent/"
        queued += callbacks
    assert len(queued) == 4
    cache.clear()


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_requests_do_not_pass_the_hourly_cap_together():
    from accounts.passwords import RESET_MAILS_PER_HOUR
    from ladder.password_resets import password_reset_request

    factories.MemberFactory(user__username="zoe", user__email="zoe@example.com")
    queued = at_once(*[lambda: password_reset_request(email="zoe@example.com", route="site")] * 10)
    assert sum(queued) == RESET_MAILS_PER_HOUR
    assert Notification.objects.filter(kind="password_reset").count() == RESET_MAILS_PER_HOUR
