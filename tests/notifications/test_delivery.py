"""Delivery through a real Celery worker on the real Redis, with real commits (transaction=True)."""

import time
from collections import Counter
from smtplib import SMTPException

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from rest_framework.test import APIClient

from core import roles
from core.outbox import DELIVERED, PENDING
from ladder.models import Level
from notifications import services
from notifications.models import Delivery, Notification
from notifications.tasks import notifications_sweep
from promotions.models import Promotion
from tests import factories
from tests.notifications.conftest import (
    embedded_worker,
    use_broker,
    wait_for,
)
from tests.notifications.deliveries import email_of, emails

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(user)}")
    return client


@pytest.fixture
def company(db):
    committee = Group.objects.get(name=roles.COMMITTEE_GROUP)
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    candidate = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    # The nominator and the candidate sit on the committee too: they must not be asked to review.
    manager.user.groups.add(committee)
    candidate.user.groups.add(committee)
    reviewers = [factories.committee_member() for _ in range(3)]
    return {"manager": manager, "candidate": candidate, "reviewers": reviewers}


def nominate(company) -> dict:
    response = client_for(company["manager"].user).post(
        "/api/v1/promotions/",
        {
            "candidate": company["candidate"].id,
            "to_level": "senior-pm",
            "justification": "Ready.",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def recipients() -> Counter:
    return Counter(address for message in mail.outbox for address in message.to)


def test_nomination_reaches_each_reviewer_once_and_decisions_reach_candidate_and_nominator(
    redis_broker, worker, company, mailoutbox
):
    promotion = nominate(company)
    reviewers = company["reviewers"]
    assert wait_for(lambda: len(mail.outbox) >= 3)
    time.sleep(0.5)  # anything extra would arrive now
    assert recipients() == Counter({r.email: 1 for r in reviewers})
    for reviewer in reviewers:
        row = Notification.objects.get(recipient=reviewer)
        assert row.kind == "review_requested"
        # One delivery (e-mail: Slack is not set up), delivered.
        (delivery,) = row.deliveries.all()
        assert delivery == email_of(row)
        assert delivery.status == DELIVERED and delivery.delivered_at is not None
    message = mail.outbox[0]
    assert company["candidate"].name in message.body
    assert "Product Manager → Senior Product Manager" in message.body
    assert f"/admin/promotions/promotion/{promotion['id']}/change/" in message.body
    assert message.alternatives and "text/html" in message.alternatives[0][1]

    mail.outbox.clear()
    reviewer = client_for(reviewers[0])
    url = f"/api/v1/promotions/{promotion['id']}/"
    assert reviewer.post(url + "start-review/").status_code == 200
    ratings = factories.ratings_body(Promotion.objects.get(pk=promotion["id"]))
    vote = {"decision": "approve", "ratings": ratings}
    assert reviewer.post(url + "reviews/", vote, format="json").status_code == 201
    assert (
        reviewer.post(
            url + "approve/", {"note": "secret-committee-note"}, format="json"
        ).status_code
        == 200
    )
    assert wait_for(lambda: len(mail.outbox) >= 4)
    time.sleep(0.5)
    candidate, manager = company["candidate"].user, company["manager"].user
    assert recipients() == Counter({candidate.email: 2, manager.email: 2})
    subjects = sorted(m.subject.split(":")[0] for m in mail.outbox)
    assert subjects == ["Promotion approved"] * 2 + ["Promotion in review"] * 2
    assert all("secret-committee-note" not in m.body for m in mail.outbox)
    assert Notification.objects.filter(recipient=candidate).count() == 2


def test_a_transaction_that_rolls_back_sends_nothing(redis_broker, worker, company, mailoutbox):
    from promotions import services as promotion_services

    with pytest.raises(RuntimeError), transaction.atomic():
        promotion_services.promotion_nominate(
            candidate=company["candidate"],
            to_level=Level.objects.get(code="senior-pm"),
            nominated_by=company["manager"].user,
            justification="Ready.",
            evidence=factories.evidence_for("senior-pm"),
        )
        raise RuntimeError("something later in the request failed")
    time.sleep(2)
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert mail.outbox == []


def test_broker_down_at_commit_then_the_sweeper_delivers_exactly_once(
    own_redis, company, mailoutbox, settings
):
    own_redis.start()
    use_broker(own_redis.url)
    own_redis.stop()

    started = time.monotonic()
    promotion = nominate(company)
    elapsed = time.monotonic() - started
    print(f"nominating with the broker down took {elapsed:.2f}s")
    assert elapsed < 2.0, f"nominating with the broker down took {elapsed:.2f}s"
    rows = Notification.objects.filter(promotion_id=promotion["id"])
    assert rows.count() == 3
    assert emails(rows).filter(status=PENDING).count() == 3

    own_redis.start()
    settings.NOTIFICATIONS_SWEEP_SECONDS = 0
    with embedded_worker():
        assert notifications_sweep() == 3
        assert wait_for(lambda: len(mail.outbox) >= 3)
        assert notifications_sweep() == 0  # nothing left to claim
        time.sleep(1)
    assert recipients() == Counter({r.email: 1 for r in company["reviewers"]})
    assert emails(rows).exclude(status=DELIVERED).count() == 0


class FailsTwice(EmailBackend):
    calls = 0

    def send_messages(self, messages):
        FailsTwice.calls += 1
        if FailsTwice.calls <= 2:
            raise SMTPException("421 try again later")
        return super().send_messages(messages)


def test_smtp_failures_are_retried_with_backoff_until_one_email_goes_out(
    redis_broker, worker, company, mailoutbox, settings
):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.FailsTwice"
    FailsTwice.calls = 0
    reviewer = company["reviewers"][0]
    started = time.monotonic()
    with transaction.atomic():
        (row,) = services.notifications_create(
            recipient_ids=[reviewer.pk], kind="test", subject="Hello", body="Body"
        )
    assert wait_for(lambda: len(mail.outbox) == 1, timeout=30)
    # Not at once: after the backoff of the first failure, then twice that of the second.
    backoff = settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS
    assert time.monotonic() - started >= backoff + 2 * backoff
    time.sleep(1)
    assert len(mail.outbox) == 1
    assert FailsTwice.calls == 3
    # Retried by the outbox (scheduled in the database, published for then), not by Celery.
    delivery = email_of(row)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DELIVERED, 3, "")
    assert delivery.next_attempt_at is None and delivery.held_until is None
