"""`make demo`: users and promotions to look at, and safe to run twice."""

import pytest
from django.core.management import call_command

from promotions.models import Promotion, Review

pytestmark = pytest.mark.django_db


def test_demo_seeds_packets_a_send_back_and_two_versions(settings):
    settings.DEBUG = True
    call_command("demo", verbosity=0)
    call_command("demo", verbosity=0)  # idempotent
    states = dict(Promotion.objects.values_list("candidate__user__username", "state"))
    assert states == {"sam": "in_review", "alex": "changes_requested", "priya": "in_review"}
    priya = Promotion.objects.get(candidate__user__username="priya")
    assert priya.packet_version == 2 and priya.packet_versions.count() == 2
    stale = Review.objects.get(promotion=priya)
    assert stale.packet_version == 1  # a vote on the older version, shown as stale
    sam = Promotion.objects.get(candidate__user__username="sam")
    evidence = sam.packet_versions.get().evidence
    assert len(evidence) == 5 and all(e["links"] for e in evidence)
