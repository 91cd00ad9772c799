"""Adverse impact (docs/analytics.md): the Uniform Guidelines' worked example through the real
computation, Fisher's exact p against an exact hypergeometric sum of our own, suppression
(subtraction included), eligibility as of the cycle's opening, the API's refusals."""

import random
from datetime import date, timedelta
from fractions import Fraction
from math import comb

import pytest
from scipy.stats import fisher_exact

from analytics.adverse_impact import adverse_impact, eligible_on, fisher_p, stage_groups, stages_of
from analytics.models import DemographicChoice, DemographicValue
from ladder.models import Level, LevelChange, Member
from promotions.models import Cycle, CycleState, Promotion, PromotionState
from tests import factories

OPEN_ON = date(2025, 3, 1)


def make_cycle(name="2025 H1", tracks=("ic",), open_on=OPEN_ON) -> Cycle:
    return Cycle.objects.create(
        name=name,
        tracks=list(tracks),
        nominations_open_on=open_on,
        nominations_close_on=open_on + timedelta(days=30),
        decisions_due_on=open_on + timedelta(days=60),
        effective_on=open_on + timedelta(days=90),
        state=CycleState.CLOSED,
    )


def make_members(count: int, *, level="pm", since=date(2023, 1, 1)) -> list[Member]:
    level = Level.objects.get(code=level)
    return [factories.MemberFactory(level=level, level_since=since) for _ in range(count)]


def give(members, category: str, code: str) -> None:
    choice, _ = DemographicChoice.objects.get_or_create(
        category=category, code=code, defaults={"label": code}
    )
    DemographicValue.objects.bulk_create(
        [DemographicValue(member=m, category=category, choice=choice) for m in members]
    )


def decide(cycle: Cycle, members, state: str) -> None:
    pm, senior = Level.objects.get(code="pm"), Level.objects.get(code="senior-pm")
    nominator = factories.UserFactory()
    Promotion.objects.bulk_create(
        [
            Promotion(
                candidate=m,
                from_level=pm,
                to_level=senior,
                nominated_by=nominator,
                justification="x",
                cycle=cycle,
                state=state,
            )
            for m in members
        ]
    )


def by_group(report, stage: str) -> dict:
    groups = next(s["groups"] for s in report["stages"] if s["stage"] == stage)
    return {g["group"]: g for g in groups}


@pytest.mark.django_db
def test_the_uniform_guidelines_worked_example():
    """Q&A 12 of the Uniform Guidelines: 48 of 80 of one group selected, 12 of 40 of another:
    rates 0.6 and 0.3, ratio 0.5, under four fifths."""
    cycle = make_cycle()
    group_a, group_b = make_members(80), make_members(40)
    give(group_a, "gender", "group-a")
    give(group_b, "gender", "group-b")
    decide(cycle, group_a[:48] + group_b[:12], PromotionState.APPROVED)
    report = adverse_impact(category="gender", cycles=[cycle], min_group=5)
    assert report["cycles"] == [cycle.pk] and report["category"] == "gender"
    overall = by_group(report, "overall")
    a, b = overall["group-a"], overall["group-b"]
    assert (a["selected"], a["pool"], a["rate"], a["impact_ratio"]) == (48, 80, 0.6, 1.0)
    assert (b["selected"], b["pool"], b["rate"], b["impact_ratio"]) == (12, 40, 0.3, 0.5)
    assert (a["four_fifths"], b["four_fifths"]) == (False, True)
    # 4/5 of 0.6 of 40 is 19.2: 20 selections needed, 8 lacking.
    assert (a["shortfall"], b["shortfall"]) == (0, 8)
    assert b["fisher_p"] == pytest.approx(fisher_exact([[12, 28], [48, 32]]).pvalue)
    assert b["fisher_p"] < 0.01
    # Every nominee was approved: the approval stage shows no difference.
    approval = by_group(report, "approval")
    assert approval["group-b"]["rate"] == 1.0 and approval["group-b"]["four_fifths"] is False
    assert by_group(report, "nomination")["group-b"]["pool"] == 40


