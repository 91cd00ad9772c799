"""PromotionSerializer builds its representation by hand (speed): it must answer exactly what
DRF's generic path answers from the declared fields, for every state, viewer and optional field."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from promotions import packets, selectors
from promotions import services as promotion_services
from promotions.serializers import EventSerializer, PacketVersionSerializer, PromotionSerializer
from tests import factories

pytestmark = pytest.mark.django_db


def generic(promotion, context) -> dict:
    return serializers.ModelSerializer.to_representation(
        PromotionSerializer(context=context), promotion
    )


def test_the_hand_built_representation_is_the_generic_one(people, nominate, in_review):
    hr, committee = people["hr"], people["committee"]
    nominated = nominate()
    withdrawn = factories.promotion(state="withdrawn")
    rejected = factories.promotion(state="rejected")
    approved = factories.promotion(state="approved")
    voter = factories.committee_member()
    later = factories.promotion(state="in_review", votes=[(voter, "approve")])
    promotion_services.promotion_approve(
        promotion=later,
        actor=factories.committee_member(),
        effective_on=timezone.localdate() + timedelta(days=5),
    )
    sent_back = factories.promotion(state="in_review")
    promotion_services.promotion_request_changes(
        promotion=sent_back, actor=committee, note="Say more about scope."
    )
    off_cycle = promotion_services.promotion_nominate(
        candidate=factories.team()[0],
        to_level=__import__("ladder.models", fromlist=["Level"]).Level.objects.get(
            code="senior-pm"
        ),
        nominated_by=hr,
        justification="Ready.",
        evidence=factories.evidence_for("senior-pm"),
        eligibility_override_reason="Joined from a peer company at this level.",
    )
    ids = [p.pk for p in (nominated, withdrawn, rejected, approved, later, sent_back, off_cycle)]
    viewers = [
        hr,
        committee,
        people["manager"],
        people["candidate"],
        sent_back.nominated_by,
        off_cycle.nominated_by,
    ]
    compared = 0
    for viewer in viewers:
        page = list(selectors.promotion_list_visible_to(user=viewer).filter(pk__in=ids))
        allowed = selectors.available_transitions(user=viewer, promotions=page)
        context = {"available_transitions": allowed, "viewer": viewer}
        for promotion in page:
            fast = PromotionSerializer(promotion, context=context).data
            assert fast == generic(promotion, context), (viewer, promotion.state)
            compared += 1
    assert compared >= 20


def generic_of(serializer_class, instance, context=None) -> dict:
    return serializers.ModelSerializer.to_representation(
        serializer_class(context=context or {}), instance
    )


def test_the_packet_and_the_timeline_are_the_generic_ones(people):
    """PacketVersionSerializer and EventSerializer build theirs by hand too: every version (links
    and none), every kind of event (notes, votes at a decision, no actor), both views."""
    voter = factories.committee_member()
    approved = factories.promotion(state="approved", votes=[(voter, "approve")], note="Clear case.")
    rejected = factories.promotion(state="rejected", note="Not yet.")
    nominated = factories.promotion()
    packets.packet_submit(
        promotion=nominated,
        actor=nominated.nominated_by,
        justification="Second go, with links.",
        evidence=factories.evidence_for(
            nominated.to_level, links=["https://example.com/a", "https://example.com/b"]
        ),
    )
    versions = [
        v for p in (approved, rejected, nominated) for v in packets.packet_versions(promotion=p)
    ]
    assert len(versions) == 4 and any(item["links"] for v in versions for item in v.evidence)
    for version in versions:
        assert PacketVersionSerializer(version).data == generic_of(PacketVersionSerializer, version)

    events = [
        e
        for p in (approved, rejected, nominated)
        for e in selectors.promotion_timeline(promotion=p)
    ]
    assert any(e.votes for e in events) and any(e.note for e in events)
    for committee_view in (True, False):
        context = {"committee_view": committee_view}
        for event in events:
            fast = EventSerializer(event, context=context).data
            assert fast == generic_of(EventSerializer, event, context), (event, committee_view)
