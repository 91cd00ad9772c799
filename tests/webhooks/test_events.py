"""Every event reaches a real receiver on 127.0.0.1, signed (verified with the Standard Webhooks
library's own verifier), with the documented payload and never a justification, review, rating or
note."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from promotions import release
from promotions import services as promotion_services
from promotions.cycles import services as cycles
from promotions.packets.services import packet_submit
from tests import factories
from webhooks.events import Event
from webhooks.models import Delivery, DeliveryStatus

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SECRET_WORDS = ["JUSTIFICATION-SECRET", "NOTE-SECRET", "COMMENT-SECRET", "EVIDENCE-SECRET"]
PROMOTION_KEYS = {
    "promotion",
    "candidate",
    "from_level",
    "to_level",
    "state",
    "cycle",
    "effective_on",
}
LEVEL_CHANGED_KEYS = {"member", "from_level", "to_level", "effective_on", "promotion"}
CYCLE_KEYS = {"cycle", "name", "state", "nominations_close_on", "effective_on"}


def received(receiver, secret):
    """Each request's verified payload (the verifier raises on a bad signature)."""
    payloads = []
    for request in receiver.requests:
        payload = Webhook(secret).verify(request["body"], request["headers"])
        assert json.loads(request["body"]) == payload
        assert request["headers"]["webhook-id"].startswith("msg_")
        assert request["path"] == "/hooks/ladder"
        payloads.append(payload)
    return payloads