def exact_two_sided_p(a: int, b: int, c: int, d: int) -> float:
    """Fisher's two-sided p by the hypergeometric distribution, exactly: the probability of
    every table with the same margins no more likely than the one seen."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def probability(x: int) -> Fraction:
        return Fraction(comb(col1, x) * comb(n - col1, row1 - x), comb(n, row1))

    seen = probability(a)
    low, high = max(0, row1 + col1 - n), min(row1, col1)
    # The same relative tolerance as scipy (1e-7) for ties in floating point.
    return float(
        sum(
            p
            for x in range(low, high + 1)
            if (p := probability(x)) <= seen * (1 + Fraction(1, 10**7))
        )
    )


def test_fisher_p_matches_an_exact_hypergeometric_sum():
    rng = random.Random(26)
    for _ in range(60):
        pool, other_pool = rng.randint(1, 40), rng.randint(1, 40)
        selected, other_selected = rng.randint(0, pool), rng.randint(0, other_pool)
        expected = exact_two_sided_p(
            selected, pool - selected, other_selected, other_pool - other_selected
        )
        assert fisher_p(selected, pool, other_selected, other_pool) == pytest.approx(
            min(expected, 1.0), rel=1e-9, abs=1e-12
        )


def test_small_groups_are_suppressed_and_cannot_be_recovered_by_subtraction():
    # One group of 3: hidden; alone it would be the total minus the others, so one more goes.
    groups = stage_groups({"a": (10, 40), "b": (5, 30), "c": (1, 3)}, min_group=5)
    shown = {g["group"]: g for g in groups}
    assert shown["c"]["suppressed"] is True
    assert shown["b"]["suppressed"] is True  # the smallest other: c = total - a - b otherwise
    assert shown["a"]["suppressed"] is False and shown["a"]["pool"] == 40
    for cell in ("selected", "pool", "rate", "impact_ratio", "four_fifths", "fisher_p"):
        assert shown["c"][cell] is None and shown["b"][cell] is None
    # Two small groups hide each other; the large ones stay.
    groups = stage_groups({"a": (10, 40), "b": (5, 30), "c": (1, 3), "d": (2, 4)}, min_group=5)
    assert [g["group"] for g in groups if g["suppressed"]] == ["c", "d"]
    # Two small groups of 2 in all would still pin each other (one each): a third goes too.
    groups = stage_groups({"a": (10, 40), "b": (5, 30), "c": (1, 1), "d": (0, 1)}, min_group=5)
    assert [g["group"] for g in groups if g["suppressed"]] == ["b", "c", "d"]
    # Nothing small: nothing hidden.
    assert not any(g["suppressed"] for g in stage_groups({"a": (1, 5), "b": (2, 5)}, min_group=5))


@pytest.mark.django_db
def test_suppression_counts_people_not_their_cycles():
    """One member eligible in five pooled cycles is five in the pool but one person: never a
    group published (the outside review's repro, a single non-binary member)."""
    cycles = [make_cycle(name=f"{year} H1", open_on=date(year, 3, 1)) for year in range(2021, 2026)]
    alone = make_members(1, since=date(2019, 1, 1))
    give(alone, "gender", "non-binary")
    large = {code: make_members(12, since=date(2019, 1, 1)) for code in ("man", "woman", "x")}
    for code, members in large.items():
        give(members, "gender", code)
    for cycle in cycles:
        decide(cycle, alone + large["man"][:6] + large["woman"][:6], PromotionState.APPROVED)
    report = adverse_impact(category="gender", cycles=cycles, min_group=5)
    for stage in ("nomination", "approval", "overall"):
        groups = by_group(report, stage)
        assert groups["non-binary"]["suppressed"] is True, (stage, groups["non-binary"])
        assert groups["non-binary"]["pool"] is None
    # Large groups are still shown (one more hidden against subtraction): pooled, a pool counts
    # each member once per cycle.
    shown = [g for g in by_group(report, "nomination").values() if not g["suppressed"]]
    assert len(shown) == 2 and {g["pool"] for g in shown} == {60}
    # A pooled group of 5 member-cycles and 1 person stays hidden even where the pools would pass.
    groups = stage_groups(
        {"a": (10, 40), "b": (5, 30), "c": (5, 5)}, min_group=5, people={"a": 8, "b": 6, "c": 1}
    )
    assert [g["group"] for g in groups if g["suppressed"]] == ["b", "c"]


def test_a_group_hidden_in_one_stage_is_hidden_in_every_stage():
    """The second outside review's example: approval hides the non-binary group (1 of 3), but
    nomination (3 of 20) and overall (1 of 20) would publish that 1 of its 3 nominees was
    approved. A group hidden in one stage is hidden in all, with what subtraction needs."""
    counts = {
        "nomination": {"nb": (3, 20), "w": (20, 60), "m": (25, 60)},
        "approval": {"nb": (1, 3), "w": (12, 20), "m": (15, 25)},
        "overall": {"nb": (1, 20), "w": (12, 60), "m": (15, 60)},
    }
    people = {stage: {code: pool for code, (_, pool) in c.items()} for stage, c in counts.items()}
    stages = stages_of(counts, people, min_group=5)
    for stage, groups in stages.items():
        hidden = {g["group"] for g in groups if g["suppressed"]}
        assert "nb" in hidden, stage
        assert len(hidden) >= 2, stage  # and one more: nb = total - the others otherwise
    # Each stage on its own would have published the non-binary group at nomination.
    alone = stage_groups(counts["nomination"], min_group=5, people=people["nomination"])
    assert not {g["group"]: g for g in alone}["nb"]["suppressed"]


def test_the_impact_ratio_is_over_the_highest_published_rate():
    groups = {
        g["group"]: g
        for g in stage_groups({"a": (20, 40), "b": (10, 40), "c": (3, 3), "d": (3, 4)}, min_group=5)
    }
    # c and d (rates 1.0 and 0.75) are hidden: a's 0.5 is the highest published rate.
    assert groups["a"]["impact_ratio"] == 1.0 and groups["b"]["impact_ratio"] == 0.5


@pytest.mark.django_db
def test_eligibility_is_reconstructed_as_of_the_cycle_opening():
    cycle = make_cycle()
    pm, senior = Level.objects.get(code="pm"), Level.objects.get(code="senior-pm")
    long_enough = make_members(1, since=OPEN_ON - timedelta(days=400))[0]
    too_new = make_members(1, since=OPEN_ON - timedelta(days=100))[0]
    joined_later = make_members(1, since=OPEN_ON + timedelta(days=10))[0]
    # Promoted to senior-pm after the opening: on the opening day a pm since 2022.
    promoted_later = make_members(1, level="senior-pm", since=OPEN_ON + timedelta(days=60))[0]
    earlier = Promotion.objects.create(
        candidate=promoted_later,
        from_level=pm,
        to_level=senior,
        nominated_by=factories.UserFactory(),
        justification="x",
        state=PromotionState.APPROVED,
        from_level_since=date(2022, 1, 1),
    )
    LevelChange.objects.create(
        member=promoted_later,
        from_level=pm,
        to_level=senior,
        effective_date=OPEN_ON + timedelta(days=60),
        promotion=earlier,
    )
    # On a management-only cycle's opening no pm has a move on its tracks.
    eligible = eligible_on(cycle=cycle)
    assert long_enough.pk in eligible and promoted_later.pk in eligible
    assert too_new.pk not in eligible and joined_later.pk not in eligible
    assert (
        eligible_on(cycle=make_cycle(name="mgmt", tracks=("management",)))
        & {
            long_enough.pk,
            promoted_later.pk,
        }
        == set()
    )


# --- The API ------------------------------------------------------------------------------------


@pytest.fixture
def report_people(db):
    return {
        "analyst": factories.people_analyst(),
        "hr": factories.hr_user(),
        "committee": factories.committee_member(),
        "executive": factories.executive(),
        "member": factories.MemberFactory().user,
        "superuser": factories.UserFactory(is_superuser=True, is_staff=True),
    }


URL = "/api/v1/analytics/adverse-impact/"


@pytest.mark.parametrize("role", ["hr", "committee", "executive", "member", "superuser"])
def test_adverse_impact_is_for_people_analytics_only(report_people, as_user, role):
    cycle = make_cycle()
    response = as_user(report_people[role]).get(URL, {"category": "gender", "cycles": cycle.pk})
    assert response.status_code == 403
    assert response.json()["code"] == "people_analytics_only"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cycles": "last:1"}, "unknown_category"),
        ({"category": "shoe_size", "cycles": "last:1"}, "unknown_category"),
        ({"category": "gender"}, "invalid_cycles"),
        ({"category": "gender", "cycles": "last:0"}, "invalid_cycles"),
        ({"category": "gender", "cycles": "last:21"}, "invalid_cycles"),
        ({"category": "gender", "cycles": "1,x"}, "invalid_cycles"),
        ({"category": "gender", "cycles": "999999"}, "invalid_cycles"),
        ({"category": "gender", "cycles": ",".join(["1"] * 21)}, "invalid_cycles"),
    ],
)
def test_adverse_impact_refuses_bad_parameters(report_people, as_user, params, code):
    make_cycle()
    response = as_user(report_people["analyst"]).get(URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_adverse_impact_for_people_analytics(report_people, as_user):
    first, second = make_cycle(), make_cycle(name="2025 H2", open_on=date(2025, 9, 1))
    draft = make_cycle(name="draft", open_on=date(2026, 3, 1))
    Cycle.objects.filter(pk=draft.pk).update(state=CycleState.DRAFT)
    women, men = make_members(10), make_members(10)
    give(women, "gender", "woman")
    give(men, "gender", "man")
    decide(first, women[:2] + men[:5], PromotionState.APPROVED)
    decide(second, women[2:5], PromotionState.REJECTED)  # five decided: approval shows them
    client = as_user(report_people["analyst"])
    response = client.get(URL, {"category": "gender", "cycles": "last:5"})
    assert response.status_code == 200
    body = response.json()
    assert body["cycles"] == [first.pk, second.pk] and body["min_group"] == 5
    assert [s["stage"] for s in body["stages"]] == ["nomination", "approval", "overall"]
    nomination = by_group(body, "nomination")
    # 10 eligible in each of two cycles: pools of 20.
    assert (nomination["woman"]["selected"], nomination["woman"]["pool"]) == (5, 20)
    assert (nomination["man"]["selected"], nomination["man"]["pool"]) == (5, 20)
    overall = by_group(body, "overall")
    assert overall["woman"]["rate"] == 0.1 and overall["man"]["rate"] == 0.25
    assert overall["woman"]["four_fifths"] is True
    assert set(overall["woman"]) == {
        "group",
        "selected",
        "pool",
        "rate",
        "impact_ratio",
        "four_fifths",
        "fisher_p",
        "shortfall",
        "suppressed",
    }
    # The first cycle alone decided two women: too few at approval, so hidden in every stage
    # (nomination and overall would give approval's numbers away), and the men with them.
    one = client.get(URL, {"category": "gender", "cycles": f"{first.pk}"}).json()
    for stage in ("nomination", "approval", "overall"):
        assert by_group(one, stage)["woman"]["suppressed"] is True, stage


def test_the_admin_page_refuses_bad_parameters_and_other_roles(report_people, client):
    page = "/admin/analytics/demographicchoice/adverse-impact/"
    csv = "/admin/analytics/demographicchoice/adverse-impact.csv"
    for role in ("hr", "superuser"):
        client.force_login(report_people[role])
        assert client.get(page).status_code == 403
        assert client.get(csv, {"category": "gender", "cycles": "last:1"}).status_code == 403
    client.force_login(report_people["analyst"])
    assert client.get(page).status_code == 200  # the form alone
    refused = client.get(page, {"category": "gender", "cycles": "last:99"})
    assert refused.status_code == 200 and b"errornote" in refused.content
    assert b"Download CSV" not in refused.content
    assert client.get(csv, {"category": "gender", "cycles": "999999"}).status_code == 400
    assert client.get(csv, {"category": "shoe_size", "cycles": "last:1"}).status_code == 400
    cycle = make_cycle()
    women = make_members(6)
    give(women, "gender", "=cmd|calc")  # not a slug in the admin; the CSV escapes it anyway
    decide(cycle, women[:5], PromotionState.APPROVED)  # five decided: shown in every stage
    answer = client.get(csv, {"category": "gender", "cycles": str(cycle.pk)})
    text = answer.content.decode()
    assert answer.status_code == 200 and text.startswith("\ufeffstage,group,selected")
    assert "nomination,'=cmd|calc,5,6," in text
