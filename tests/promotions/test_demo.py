"""`make demo`: users and promotions to look at, and safe to run twice."""

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from ladder.models import Member
from promotions.cycles.calibration import cycle_calibration, cycle_stats
from promotions.eligibility import member_eligibility
from promotions.management.commands import demo
from promotions.management.commands.demo import CYCLE_NAME, OPEN_CYCLE_NAME, PEOPLE
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
    cycle = Cycle.objects.get(name=CYCLE_NAME)
    assert cycle.state == "calibrating" and cycle.tracks == ["ic"]
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


def test_demo_leaves_a_cycle_open_and_a_report_eligible_for_it(settings):
    settings.DEBUG = True
    call_command("demo", verbosity=0)
    call_command("demo", verbosity=0)  # idempotent: still one open cycle, nobody in it
    open_cycle = Cycle.objects.get(name=OPEN_CYCLE_NAME)
    assert open_cycle.state == "open" and open_cycle.tracks == ["management"]
    assert not open_cycle.promotions.exists()
    assert open_cycle.nominations_close_on > timezone.localdate()
    nora = Member.objects.get(user__username="nora")
    assert nora.manager.user.username == "manager" and not nora.promotions.exists()
    by_level = {b.level.code: b for b in member_eligibility(member=nora)}
    assert by_level["group-pm"].eligible and by_level["group-pm"].cycle == open_cycle
    assert by_level["lead-pm"].codes == {"nominations_closed"}  # the IC cycle is calibrating


def test_demo_reviews_rate_criteria_differently(settings):
    settings.DEBUG = True
    call_command("demo", verbosity=0)
    ratings = Counter(
        rating for review in Review.objects.all() for rating in review.ratings.values()
    )
    assert ratings["not_yet"] and ratings["exceeds"] and ratings["meets"]
    rejecting = Review.objects.filter(decision="reject")
    assert all("not_yet" in review.ratings.values() for review in rejecting)


def test_demo_prints_the_logins_last(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    logins = text.rstrip("\n").splitlines()[-len(PEOPLE) :]
    assert [line.split()[0] for line in logins] == [person[0] for person in PEOPLE]
    assert text.index("Demo data:") < text.index("Password for all of them")
    assert "Nominate nora" in text and "Demo management cycle" in text
    again = StringIO()
    call_command("demo", stdout=again)
    assert "Demo data was already there." in again.getvalue()
    assert again.getvalue().rstrip("\n").splitlines()[-len(PEOPLE) :] == logins


def test_demo_over_an_older_demo_cycle_of_both_tracks_says_why_none_is_open(settings, monkeypatch):
    settings.DEBUG = True
    # What an older `make demo` left: its cycle takes both tracks, and no cycle is open.
    with monkeypatch.context() as older:
        older.setattr(demo, "CYCLE_TRACKS", [])
        older.setattr(demo, "demo_open_cycle", lambda: None)
        call_command("demo", verbosity=0)
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert not Cycle.objects.filter(name=OPEN_CYCLE_NAME).exists()
    assert "no cycle open for nominations" in text and "may not share a track" in text
    assert "nora cannot be nominated for group-pm now" in text
    assert text.rstrip("\n").splitlines()[-1].split()[0] == PEOPLE[-1][0]
