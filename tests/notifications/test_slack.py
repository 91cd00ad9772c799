"""The Slack channel against a local server that answers Slack's Web API (tests/fake_slack.py),
with slack-sdk pointed at it by SLACK_API_URL: what arrives, how often, what is retried, what is
final and shown to HR, what the text may hold, and the member's own switch on /me/."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import invitations
from core.outbox import FAILED
from notifications.models import Channel, ChannelOptOut, Delivery, Notification
from notifications.outbox import outbox
from notifications.services import notifications_create
from promotions import services as promotion_services
from tests import factories
from tests.fake_slack import FakeSlack, serve
from tests.notifications.conftest import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack(settings):
    fake = FakeSlack()
    server, thread = serve(fake)
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_API_URL = fake.url
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def on_slack(fake: FakeSlack, *users) -> None:
    for user in users:
        fake.users[user.email] = f"U{user.pk}"


def deliveries(channel: str):
    return Delivery.objects.filter(channel=channel).order_by("id")


def make_due(*rows) -> None:
    Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(next_attempt_at=timezone.now())


def test_a_notification_goes_to_each_channel_once_and_the_inbox_shows_it_once(slack, people):
    user = people["candidate"]
    on_slack(slack, user)
    (note,) = notifications_create(
        recipient_ids=[user.pk],
        kind="test",
        subject="Hello",
        body="First line.\n\nMore.",
        link="/me/",
    )
    assert sorted(d.channel for d in note.deliveries.all()) == [Channel.EMAIL, Channel.SLACK]
    assert outbox.deliver() == 2
    assert outbox.deliver() == 0  # nothing is sent twice
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert slack.messages_to(user.email) == [f"*Hello*\nFirst line.\n{_site()}/me/"]
    assert slack.tokens[0] == "Bearer xoxb-test-token"
    inbox = _api_inbox(user)
    assert [m["subject"] for m in inbox] == ["Hello"]


def _site() -> str:
    from core.site import site_url

    return site_url()


def _api_inbox(user) -> list[dict]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(user)}")
    response = client.get("/api/v1/notifications/")
    assert response.status_code == 200
    return response.json()["results"]


def test_without_a_bot_token_there_is_no_slack_delivery(settings, people):
    settings.SLACK_BOT_TOKEN = ""
    notifications_create(recipient_ids=[people["candidate"].pk], kind="test", subject="s", body="b")
    assert list(Delivery.objects.values_list("channel", flat=True)) == [Channel.EMAIL]


def test_ok_false_is_retried_with_backoff_and_then_arrives_once(slack, people, settings):
    user = people["candidate"]
    on_slack(slack, user)
    slack.script["chat.postMessage"] = [("error", "internal_error")]
    notifications_create(recipient_ids=[user.pk], kind="test", subject="s", body="b")
    before = timezone.now()
    outbox.deliver()
    (row,) = deliveries(Channel.SLACK)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "Slack: internal_error")
    backoff = settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS
    assert before + timedelta(seconds=backoff) <= row.next_attempt_at
    assert outbox.deliver() == 0  # not due yet
    make_due(row)
    assert outbox.deliver() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("delivered", 2, "")
    assert len(slack.messages_to(user.email)) == 1


def test_a_429_is_retried_when_retry_after_says(slack, people):
    user = people["candidate"]
    on_slack(slack, user)
    slack.script["chat.postMessage"] = [("ratelimited", 42)]
    notifications_create(recipient_ids=[user.pk], kind="test", subject="s", body="b")
    before = timezone.now()
    outbox.deliver()
    (row,) = deliveries(Channel.SLACK)
    assert row.status == "pending" and "rate limited" in row.last_error
    wait = (row.next_attempt_at - before).total_seconds()
    assert 42 <= wait < 45
    make_due(row)
    assert outbox.deliver() == 1
    assert len(slack.messages_to(user.email)) == 1


def test_a_server_error_is_retried(slack, people):
    user = people["candidate"]
    on_slack(slack, user)
    slack.script["users.lookupByEmail"] = [("http", 503)]
    notifications_create(recipient_ids=[user.pk], kind="test", subject="s", body="b")
    outbox.deliver()
    (row,) = deliveries(Channel.SLACK)
    assert row.status == "pending" and row.attempts == 1
    make_due(row)
    assert outbox.deliver() == 1


def test_user_not_found_is_final_and_shown_to_hr(slack, people):
    user = people["candidate"]  # no Slack account under their address
    slack.script["users.lookupByEmail"] = [("error", "user_not_found")]
    notifications_create(recipient_ids=[user.pk], kind="test", subject="s", body="b")
    outbox.deliver()
    (row,) = deliveries(Channel.SLACK)
    assert (row.status, row.attempts, row.next_attempt_at) == (FAILED, 1, None)
    assert row.last_error == "Slack: user_not_found"
    make_due(row)  # even if something made it due, a failed row is not claimed
    assert outbox.deliver() == 0
    assert Delivery.objects.get(channel=Channel.EMAIL).status == "delivered"
    hr = Client()
    hr.force_login(people["hr"])
    page = hr.get("/admin/notifications/delivery/?status__exact=failed")
    assert page.status_code == 200
    assert "user_not_found" in page.content.decode()


def test_the_candidates_slack_text_holds_no_more_than_their_email(slack, people, in_review):
    """Every Slack message of a change with a committee note: each of its lines is in the same
    recipient's e-mail, and the note reaches only the nominator's e-mail."""
    on_slack(slack, people["candidate"], people["manager"])
    promotion = in_review()
    Delivery.objects.all().delete()
    mail.outbox.clear()
    note = "Add the pricing launch numbers to the evidence."
    promotion_services.promotion_request_changes(
        promotion=promotion, actor=people["committee"], note=note
    )
    while outbox.deliver():
        pass
    emails = {m.to[0]: f"{m.subject}\n{m.body}" for m in mail.outbox}
    assert slack.posted, "nothing went to Slack"
    for user in (people["candidate"], people["manager"]):
        for text in slack.messages_to(user.email):
            assert note not in text
            for line in text.splitlines():
                assert line.strip("*") in emails[user.email], (user.email, line)
    assert note not in emails[people["candidate"].email]


def test_a_message_that_carries_a_secret_goes_by_email_only(slack, people):
    hr = people["hr"]
    member = people["candidate_member"]
    on_slack(slack, member.user)
    invitations.invitations_issue(users=[member.user], invited_by=hr)  # its link signs one in
    assert Notification.objects.filter(recipient=member.user).exists()
    assert not deliveries(Channel.SLACK).exists()


def test_a_member_turns_slack_off_and_on_at_me(slack, people):
    user = people["candidate"]
    on_slack(slack, user)
    browser = Client()
    browser.force_login(user)
    page = browser.get("/me/").content.decode()
    assert "Slack: <strong>on</strong>" in page and "Turn Slack messages off" in page

    response = browser.post("/me/slack/", {"slack": "off"})
    assert response.status_code == 302
    assert ChannelOptOut.objects.filter(user=user, channel=Channel.SLACK).exists()
    page = browser.get("/me/").content.decode()
    assert "Slack: <strong>off</strong>" in page and "Slack messages are off" in page
    notifications_create(recipient_ids=[user.pk], kind="test", subject="s", body="b")
    assert list(Delivery.objects.values_list("channel", flat=True)) == [Channel.EMAIL]

    assert browser.post("/me/slack/", {"slack": "on"}).status_code == 302
    notifications_create(recipient_ids=[user.pk], kind="test", subject="t", body="b")
    assert deliveries(Channel.SLACK).count() == 1


@pytest.mark.parametrize("value", ["", "maybe", "OFF"])
def test_me_slack_refuses_anything_but_on_or_off(slack, people, value):
    browser = Client()
    browser.force_login(people["candidate"])
    response = browser.post("/me/slack/", {"slack": value}, follow=True)
    assert response.status_code == 200
    assert "Choose whether to receive Slack messages" in response.content.decode()
    assert not ChannelOptOut.objects.exists()


def test_without_slack_me_shows_no_switch_and_posting_is_404(settings, people):
    settings.SLACK_BOT_TOKEN = ""
    browser = Client()
    browser.force_login(people["candidate"])
    assert "Turn Slack" not in browser.get("/me/").content.decode()
    assert browser.post("/me/slack/", {"slack": "off"}).status_code == 404


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_nomination_reaches_each_reviewer_by_email_and_slack_once_through_a_worker(
    slack, redis_broker, worker
):
    """Over HTTP, with a real worker on Redis: each reviewer gets one e-mail and one Slack
    message, and sees the message once in their inbox."""
    manager = factories.MemberFactory(level__code="group-pm")
    candidate = factories.MemberFactory(level__code="pm", manager=manager)
    reviewers = [factories.committee_member() for _ in range(2)]
    on_slack(slack, *reviewers)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(manager.user)}")
    response = client.post(
        "/api/v1/promotions/",
        {
            "candidate": candidate.id,
            "to_level": "senior-pm",
            "justification": "Ready.",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert wait_for(lambda: len(slack.posted) >= 2 and len(mail.outbox) >= 2)
    assert wait_for(lambda: not Delivery.objects.filter(status="pending").exists())
    for reviewer in reviewers:
        assert [m.to for m in mail.outbox].count([reviewer.email]) == 1
        assert len(slack.messages_to(reviewer.email)) == 1
        assert re.search(r"https?://\S+/admin/", slack.messages_to(reviewer.email)[0])
        inbox = _api_inbox(reviewer)
        assert len(inbox) == 1
