"""Suppression of a cycle's statistics (docs/design.md, "Cycles", "Stats"): no published group of
fewer than `min_group` candidates, suppressed groups blank, published cells true, and no suppressed
group recoverable by subtraction from what is published.

The last property is checked here with a method independent of production's (which asks whether
each unit vector lies in the row space of the sums, promotions/cycles/suppression.py): from the
published output alone plus the structure every reader knows (each level's track; levels, tracks and
organisations each partition the cycle; a track is the sum of its levels), the linear system over
the suppressed groups is built, and an unknown is determined iff removing its column lowers the
rank (rank(A) == rank(A without column k) + 1). Undetermined unknowns are also shown so by a
null-space vector with a non-zero component there: two assignments agreeing on everything
published that differ on that group."""

from collections.abc import Sequence
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promotions.cycles.calibration import CELLS, Case, stats_of_cases

IC = ("associate-pm", "pm", "senior-pm", "lead-pm", "principal-pm")
MANAGEMENT = ("group-pm", "head-of-product", "vp-product", "cpo")
LEVEL_ORDER = [(code, "ic") for code in IC] + [(code, "management") for code in MANAGEMENT]
TRACK_OF = dict(LEVEL_ORDER)
TRACKS = ("ic", "management")
STATES = (
    "nominated",
    "in_review",
    "changes_requested",
    "awaiting_executive",
    "appealed",
    "approved",
    "rejected",
    "upheld",
    "withdrawn",
)
OPEN = {"nominated", "in_review", "changes_requested", "awaiting_executive", "appealed"}
DECIDED = {"approved", "rejected", "upheld"}
# Where a case may have been appealed (an approval: overturned on appeal).
APPEALABLE = {"appealed", "approved", "upheld"}
# Cells that add up across a breakdown: the ones a reader could subtract. (`candidates` does
# not when someone has two cases in different groups; rate and median never do.)
ADDITIVE = ("nominated", "approved", "rejected", "withdrawn", "open", "appealed", "overturned")


# --- Exact linear algebra, written for this test ---------------------------------------------


