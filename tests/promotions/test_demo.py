"""`make demo`: users and promotions to look at, and safe to run twice."""

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from promotions.calibration import cycle_calibration, cycle_stats
from promotions.models import Cycle, Promotion, Review

pytestmark = pytest.mark.django_db


def test_demo_seeds_packets_a_send_back_and_two_versions(settings):
    settings.DEBUG = True
    call_command("demo", verbosity=0)
    call_command("demo", verbosity=0)  # idempotent
    states = dict(
        Promotion.objects.filter(cycle=None).values_list("candidate__user__username", "state")
    )
    assert states == {"sam": "in_review", "alex": "changes_requested", "priya": "in_review"}
    priya = Promotion.objects.get(candidate__user__username="priya")
    assert priya.packet_version == 2 and priya.packet_versions.count() == 2
    stale = Review.objects.get(promotion=priya)
    assert stale.packet_version == 1  # a vote on the older version, shown as stale
    sam = Promotion.objects.get(candidate__user__username="sam")
    evidence = sam.packet_versions.get().evidence
    assert len(evidence) == 5 and all(e["links"] for e in evidence)


def test_demo_seeds_a_cycle_in_calibration_with_a_dozen_candidates(settings):
    settings.DEBUG = True
    call_command("demo", verbosity=0)
    call_command("demo", verbosity=0)  # idempotent: one cycle, twelve candidates
    cycle = Cycle.objects.get()
    assert cycle.state == "calibrating"
    promotions = cycle.promotions.all()
    assert promotions.count() == 12
    assert len({p.to_level_id for p in promotions}) >= 4  # across levels
    by_state = Counter(p.state for p in promotions)
    assert by_state["approved"] and by_state["rejected"] and by_state["withdrawn"]
    assert by_state["in_review"] and by_state["nominated"]
    # Approved for the cycle's later date: the levels change then, not now.
    approved = promotions.filter(state="approved")
    assert all(p.effective_on == cycle.effective_on and not p.level_applied for p in approved)
    # Something to show: the totals and at least one level are published at the default size.
    stats = cycle_stats(cycle=cycle)
    assert not stats["totals"]["suppressed"]
    assert any(not group["suppressed"] for group in stats["by_level"])
    board = cycle_calibration(cycle=cycle, viewer=get_user_model().objects.get(username="hr"))
    assert sum(len(group["candidates"]) for group in board["groups"]) == 12
