"""Who hears of what, idempotent delivery, the sweeper, reminders and the inbox."""

from datetime import timedelta
from functools import partial
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.outbox import DELIVERED, FAILED, PENDING
from ladder.models import Level
from notifications import services
from notifications.models import Delivery, Notification
from notifications.outbox import outbox
from promotions import notify
from promotions import services as promotion_services
from promotions.models import Promotion
from tests import factories
from tests.concurrency import at_once
from tests.notifications.deliveries import email_of, emails, send

pytestmark = pytest.mark.django_db


def kinds_for(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_rows_are_written_with_the_nomination_and_delivered_after_commit(
    people, nominate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        promotion = nominate()
    assert len(callbacks) == 1  # one publish, whatever the size of the committee
    committee = {people["committee"].email, people["committee2"].email}
    assert {m.to[0] for m in mail.outbox} == committee
    delivered = emails(Notification.objects.filter(promotion=promotion)).filter(status=DELIVERED)
    assert delivered.count() == 2
    assert kinds_for(people["candidate"]) == []  # nothing to the candidate yet


def test_decisions_reach_candidate_nominator_and_manager_without_notes(people, in_review):
    hr_nominated = factories.MemberFactory(
        level=Level.objects.get(code="pm"), manager=people["candidate_member"].manager
    )
    promotion = in_review(candidate=hr_nominated, by=people["hr"])
    factories.review(promotion, people["committee"], "approve")
    promotion_services.promotion_approve(
        promotion=promotion, actor=people["committee"], note="committee-only-note"
    )
    assert kinds_for(hr_nominated.user) == ["approved", "review_started"]
    assert kinds_for(people["hr"]) == ["approved", "review_started"]  # the nominator
    assert kinds_for(people["manager"]) == ["approved"]  # the manager gets the decision
    bodies = Notification.objects.filter(promotion=promotion).values_list("body", "html_body")
    assert all("committee-only-note" not in text + html for text, html in bodies)


def test_a_withdrawal_reaches_the_committee_too(people, nominate):
    promotion = nominate()
    promotion_services.promotion_withdraw(
        promotion=promotion, actor=people["manager"], note="Timing"
    )
    for member in ("committee", "committee2"):
        assert kinds_for(people[member]) == ["review_requested", "withdrawn"]
    committee_row = Notification.objects.get(recipient=people["committee"], kind="withdrawn")
    assert "Note: Timing" in committee_row.body
    candidate_row = Notification.objects.get(recipient=people["candidate"], kind="withdrawn")
    assert "Timing" not in candidate_row.body


def test_the_nomination_makes_the_same_queries_for_a_committee_of_1_and_of_50(
    as_user, django_capture_on_commit_callbacks
):
    def nominate_with_committee(size: int) -> int:
        committee = [factories.committee_member() for _ in range(size)]
        manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
        candidate = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
        client = as_user(manager.user)
        client.get("/api/v1/members/me/")  # warm up: token, session, content types
        evidence = factories.evidence_for("senior-pm")
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            CaptureQueriesContext(connection) as queries,
        ):
            response = client.post(
                "/api/v1/promotions/",
                {
                    "candidate": candidate.id,
                    "to_level": "senior-pm",
                    "justification": "x",
                    "evidence": evidence,
                },
                format="json",
            )
        assert response.status_code == 201
        assert len(callbacks) == 1
        assert Notification.objects.filter(recipient__in=committee).count() == size
        for user in committee:
            user.groups.clear()
        return len(queries)

    assert nominate_with_committee(1) == nominate_with_committee(50)


def test_delivery_is_idempotent(people, nominate):
    nominate()
    row = Notification.objects.filter(recipient=people["committee"]).get()
    assert send(row) == 1
    assert send(row) == 0
    assert len(mail.outbox) == 1
    assert (email_of(row).status, email_of(row).attempts) == (DELIVERED, 1)


def test_a_recipient_without_an_email_is_recorded_as_failed(people, nominate, settings):
    people["committee"].email = ""
    people["committee"].save()
    nominate()
    row = Notification.objects.get(recipient=people["committee"])
    assert send(row) == 0
    delivery = email_of(row)
    assert (delivery.status, delivery.delivered_at, delivery.attempts) == (FAILED, None, 1)
    assert "no e-mail" in delivery.last_error
    settings.NOTIFICATIONS_SWEEP_SECONDS = 0  # anything still due would be overdue now
    assert delivery.pk not in outbox.overdue()  # left for a person


def test_the_sweeper_publishes_old_undelivered_rows_and_each_is_sent_once(
    people, nominate, settings
):
    """The sweeper no longer claims (a worker does, with its hold): it publishes what has been due
    for a sweep period, and a delivery published twice (two sweeps before a worker took it) still
    goes out once."""
    settings.NOTIFICATIONS_SWEEP_SECONDS = 60
    nominate()
    assert outbox.overdue() == []  # too young
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=61))
    overdue = outbox.overdue()
    assert len(overdue) == 2
    with mock.patch("notifications.tasks.notifications_deliver.apply_async") as publish:
        assert outbox.sweep() == 2
        assert outbox.sweep() == 2  # nobody took them yet: published again
    assert [call.kwargs["args"][0] for call in publish.call_args_list] == [overdue, overdue]
    assert outbox.deliver([overdue[0]]) == 1
    assert outbox.overdue() == [overdue[1]]  # the sent one is done
    (held,) = outbox.claim([overdue[1]])  # a worker takes the other...
    assert outbox.overdue() == []  # ...just claimed
    assert outbox.send_claimed([held]) == 1
    assert outbox.deliver(overdue) == 0  # the second publication finds them delivered
    assert len(mail.outbox) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {DELIVERED}