def test_every_event_is_delivered_signed_with_its_documented_payload(receiver, endpoint_for):
    endpoint = endpoint_for(receiver)
    hr = factories.hr_user()
    committee = factories.committee_member(level="vp-product")
    candidate, manager = factories.team(level="pm")

    # A promotion through the whole loop, approved for today.
    promotion = factories.promotion(
        candidate=candidate, to="senior-pm", justification="JUSTIFICATION-SECRET"
    )
    promotion = promotion_services.promotion_start_review(promotion=promotion, actor=committee)
    promotion = promotion_services.promotion_request_changes(
        promotion=promotion, actor=committee, note="NOTE-SECRET change it"
    )
    packet_submit(
        promotion=promotion,
        actor=manager.user,
        justification="JUSTIFICATION-SECRET, again",
        evidence=factories.evidence_for("senior-pm", text="EVIDENCE-SECRET"),
    )
    promotion = promotion_services.promotion_resubmit(
        promotion=promotion, actor=manager.user, note="NOTE-SECRET"
    )
    promotion = promotion_services.promotion_hold(
        promotion=promotion, actor=committee, note="NOTE-SECRET on hold"
    )
    promotion = promotion_services.promotion_resume(promotion=promotion, actor=committee)
    factories.review(promotion, factories.committee_member(), "approve", comment="COMMENT-SECRET")
    promotion = promotion_services.promotion_approve(
        promotion=promotion, actor=committee, note="NOTE-SECRET"
    )
    # One rejected, one withdrawn, one approved for a later day that then takes effect.
    rejected = factories.promotion(state="rejected", note="NOTE-SECRET no")
    withdrawn = factories.promotion(state="withdrawn", note="NOTE-SECRET bye")
    later = factories.promotion(
        state="in_review", votes=[(factories.committee_member(), "approve")]
    )
    effective_on = timezone.localdate() + timedelta(days=3)
    later = promotion_services.promotion_approve(
        promotion=later, actor=committee, effective_on=effective_on
    )
    assert promotion_services.promotions_apply_effective(today=effective_on) == 1
    # A senior move waits for an Executive; the rejection is appealed and upheld.
    senior = factories.promotion(
        candidate=factories.team(level="group-pm", manager_level="vp-product")[0],
        to="head-of-product",
        state="in_review",
        votes=[(factories.committee_member(), "approve")],
    )
    promotion_services.promotion_approve(promotion=senior, actor=committee, note="NOTE-SECRET")
    promotion_services.promotion_appeal(
        promotion=rejected, actor=rejected.candidate.user, statement="NOTE-SECRET appeal"
    )
    promotion_services.promotion_uphold(
        promotion=rejected, actor=factories.committee_member(), note="NOTE-SECRET stands"
    )

    # A cycle from open to closed.
    cycle = factories.draft_cycle(hr)
    cycles.cycle_open(actor=hr, cycle=cycle)
    cycles.cycle_calibrate(actor=hr, cycle=cycle)
    cycles.cycle_close(actor=hr, cycle=cycle)
    # A decision held from the candidate for its cycle's release date: HR's systems hear of it at
    # once, then of its release.
    held = factories.held_decision(note="NOTE-SECRET held")
    release.promotion_release(promotion=held, actor=held.nominated_by)

    payloads = received(receiver, endpoint.secret)
    assert {p["type"] for p in payloads} == set(Event), "every event type was delivered"
    for request in receiver.requests:
        for word in SECRET_WORDS:
            assert word.encode() not in request["body"]
    by_type: dict[str, list[dict]] = {}
    for payload in payloads:
        assert set(payload) == {"type", "timestamp", "data"}
        by_type.setdefault(payload["type"], []).append(payload["data"])
        if payload["type"].startswith("promotion."):
            assert set(payload["data"]) == PROMOTION_KEYS
        elif payload["type"] == Event.MEMBER_LEVEL_CHANGED:
            assert set(payload["data"]) == LEVEL_CHANGED_KEYS
        else:
            assert set(payload["data"]) == CYCLE_KEYS

    today = timezone.localdate().isoformat()
    assert by_type[Event.PROMOTION_APPROVED][0] == {
        "promotion": promotion.pk,
        "candidate": candidate.pk,
        "from_level": "pm",
        "to_level": "senior-pm",
        "state": "approved",
        "cycle": None,
        "effective_on": today,
    }
    assert by_type[Event.PROMOTION_RESUBMITTED][0]["promotion"] == promotion.pk
    assert by_type[Event.PROMOTION_REJECTED][0]["promotion"] == rejected.pk
    assert by_type[Event.PROMOTION_WITHDRAWN][0]["state"] == "withdrawn"
    assert by_type[Event.PROMOTION_WITHDRAWN][0]["promotion"] == withdrawn.pk
    assert by_type[Event.MEMBER_LEVEL_CHANGED] == [
        {
            "member": candidate.pk,
            "from_level": "pm",
            "to_level": "senior-pm",
            "effective_on": today,
            "promotion": promotion.pk,
        },
        {
            "member": later.candidate_id,
            "from_level": later.from_level.code,
            "to_level": later.to_level.code,
            "effective_on": effective_on.isoformat(),
            "promotion": later.pk,
        },
    ]
    held_events = [p["type"] for p in payloads if p["data"].get("promotion") == held.pk]
    assert held_events[-2:] == [Event.PROMOTION_APPROVED, Event.PROMOTION_RELEASED]
    # Approved for a later day: `promotion.approved` now, `promotion.effective` on the day.
    later_events = [p["type"] for p in payloads if p["data"].get("promotion") == later.pk]
    assert later_events[-3:] == [
        Event.PROMOTION_APPROVED,
        Event.PROMOTION_EFFECTIVE,
        Event.MEMBER_LEVEL_CHANGED,
    ]
    assert [
        c["state"]
        for c in by_type[Event.CYCLE_OPENED]
        + by_type[Event.CYCLE_CALIBRATING]
        + by_type[Event.CYCLE_CLOSED]
        if c["cycle"] == cycle.pk  # (the held decision's cycle opened and calibrated too)
    ] == ["open", "calibrating", "closed"]
    assert by_type[Event.CYCLE_CLOSED][0] == {
        "cycle": cycle.pk,
        "name": "H1",
        "state": "closed",
        "nominations_close_on": cycle.nominations_close_on.isoformat(),
        "effective_on": cycle.effective_on.isoformat(),
    }
    # Every delivery is recorded as delivered on its first attempt.
    assert set(Delivery.objects.values_list("status", "attempts")) == {
        (DeliveryStatus.DELIVERED, 1)
    }
    assert Delivery.objects.count() == len(receiver.requests)


def test_an_endpoint_hears_only_the_events_it_subscribed_to(receiver, endpoint_for):
    endpoint = endpoint_for(receiver, events=[Event.PROMOTION_APPROVED])
    factories.promotion(state="approved")
    factories.promotion(state="rejected")
    assert [p["type"] for p in received(receiver, endpoint.secret)] == [Event.PROMOTION_APPROVED]


def test_a_transaction_that_rolls_back_delivers_nothing(receiver, endpoint_for):
    from django.db import transaction

    endpoint_for(receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.promotion()
        raise RuntimeError("rolled back")
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_a_disabled_endpoint_gets_its_deliveries_held_and_nothing_sent(receiver, endpoint_for):
    """Was: a disabled endpoint got no deliveries (its events were lost). Now they are written,
    held, and sent when it is enabled again (tests/webhooks/test_held.py)."""
    from webhooks import services

    endpoint = endpoint_for(receiver)
    services.endpoint_update(
        actor=factories.hr_user(), endpoint=endpoint, changes={"is_active": False}
    )
    factories.promotion()
    assert receiver.requests == []
    (held,) = Delivery.objects.all()
    assert (held.event, held.status, held.next_attempt_at) == (
        Event.PROMOTION_NOMINATED,
        DeliveryStatus.HELD,
        None,
    )
