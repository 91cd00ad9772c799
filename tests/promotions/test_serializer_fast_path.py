"""PromotionSerializer builds its representation by hand (speed): it must answer exactly what
DRF's generic path answers from the declared fields, for every state, viewer and optional field."""

import pytest
from rest_framework import serializers

from promotions import selectors
from promotions.packets import services as packets
from promotions.serializers import EventSerializer, PacketVersionSerializer, PromotionSerializer
from tests import factories

pytestmark = pytest.mark.django_db


def generic(promotion, context) -> dict:
    return serializers.ModelSerializer.to_representation(
        PromotionSerializer(context=context), promotion
    )


def test_the_hand_built_representation_is_the_generic_one(people):
    hr, committee = people["hr"], people["committee"]
    kinds = factories.promotions_of_every_kind(people)
    sent_back, off_cycle = kinds["sent_back"], kinds["off_cycle"]
    ids = [p.pk for name, p in kinds.items() if name != "voter"]
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