def test_reminders_at_most_once_a_day(people, nominate, settings):
    settings.PROMOTIONS_REVIEW_SLA_DAYS = 7
    promotion = nominate()
    assert notify.notify_overdue() == 0  # not overdue yet
    Promotion.objects.filter(pk=promotion.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert notify.notify_overdue() == 1
    assert notify.notify_overdue() == 0  # already reminded today
    assert kinds_for(people["committee"]) == ["review_reminder", "review_requested"]
    tomorrow = timezone.now() + timedelta(days=1)
    assert notify.notify_overdue(now=tomorrow) == 1
    assert kinds_for(people["committee"]).count("review_reminder") == 2
    assert kinds_for(people["manager"]) == []  # the nominator is not reminded


# --- inbox ----------------------------------------------------------------------------------------


def test_the_inbox_shows_own_notifications_newest_first(as_user, people, nominate):
    promotion = nominate()
    promotion_services.promotion_withdraw(promotion=promotion, actor=people["manager"])
    client = as_user(people["committee"])
    body = client.get("/api/v1/notifications/").json()
    assert [n["kind"] for n in body["results"]] == ["withdrawn", "review_requested"]
    assert all(n["promotion"] == promotion.id for n in body["results"])
    assert set(body["results"][0]) == {
        "id",
        "kind",
        "promotion",
        "subject",
        "body",
        "link",
        "created_at",
        "read_at",
        "is_read",
    }
    # The committee's copy opens the desk in the admin: a path, the inbox's "Open".
    desk = f"/admin/promotions/promotion/{promotion.id}/change/"
    assert [n["link"] for n in body["results"]] == [desk, desk]


def test_reading_a_notification(as_user, people, nominate):
    nominate()
    client = as_user(people["committee"])
    row = Notification.objects.get(recipient=people["committee"])
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 1
    response = client.post(f"/api/v1/notifications/{row.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 0
    assert client.get("/api/v1/notifications/?unread=false").json()["count"] == 1
    assert client.post(f"/api/v1/notifications/{row.pk}/read/").status_code == 200  # idempotent


def test_another_users_notification_is_404(as_user, people, nominate):
    nominate()
    row = Notification.objects.get(recipient=people["committee"])
    client = as_user(people["committee2"])
    response = client.post(f"/api/v1/notifications/{row.pk}/read/")
    assert response.status_code == 404
    assert response.json()["code"] == "no_such_notification"
    row.refresh_from_db()
    assert row.read_at is None
    assert row.pk not in [n["id"] for n in client.get("/api/v1/notifications/").json()["results"]]


def test_bad_unread_value_is_400(as_user, people):
    response = as_user(people["committee"]).get("/api/v1/notifications/?unread=perhaps")
    assert response.status_code == 400


# --- admin ----------------------------------------------------------------------------------------


def test_admin_lists_failed_ones_and_sends_them_again(people, nominate, client):
    nominate()
    row = email_of(Notification.objects.get(recipient=people["committee"]))
    Delivery.objects.filter(pk=row.pk).update(
        status=FAILED, attempts=10, last_error="SMTP 421", next_attempt_at=None
    )
    client.force_login(people["hr"])
    listing = client.get("/admin/notifications/delivery/?status__exact=failed")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert list(listing.context["cl"].result_list) == [row]
    response = client.post(
        "/admin/notifications/delivery/",
        {"action": "send_again", "_selected_action": [row.pk]},
        follow=True,
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (PENDING, 0, "")
    assert row.next_attempt_at is not None and row.next_attempt_at <= timezone.now()
    for model, pk in (("delivery", row.pk), ("notification", row.notification_id)):
        assert client.get(f"/admin/notifications/{model}/{pk}/delete/").status_code == 403
        assert client.post(f"/admin/notifications/{model}/{pk}/change/", {}).status_code == 403


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_at_once_hold_disjoint_rows(no_worker):
    """The sweeper claims nothing now (it publishes); the claim is the workers': two claiming
    every due delivery at once hold disjoint ones."""
    assert connection.vendor == "postgresql"
    # Rows just claimed stay claimed, however the two workers interleave.
    recipients = [factories.committee_member() for _ in range(40)]
    services.notifications_create(
        recipient_ids=[u.pk for u in recipients], kind="test", subject="s", body="b"
    )
    claim = partial(outbox.claim, None, limit=25)
    first, second = ({row.pk for row in claimed} for claimed in at_once(claim, claim))
    assert not first & second
    assert len(first | second) == 40
    assert not Delivery.objects.filter(held_until__isnull=True).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_deliveries_of_one_row_at_once_send_one_email(no_worker, people, nominate):
    nominate()
    row = Notification.objects.filter(recipient=people["committee"]).get()
    deliver = partial(send, row)
    assert sorted(at_once(deliver, deliver)) == [0, 1]
    assert [m.to for m in mail.outbox].count([people["committee"].email]) == 1


def test_a_poisoned_message_is_recorded_as_failed_and_never_retried(people, nominate, settings):
    """A name written before names were checked (or straight into the database): Django refuses
    the header, so the message can never go as it is. Recorded once, left for a person."""
    user = people["candidate"]
    type(user).objects.filter(pk=user.pk).update(first_name="Eve\r\nBcc: attacker@evil.example")
    promotion_services.promotion_nominate(
        candidate=type(people["candidate_member"]).objects.get(pk=people["candidate_member"].pk),
        to_level=Level.objects.get(code="senior-pm"),
        nominated_by=people["manager"],
        justification="Ready.",
        evidence=factories.evidence_for("senior-pm"),
    )
    row = Notification.objects.get(recipient=people["committee"])
    assert "\n" in row.subject
    assert send(row) == 0
    delivery = email_of(row)
    assert (delivery.status, delivery.delivered_at, delivery.attempts) == (FAILED, None, 1)
    assert delivery.next_attempt_at is None and "BadHeaderError" in delivery.last_error
    assert mail.outbox == []
    settings.NOTIFICATIONS_SWEEP_SECONDS = 0  # anything still due would be overdue now
    assert delivery.pk not in outbox.overdue()
    assert send(row) == 0  # not tried again
    assert email_of(row).attempts == 1
    admin = Client()
    admin.force_login(people["hr"])
    failed = admin.get("/admin/notifications/delivery/?status__exact=failed")
    assert delivery in failed.context["cl"].result_list
    # A person fixes the name and sends it again: a fresh start.
    assert services.deliveries_send_again(delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (PENDING, 0, "")


def test_an_erased_persons_names_are_replaced_whole_whatever_follows_them():
    """The address first, then the full name, then the username, each a whole word: a word ends
    at any character but a letter, a digit or `_` (a full stop, a hyphen, `+`, `@`)."""
    pattern = services.names_pattern(["chen@example.com", "Chen Okafor", "chen"])
    assert pattern is not None
    cases = {
        "nominated by Chen Okafor.": "nominated by erased-2.",
        "mail chen@example.com.": "mail erased-2.",
        "Chen Okafor-led review": "erased-2-led review",
        "For chen: see chen+cc@x.org": "For erased-2: see erased-2+cc@x.org",
        # Other words stay: a name inside a longer word or username.
        "chenoweth, chen_okafor, Okafor, achen@example.com": (
            "chenoweth, chen_okafor, Okafor, achen@example.com"
        ),
    }
    assert {text: pattern.sub("erased-2", text) for text in cases} == cases
