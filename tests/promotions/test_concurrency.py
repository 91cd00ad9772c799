"""Concurrent transitions on PostgreSQL: real threads, real connections, row locks."""

from collections import Counter
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from ladder.models import Level, LevelChange
from promotions.models import Delegation, NominationRequest, Promotion, PromotionEvent
from tests import factories
from tests.concurrency import at_once

THREADS = 20

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def post_all_at_once(clients, url, payload) -> Counter:
    responses = at_once(*(partial(c.post, url, payload, format="json") for c in clients))
    return Counter(response.status_code for response in responses)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(user)}")
    return client


def test_twenty_approvals_at_once_exactly_one_wins(people, in_review):
    assert connection.vendor == "postgresql"
    promotion = in_review()
    factories.review(promotion, people["committee"], "approve")
    committee = [factories.committee_member() for _ in range(THREADS - 1)] + [people["hr"]]

    statuses = post_all_at_once(
        [client_for(user) for user in committee], f"/api/v1/promotions/{promotion.id}/approve/", {}
    )

    assert statuses == Counter({200: 1, 409: THREADS - 1})
    people["candidate_member"].refresh_from_db()
    assert people["candidate_member"].level.code == "senior-pm"
    assert LevelChange.objects.filter(member=people["candidate_member"]).count() == 1
    assert PromotionEvent.objects.filter(promotion=promotion, to_state="approved").count() == 1


def test_twenty_nominations_of_one_candidate_exactly_one_wins(people):
    assert connection.vendor == "postgresql"
    hr_users = [people["hr"]] + [factories.hr_user() for _ in range(THREADS - 2)]
    clients = [client_for(user) for user in [people["manager"], *hr_users]]
    payload = {
        "candidate": people["candidate_member"].id,
        "to_level": "senior-pm",
        "justification": "Everyone agrees.",
        "evidence": factories.evidence_for("senior-pm"),
    }

    statuses = post_all_at_once(clients, "/api/v1/promotions/", payload)

    assert statuses == Counter({201: 1, 409: THREADS - 1})
    assert Promotion.objects.filter(candidate=people["candidate_member"]).count() == 1
    assert PromotionEvent.objects.count() == 1


def test_mixed_transitions_at_once_leave_one_consistent_outcome(people, in_review):
    promotion = in_review()
    factories.review(promotion, people["committee"], "approve")
    url = f"/api/v1/promotions/{promotion.id}/"
    attempts = {
        "approve": (people["committee"], {}),
        "reject": (people["committee2"], {"note": "No"}),
        "withdraw": (people["manager"], {}),
    }
    # (request-changes is not in this race: after it, withdraw is still a legal next step, so two
    # may rightly succeed; tests/promotions/test_packets.py races it against itself.)
    calls = [
        partial(client_for(user).post, url + action + "/", payload, format="json")
        for action, (user, payload) in attempts.items()
    ]
    results = dict(zip(attempts, at_once(*calls), strict=True))

    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 409, 409]
    final = Promotion.objects.get(pk=promotion.pk).state
    winner = next(name for name, r in results.items() if r.status_code == 200)
    assert final == {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn"}[winner]
    assert PromotionEvent.objects.filter(promotion=promotion).count() == 3
    moved = (
        Level.objects.get(code="senior-pm")
        == type(people["candidate_member"]).objects.get(pk=people["candidate_member"].pk).level
    )
    assert moved == (final == "approved")


def test_ten_releases_of_one_held_decision_at_once_exactly_one_applies(people):
    """The nominator and the manager (here one person, on ten connections) release a decision
    held for the cycle's release date: one release, one event, one message to the candidate."""
    from notifications.models import Notification

    promotion = factories.held_decision(
        candidate=people["candidate_member"], by=people["manager"], note="Decided."
    )
    assert promotion.release_held
    clients = [client_for(people["manager"]) for _ in range(10)]

    statuses = post_all_at_once(clients, f"/api/v1/promotions/{promotion.id}/release/", {})

    assert statuses == Counter({200: 1, 409: 9})
    assert PromotionEvent.objects.filter(promotion=promotion, to_state="released").count() == 1
    assert not Promotion.objects.get(pk=promotion.pk).release_held
    told = Notification.objects.filter(recipient=people["candidate"], kind="released")
    assert told.count() == 1


def test_a_request_for_a_nomination_is_asked_once_and_answered_once_at_once(people):
    """Three asks of one member at once: one request. Accepts and declines of it at once, by its
    manager and HR: one answer, and at most one promotion."""
    member = people["candidate_member"]
    asks = [client_for(member.user) for _ in range(3)]
    payload = {
        "to_level": "senior-pm",
        "justification": "Ready.",
        "evidence": factories.evidence_for("senior-pm"),
    }
    assert post_all_at_once(asks, "/api/v1/nomination-requests/", payload) == Counter(
        {201: 1, 409: 2}
    )
    request = NominationRequest.objects.get(member=member)
    answerers = [client_for(people["manager"]), client_for(people["hr"])] * 2
    url = f"/api/v1/nomination-requests/{request.pk}/"
    calls = [
        partial(client.post, url + "accept/", {}, format="json")
        if i % 2
        else partial(client.post, url + "decline/", {"reason": "Not yet."}, format="json")
        for i, client in enumerate(answerers)
    ]
    statuses = Counter(response.status_code for response in at_once(*calls))
    assert statuses == Counter({200: 1, 409: 3}), statuses
    request.refresh_from_db()
    assert Promotion.objects.filter(candidate=member).count() == (request.state == "accepted")


def test_ten_overlapping_delegations_of_one_seat_at_once_exactly_one_is_made(people):
    """The seat's holder (and HR for them) name ten delegates for the same days at once: one
    delegation is made, the others are refused as overlapping (the delegator's row lock)."""
    seat = people["committee"]
    delegates = [factories.committee_member() for _ in range(10)]
    clients = [client_for(seat if i % 2 else people["hr"]) for i in range(10)]
    today = timezone.localdate().isoformat()
    responses = at_once(
        *(
            partial(
                client.post,
                "/api/v1/delegations/",
                {
                    "delegator": seat.username,
                    "delegate": delegate.username,
                    "starts_on": today,
                    "ends_on": today,
                },
                format="json",
            )
            for client, delegate in zip(clients, delegates, strict=True)
        )
    )
    assert Counter(response.status_code for response in responses) == Counter({201: 1, 400: 9})
    assert {r.json()["code"] for r in responses if r.status_code == 400} == {"delegation_overlaps"}
    assert Delegation.objects.filter(delegator=seat).count() == 1


def test_release_tasks_running_at_once_release_each_held_decision_once(people):
    """Beat's release task, run by two workers at once on the date (SKIP LOCKED): every held
    decision is released once, with one event and one message."""
    from promotions import release

    cycle = factories.release_cycle()
    cases = [factories.promotion(state="in_review") for _ in range(3)]
    held = [factories.held_decision(cycle=cycle, case=case) for case in cases]
    release_on = type(cycle).objects.get(pk=cycle.pk).release_on

    counts = at_once(*[partial(release.promotions_release_due, today=release_on, batch=1)] * 2)

    assert sum(counts) == len(held)
    for promotion in held:
        assert PromotionEvent.objects.filter(promotion=promotion, to_state="released").count() == 1
    assert not Promotion.objects.filter(release_held=True).exists()
