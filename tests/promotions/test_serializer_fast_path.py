"""PromotionSerializer builds its representation by hand (speed): it must answer exactly what
DRF's generic path answers from the declared fields, for every state, viewer and optional field."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from promotions import selectors
from promotions import services as promotion_services
from promotions.serializers import PromotionSerializer
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
