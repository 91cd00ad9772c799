"""The adverse-impact report on the seeded cycles (manage.py analytics_seed) matches an
independent count of the same numbers: plain ORM counting written here, and scipy."""

import math
from collections import Counter

import pytest
from django.core.management import call_command
from scipy.stats import fisher_exact

from analytics.models import DemographicValue
from ladder.models import LevelTransition, Member
from promotions.models import Cycle, Promotion
from tests import factories


def months(since, day) -> int:
    whole = (day.year - since.year) * 12 + day.month - since.month
    return whole - (day.day < since.day)


def independent_counts(cycles) -> dict[str, dict[str, list[int]]]:
    gender = dict(
        DemographicValue.objects.filter(category="gender").values_list("member_id", "choice__code")
    )
    moves = {
        from_id: track
        for from_id, track in LevelTransition.objects.filter(is_active=True).values_list(
            "from_level_id", "to_level__track"
        )
        if track == "ic"
    }
    counts = {stage: Counter() for stage in ("nomination", "approval", "overall")}
    pools = {stage: Counter() for stage in counts}
    for cycle in cycles:
        day = cycle.nominations_open_on
        states: dict[int, set] = {}
        for candidate, state in Promotion.objects.filter(cycle=cycle).values_list(
            "candidate_id", "state"
        ):
            states.setdefault(candidate, set()).add(state)
        for member in Member.objects.select_related("level"):
            fresh = member.level_since <= day and (
                months(member.level_since, day) >= member.level.min_months_in_level
            )
            eligible = member.is_active and fresh and member.level_id in moves
            seen = states.get(member.pk, set())
            if not (eligible or seen) or member.pk not in gender:
                continue
            code = gender[member.pk]
            approved = "approved" in seen
            pools["nomination"][code] += 1
            counts["nomination"][code] += bool(seen)
            pools["overall"][code] += 1
            counts["overall"][code] += approved
            if seen & {"approved", "rejected", "upheld"}:
                pools["approval"][code] += 1
                counts["approval"][code] += approved
    return {
        stage: {code: [counts[stage][code], pools[stage][code]] for code in pools[stage]}
        for stage in counts
    }


@pytest.mark.django_db
def test_the_report_on_seeded_cycles_matches_an_independent_count(as_user):
    call_command("analytics_seed", members=300, seed=26, stdout=open("/dev/null", "w"))  # noqa: SIM115
    cycles = list(Cycle.objects.filter(name__startswith="Analytics seed").order_by("pk"))
    assert len(cycles) == 3
    ids = ",".join(str(cycle.pk) for cycle in cycles)
    client = as_user(factories.people_analyst())
    body = client.get(
        "/api/v1/analytics/adverse-impact/", {"category": "gender", "cycles": ids}
    ).json()
    assert body["cycles"] == [cycle.pk for cycle in cycles]
    expected = independent_counts(cycles)
    flagged = set()
    for stage in body["stages"]:
        groups = {g["group"]: g for g in stage["groups"]}
        counts = expected[stage["stage"]]
        assert set(groups) == set(counts)
        published = {code for code, g in groups.items() if not g["suppressed"]}
        best = max(counts[code][0] / counts[code][1] for code in published)
        for code, (selected, pool) in counts.items():
            group = groups[code]
            if pool < body["min_group"]:
                assert group["suppressed"], (stage["stage"], code)
            if group["suppressed"]:
                assert group["selected"] is None and group["pool"] is None
                continue
            assert (group["selected"], group["pool"]) == (selected, pool)
            assert group["rate"] == pytest.approx(selected / pool, abs=1e-4)
            assert group["impact_ratio"] == pytest.approx(selected / pool / best, abs=1e-4)
            assert group["four_fifths"] == (selected / pool < 0.8 * best - 1e-12)
            others = [
                sum(counts[c][0] for c in counts if c != code),
                sum(counts[c][1] for c in counts if c != code),
            ]
            table = [[selected, pool - selected], [others[0], others[1] - others[0]]]
            assert group["fisher_p"] == pytest.approx(fisher_exact(table).pvalue, rel=1e-9)
            assert group["shortfall"] == max(math.ceil(0.8 * best * pool - 1e-9) - selected, 0)
            if group["four_fifths"]:
                flagged.add((stage["stage"], code))
    # The seed shows what the page must: every stage, a group under four fifths, small groups
    # suppressed.
    assert [s["stage"] for s in body["stages"]] == ["nomination", "approval", "overall"]
    assert ("nomination", "woman") in flagged
    assert all(
        {g["group"]: g for g in s["groups"]}["non-binary"]["suppressed"] for s in body["stages"]
    )
    # The admin page draws the same report, flags and suppression included.
    from django.test import Client

    page_client = Client()
    page_client.force_login(factories.people_analyst())
    page = page_client.get(
        "/admin/analytics/demographicchoice/adverse-impact/",
        {"category": "gender", "cycles": ids},
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("under four fifths") >= 1 and "suppressed (too few to publish)" in text
    assert all(f'id="stage-{stage}"' in text for stage in ("nomination", "approval", "overall"))
    csv = page_client.get(
        "/admin/analytics/demographicchoice/adverse-impact.csv",
        {"category": "gender", "cycles": ids},
    )
    assert csv.content.startswith("\ufeff".encode()) and b"nomination,woman," in csv.content
    # The seeded cases are whole: each has its packet, so the desk opens them, and none is left
    # pending (approved, never taking effect), which would keep its member from every nomination
    # and from erasure.
    seeded = Promotion.objects.filter(cycle__in=cycles)
    assert not seeded.filter(packet_versions__isnull=True).exists()
    assert not seeded.filter(state="approved", level_applied=False).exists()
    hr = Client()
    hr.force_login(factories.hr_user())
    for case in (seeded.filter(state=state).first() for state in ("approved", "rejected")):
        desk = hr.get(f"/admin/promotions/promotion/{case.pk}/change/")
        assert desk.status_code == 200, case