def rank(matrix: Sequence[Sequence[Fraction]]) -> int:
    """Rank by forward elimination (no back substitution), exact."""
    rows = [list(row) for row in matrix if any(row)]
    if not rows:
        return 0
    width = len(rows[0])
    r = 0
    for column in range(width):
        pivot = next((i for i in range(r, len(rows)) if rows[i][column] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        for i in range(r + 1, len(rows)):
            if rows[i][column] != 0:
                factor = rows[i][column] / rows[r][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
        r += 1
        if r == len(rows):
            break
    return r


def null_space(matrix: Sequence[Sequence[Fraction]], width: int) -> list[list[Fraction]]:
    """A basis of {v : A v = 0}: one vector per free column of the reduced echelon form."""
    rows = [list(row) for row in matrix]
    pivots: list[int] = []
    r = 0
    for column in range(width):
        pivot = next((i for i in range(r, len(rows)) if rows[i][column] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        lead = rows[r][column]
        rows[r] = [value / lead for value in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][column] != 0:
                factor = rows[i][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(column)
        r += 1
    basis = []
    for free in (c for c in range(width) if c not in pivots):
        vector = [Fraction(0)] * width
        vector[free] = Fraction(1)
        for row_index, column in enumerate(pivots):
            vector[column] = -rows[row_index][free]
        basis.append(vector)
    return basis


def test_the_linear_algebra_of_this_test():
    one, zero = Fraction(1), Fraction(0)
    # x0 + x1 = a, x1 = b: both determined.
    a = [[one, one], [zero, one]]
    assert rank(a) == 2 and null_space(a, 2) == []
    # x0 - x1 = a: neither.
    b = [[one, -one]]
    assert rank(b) == 1
    assert null_space(b, 2) == [[one, one]]
    # x0 - x1 - x2 = a, x1 + x2 = b: x0 determined, x1 and x2 not.
    c = [[one, -one, -one], [zero, one, one]]
    assert [rank(c) == rank([row[:k] + row[k + 1 :] for row in c]) + 1 for k in range(3)] == [
        True,
        False,
        False,
    ]
    (v,) = null_space(c, 3)
    assert v[0] == 0 and v[1] != 0 and v[2] != 0


# --- Reading the published output as a reader would ------------------------------------------


def groups_of(stats: dict) -> dict[tuple[str, str], dict]:
    """Every group of the output by key: ("total", ""), ("level", code), ("track", track),
    ("org", label)."""
    groups = {("total", ""): stats["totals"]}
    groups.update({("level", row["level"]): row for row in stats["by_level"]})
    groups.update({("track", row["track"]): row for row in stats["by_track"]})
    groups.update({("org", row["organisation"]): row for row in stats["by_organisation"]})
    return groups


def relations(stats: dict) -> list[dict[tuple[str, str], int]]:
    """The sums every reader knows, as {group: coefficient} with each relation equal to 0."""
    total = ("total", "")
    levels = [("level", row["level"]) for row in stats["by_level"]]
    tracks = [("track", row["track"]) for row in stats["by_track"]]
    orgs = [("org", row["organisation"]) for row in stats["by_organisation"]]
    found = []
    for breakdown in (levels, tracks, orgs):
        found.append({total: 1, **dict.fromkeys(breakdown, -1)})
    for track in tracks:
        found.append({track: 1, **{lv: -1 for lv in levels if TRACK_OF[lv[1]] == track[1]}})
    return found


def system_over_suppressed(stats: dict):
    """(unknowns, A): the coefficients of the suppressed groups in every relation (the published
    groups are known, so they only move the right-hand side)."""
    groups = groups_of(stats)
    unknowns = sorted(key for key, row in groups.items() if row["suppressed"])
    matrix = []
    for relation in relations(stats):
        row = [Fraction(relation.get(key, 0)) for key in unknowns]
        if any(row):
            matrix.append(row)
    return unknowns, matrix


def recoverable_by_rank(stats: dict) -> list[tuple[str, str]]:
    """The suppressed groups a reader can compute: those whose column is not in the span of the
    others (the column criterion)."""
    unknowns, matrix = system_over_suppressed(stats)
    full = rank(matrix)
    determined = []
    for k, key in enumerate(unknowns):
        without = [row[:k] + row[k + 1 :] for row in matrix]
        if full == rank(without) + 1:
            determined.append(key)
    return determined


def assert_none_recoverable(stats: dict, true_values: dict | None = None) -> None:
    unknowns, matrix = system_over_suppressed(stats)
    assert recoverable_by_rank(stats) == []
    kernel = null_space(matrix, len(unknowns))
    for k, key in enumerate(unknowns):
        witness = next((v for v in kernel if v[k] != 0), None)
        assert witness is not None, f"{key} is recoverable"
        if true_values is None:
            continue
        # Two worlds agreeing on every published number and relation, differing on `key`.
        for cell in ADDITIVE:
            world = {u: Fraction(true_values[u][cell]) for u in unknowns}
            other = {u: world[u] + witness[i] for i, u in enumerate(unknowns)}
            assert other[key] != world[key]
            for relation in relations(stats):
                published = sum(
                    coefficient * true_values[g][cell]
                    for g, coefficient in relation.items()
                    if g not in world
                )
                assert (
                    published
                    + sum(
                        coefficient * other[g] for g, coefficient in relation.items() if g in world
                    )
                    == 0
                )


# --- True values, computed here ---------------------------------------------------------------


def true_cells(cases: list[Case]) -> dict:
    approved = sum(1 for c in cases if c.state == "approved")
    rejected = sum(1 for c in cases if c.state in ("rejected", "upheld"))
    days = sorted(c.days_to_decision for c in cases if c.days_to_decision is not None)
    if days:
        middle = len(days) // 2
        median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
        median = round(median, 1)
    else:
        median = None
    return {
        "candidates": len({c.candidate for c in cases}),
        "nominated": len(cases),
        "approved": approved,
        "rejected": rejected,
        "withdrawn": sum(1 for c in cases if c.state == "withdrawn"),
        "open": sum(1 for c in cases if c.state in OPEN),
        "approval_rate": round(approved / (approved + rejected), 3)
        if approved + rejected
        else None,
        "median_days_to_decision": median,
        "appealed": sum(1 for c in cases if c.appealed),
        "overturned": sum(1 for c in cases if c.appealed and c.state == "approved"),
    }


def true_groups(cases: list[Case], labels: dict[str, str]) -> dict[tuple[str, str], dict]:
    members: dict[tuple[str, str], list[Case]] = {("total", ""): list(cases)}
    for case in cases:
        members.setdefault(("level", case.level), []).append(case)
        members.setdefault(("track", TRACK_OF[case.level]), []).append(case)
        members.setdefault(("org", labels[case.organisation]), []).append(case)
    return {key: true_cells(group) for key, group in members.items()}


def check(cases: list[Case], labels: dict[str, str], min_group: int) -> dict:
    stats = stats_of_cases(
        cases=cases, level_order=LEVEL_ORDER, organisations=labels, min_group=min_group
    )
    truth = true_groups(cases, labels)
    published = groups_of(stats)
    assert stats["min_group"] == min_group
    # Exactly the groups that exist, each once, in the documented order.
    present_levels = [code for code, _ in LEVEL_ORDER if ("level", code) in truth]
    assert [row["level"] for row in stats["by_level"]] == present_levels
    assert [row["track"] for row in stats["by_track"]] == [
        t for t in TRACKS if ("track", t) in truth
    ]
    assert [row["organisation"] for row in stats["by_organisation"]] == sorted(
        key[1] for key in truth if key[0] == "org"
    )
    assert set(published) == set(truth)
    for key, row in published.items():
        assert set(row) - {"level", "track", "organisation"} == {*CELLS, "suppressed"}
        if row["suppressed"]:
            # (b) every cell blank, the size included
            assert all(row[cell] is None for cell in CELLS), key
        else:
            # (a) never a group (nor the totals) of fewer than min_group candidates
            assert row["candidates"] >= min_group, key
            # (c) the true values
            assert {cell: row[cell] for cell in CELLS} == truth[key], key
        if truth[key]["candidates"] < min_group:
            assert row["suppressed"], key
    # (d) no suppressed group follows from the published ones (an empty cycle lists no group:
    # that it is empty, its zero total, is all there is to know)
    if cases:
        assert_none_recoverable(stats, truth)
    # (e) nor do the bounds pin them: every listed group has at least one candidate, so where a
    # published sum's hidden parts hold no more candidates than there are parts (or fewer than
    # min_group), each part's size would follow.
    for relation in relations(stats):
        total = next(key for key, sign in relation.items() if sign == 1)
        hidden = [
            key for key, sign in relation.items() if sign == -1 and published[key]["suppressed"]
        ]
        if hidden and not published[total]["suppressed"]:
            combined = sum(truth[key]["candidates"] for key in hidden)
            assert combined >= min_group and combined > len(hidden), (total, hidden, combined)
    return stats


# --- The property ------------------------------------------------------------------------------


@st.composite
def cycles(draw):
    min_group = draw(st.integers(1, 8))
    n_orgs = draw(st.integers(1, 6))
    # Labels in an order unrelated to the keys, to see the breakdown sorted by label.
    names = draw(st.permutations(["Atlas", "Borealis", "Cirrus", "Delta", "Echo", "Fjord"]))
    labels = {str(100 + i): names[i] for i in range(n_orgs)}
    # A few levels per cycle: concentrated cycles as well as spread ones.
    levels = draw(
        st.lists(st.sampled_from([code for code, _ in LEVEL_ORDER]), min_size=1, unique=True)
    )
    case_of = st.tuples(
        st.sampled_from(levels),
        st.sampled_from(STATES),
        st.integers(0, 240).map(lambda halves: halves / 2),
        st.booleans(),
    )
    people = draw(
        st.lists(
            st.tuples(st.sampled_from(sorted(labels)), st.lists(case_of, min_size=1, max_size=2)),
            max_size=30,
        )
    )
    cases = [
        Case(
            candidate=person,
            level=level,
            track=TRACK_OF[level],
            organisation=org,
            state=state,
            days_to_decision=days if state in DECIDED else None,
            appealed=state == "upheld" or (appealed and state in APPEALABLE),
        )
        for person, (org, own) in enumerate(people)
        for level, state, days, appealed in own
    ]
    return cases[:60], labels, min_group


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cycles())
def test_published_stats_are_true_large_enough_and_hide_what_they_suppress(cycle):
    cases, labels, min_group = cycle
    check(cases, labels, min_group)


# --- Examples ----------------------------------------------------------------------------------

LABELS = {"1": "North", "2": "South"}


def many(level: str, n: int, *, start: int, org: str = "1", state: str = "approved") -> list:
    return [
        Case(
            candidate=start + i,
            level=level,
            track=TRACK_OF[level],
            organisation=org,
            state=state,
            days_to_decision=10.0 if state in DECIDED else None,
        )
        for i in range(n)
    ]


def suppressed(stats: dict, breakdown: str, name: str) -> set[str]:
    return {row[name] for row in stats[breakdown] if row["suppressed"]}


def test_one_small_level_beside_a_big_total_hides_a_second_level():
    # One track, two organisations of 6: the total (12) minus pm (10) would give senior-pm (2).
    cases = many("pm", 6, start=0, org="1") + many("pm", 4, start=6, org="2")
    cases += many("senior-pm", 2, start=10, org="2", state="rejected")
    stats = check(cases, LABELS, 5)
    assert suppressed(stats, "by_level", "level") == {"pm", "senior-pm"}
    assert not stats["totals"]["suppressed"] and stats["totals"]["candidates"] == 12
    assert suppressed(stats, "by_track", "track") == set()
    assert suppressed(stats, "by_organisation", "organisation") == set()


def test_one_suppressed_level_inside_a_published_track_hides_another_of_that_track():
    # ic = pm 10 + senior-pm 3 + lead-pm 8 is published: senior-pm = ic - pm - lead-pm.
    cases = many("pm", 10, start=0) + many("senior-pm", 3, start=10, org="2")
    cases += many("lead-pm", 8, start=13) + many("group-pm", 10, start=21, org="2")
    stats = check(cases, LABELS, 5)
    hidden_ic = suppressed(stats, "by_level", "level") & set(IC)
    assert "senior-pm" in hidden_ic and len(hidden_ic) >= 2
    ic = next(row for row in stats["by_track"] if row["track"] == "ic")
    assert not ic["suppressed"] and ic["candidates"] == 21


def test_a_small_organisation_hides_a_second_organisation():
    labels = {"1": "North", "2": "South", "3": "West"}
    cases = many("pm", 9, start=0, org="1") + many("pm", 7, start=9, org="2")
    cases += many("pm", 2, start=16, org="3")
    stats = check(cases, labels, 5)
    assert suppressed(stats, "by_organisation", "organisation") == {"West", "South"}
    assert not stats["totals"]["suppressed"]


def test_a_track_of_one_level_hides_with_it():
    # management = group-pm alone: hiding one and publishing the other would give it away.
    cases = many("pm", 10, start=0) + many("group-pm", 3, start=10, org="2")
    stats = check(cases, LABELS, 5)
    assert "group-pm" in suppressed(stats, "by_level", "level")
    assert "management" in suppressed(stats, "by_track", "track")


def test_two_hidden_levels_of_one_candidate_each_are_not_left_for_the_bounds_to_pin():
    """Five rejected at pm, one approved at senior-pm, one at lead-pm (an outside review's case):
    7 − 5 = 2 candidates over two listed groups would be one each, both approved."""
    cases = many("pm", 5, start=0, state="rejected")
    cases += many("senior-pm", 1, start=5) + many("lead-pm", 1, start=6)
    stats = check(cases, {"1": "North"}, min_group=5)
    assert suppressed(stats, "by_level", "level") == {"pm", "senior-pm", "lead-pm"}


def test_a_cycle_below_min_group_suppresses_everything_totals_included():
    cases = many("pm", 2, start=0) + many("group-pm", 2, start=2, org="2", state="withdrawn")
    stats = check(cases, LABELS, 5)
    assert stats["totals"] == {**dict.fromkeys(CELLS), "suppressed": True}
    for breakdown in ("by_level", "by_track", "by_organisation"):
        assert stats[breakdown] and all(row["suppressed"] for row in stats[breakdown])


def test_an_empty_cycle_publishes_no_group_and_suppressed_totals():
    stats = check([], LABELS, 5)
    assert stats["totals"]["suppressed"]
    assert stats["by_level"] == stats["by_track"] == stats["by_organisation"] == []


def test_someone_nominated_twice_counts_once_among_candidates():
    first = many("pm", 5, start=0, state="withdrawn")
    again = many("pm", 5, start=0, state="approved")  # the same five, nominated again
    stats = check(first + again, {"1": "North"}, 5)
    assert stats["totals"]["candidates"] == 5 and stats["totals"]["nominated"] == 10
    assert stats["totals"]["approval_rate"] == 1.0


@pytest.mark.parametrize("min_group", [1, 2])
def test_a_min_group_of_one_or_two_publishes_every_nonempty_group(min_group):
    cases = many("pm", 2, start=0) + many("cpo", 3, start=2, org="2", state="rejected")
    stats = check(cases, LABELS, min_group)
    groups = groups_of(stats)
    assert not any(row["suppressed"] for row in groups.values())
    assert groups[("total", "")]["median_days_to_decision"] == 10.0
    assert groups[("total", "")]["approval_rate"] == 0.4
