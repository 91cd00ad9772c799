"""Adverse impact of promotion cycles on the groups of one demographic category (docs/analytics.md).

Per group (a choice code) and per stage:
- `nomination`: nominated / eligible,
- `approval`: approved / decided (approved, rejected or upheld),
- `overall`: approved / eligible,
counted per member and cycle and summed over the cycles chosen. Each group's rate, its impact
ratio (its rate over the highest published rate), whether it falls under four fifths of it,
Fisher's exact two-sided p of the group against all other groups (scipy), and the shortfall:
the selections it lacks to reach four fifths of the highest rate. Groups too small to publish are
suppressed as the cycle statistics are (promotions.cycles.suppression: one home for the rule).

Reads only: no writes, no personal row leaves this module (only counts per choice code)."""

import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings

from analytics.demographics import category_codes
from analytics.errors import InvalidCycles, UnknownCategory
from analytics.models import DemographicValue
from ladder.models import Level, LevelChange, LevelTransition, Member
from promotions.cycles.suppression import Sum, suppressed_keys
from promotions.eligibility import months_between
from promotions.models import Cycle, CycleState, Promotion, PromotionState

STAGES = ("nomination", "approval", "overall")
FOUR_FIFTHS = Fraction(4, 5)
MAX_CYCLES = 20
DECIDED = (PromotionState.APPROVED, PromotionState.REJECTED, PromotionState.UPHELD)
TOTAL = ("total",)  # the key of a stage's total in the suppression's sums


# --- Parameters ---------------------------------------------------------------------------------


def category_checked(value: str | None) -> str:
    if not value or value not in category_codes():
        raise UnknownCategory(
            "Give `category`, one of: " + ", ".join(category_codes()) + ".",
        )
    return value


def cycles_chosen(value: str | None) -> list[Cycle]:
    """`cycles`: ids separated by commas (at most 20, each a cycle past its draft), or `last:N`
    (1 ≤ N ≤ 20): the N latest such cycles by their opening date. 400 invalid_cycles."""
    value = (value or "").strip()
    shown = Cycle.objects.exclude(state=CycleState.DRAFT)
    if value.startswith("last:"):
        count = value.removeprefix("last:")
        if not (count.isascii() and count.isdigit() and 1 <= int(count) <= MAX_CYCLES):
            raise InvalidCycles(f"`last:N` takes N from 1 to {MAX_CYCLES}.")
        chosen = list(shown.order_by("-nominations_open_on", "-id")[: int(count)])
        if not chosen:
            raise InvalidCycles("There is no cycle past its draft yet.")
        return sorted(chosen, key=lambda cycle: cycle.pk)
    parts = value.split(",") if value else []
    if not parts or len(parts) > MAX_CYCLES:
        raise InvalidCycles(
            f"Give from 1 to {MAX_CYCLES} cycle ids separated by commas, or last:N."
        )
    if not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
        raise InvalidCycles("Cycle ids are whole numbers.")
    ids = sorted({int(p) for p in parts})
    chosen = list(shown.filter(pk__in=ids).order_by("pk"))
    if len(chosen) != len(ids):
        missing = sorted(set(ids) - {cycle.pk for cycle in chosen})
        raise InvalidCycles(f"No such cycle (or still a draft): {missing}.")
    return chosen


# --- Who was eligible ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one cycle did for one member."""

    eligible: bool
    nominated: bool
    decided: bool
    approved: bool


def eligible_on(*, cycle: Cycle) -> set[int]:
    """The members eligible for a next level on the cycle's tracks on its `nominations_open_on`
    (D), their level and time in level reconstructed from career history:
    - the level held on D: the `from_level` of the first level change after D, else the current
      level;
    - held since: the latest level change on or before D, else (a change after D) the
      `from_level_since` its promotion recorded, else the member's `level_since`; a member who
      reached that level after D (or whose date is unknown) was not eligible;
    - eligible: an active move from that level to a level of the cycle's tracks, and at least the
      level's `min_months_in_level` whole months held on D (0: no minimum);
    - active now: a member who has left counts only if nominated in the cycle.
    Promotions of this cycle do not count against anyone; other open promotions are not
    reconstructed (docs/analytics.md)."""
    day = cycle.nominations_open_on
    levels = Level.objects.in_bulk()
    moves: dict[int, list[int]] = defaultdict(list)
    for from_id, to_id in LevelTransition.objects.filter(is_active=True).values_list(
        "from_level_id", "to_level_id"
    ):
        moves[from_id].append(to_id)
    changes: dict[int, list[tuple]] = defaultdict(list)
    for member_id, when, from_id, since in LevelChange.objects.order_by(
        "member_id", "effective_date", "id"
    ).values_list("member_id", "effective_date", "from_level_id", "promotion__from_level_since"):
        changes[member_id].append((when, from_id, since))
    eligible = set()
    for member_id, level_id, level_since in Member.objects.filter(is_active=True).values_list(
        "id", "level_id", "level_since"
    ):
        history = changes.get(member_id, [])
        before = [change for change in history if change[0] <= day]
        after = [change for change in history if change[0] > day]
        level = levels[after[0][1]] if after else levels[level_id]
        if before:
            since = before[-1][0]
        elif after:
            since = after[0][2]
        else:
            since = level_since
        if since is None or since > day:
            continue
        targets = [levels[to_id] for to_id in moves.get(level.pk, [])]
        if not any(cycle.takes(target.track) for target in targets):
            continue
        if level.min_months_in_level and months_between(since, day) < level.min_months_in_level:
            continue
        eligible.add(member_id)
    return eligible


def outcomes(*, cycle: Cycle) -> dict[int, Outcome]:
    """Each member in the cycle's pool: the eligible, and everyone it nominated."""
    nominated, decided, approved = set(), set(), set()
    for candidate_id, state in Promotion.objects.filter(cycle=cycle).values_list(
        "candidate_id", "state"
    ):
        nominated.add(candidate_id)
        if state in DECIDED:
            decided.add(candidate_id)
        if state == PromotionState.APPROVED:
            approved.add(candidate_id)
    eligible = eligible_on(cycle=cycle) | nominated
    return {
        member: Outcome(
            eligible=True,
            nominated=member in nominated,
            decided=member in decided,
            approved=member in approved,
        )
        for member in eligible
    }


# --- The statistics -----------------------------------------------------------------------------


def fisher_p(selected: int, pool: int, other_selected: int, other_pool: int) -> float:
    """Fisher's exact two-sided p of a group (selected of pool) against the others."""
    table = [[selected, pool - selected], [other_selected, other_pool - other_selected]]
    if pool == 0 or other_pool == 0:
        return 1.0
    # Imported here: scipy takes half a second to import, and the admin imports this module in
    # every process (each manage.py command, worker and web process), nearly all never asking.
    from scipy.stats import fisher_exact

    return float(fisher_exact(table, alternative="two-sided").pvalue)


def stage_groups(
    counts: dict[str, tuple[int, int]], *, min_group: int, people: dict[str, int] | None = None
) -> list[dict]:
    """One stage's groups from {choice code: (selected, pool)}, in code order. `people`: the
    distinct members in each group's pool, what suppression counts (a member eligible in three
    pooled cycles is three in the pool but one person); by default the pools (one cycle)."""
    sizes: dict = dict(people) if people is not None else {c: p for c, (_, p) in counts.items()}
    sizes[TOTAL] = sum(sizes.values())
    # The total over the members who gave a value is taken as known: no suppressed group may
    # be recovered from it by subtraction.
    hidden = suppressed_keys(
        sizes=sizes, sums=[Sum(TOTAL, tuple(sorted(counts)))], min_group=min_group
    )
    rates = {code: Fraction(s, p) for code, (s, p) in counts.items() if p}
    published = [code for code in counts if code not in hidden]
    best = max((rates[code] for code in published if code in rates), default=None)
    all_selected = sum(s for s, _ in counts.values())
    all_pool = sum(pool for _, pool in counts.values())
    groups = []
    for code in sorted(counts):
        selected, pool = counts[code]
        if code in hidden:
            groups.append(
                {
                    "group": code,
                    **dict.fromkeys(
                        ("selected", "pool", "rate", "impact_ratio", "four_fifths"), None
                    ),
                    **dict.fromkeys(("fisher_p", "shortfall"), None),
                    "suppressed": True,
                }
            )
            continue
        rate = rates.get(code)
        ratio = rate / best if rate is not None and best else None
        needed = math.ceil(FOUR_FIFTHS * best * pool) if best is not None else 0
        groups.append(
            {
                "group": code,
                "selected": selected,
                "pool": pool,
                "rate": None if rate is None else round(float(rate), 4),
                "impact_ratio": None if ratio is None else round(float(ratio), 4),
                "four_fifths": bool(ratio is not None and ratio < FOUR_FIFTHS),
                "fisher_p": fisher_p(selected, pool, all_selected - selected, all_pool - pool),
                "shortfall": max(needed - selected, 0),
                "suppressed": False,
            }
        )
    return groups


def group_counts(
    *, category: str, cycles: list[Cycle]
) -> tuple[dict[str, dict[str, tuple[int, int]]], dict[str, dict[str, int]]]:
    """({stage: {choice code: (selected, pool)}}, {stage: {choice code: distinct members}}),
    summed over the cycles: each member counted once per cycle in the pool, once in the distinct
    members, in the group of their current value (none given: in no group)."""
    values = dict(
        DemographicValue.objects.filter(category=category).values_list("member_id", "choice__code")
    )
    tally: dict[str, dict[str, list[int]]] = {
        stage: defaultdict(lambda: [0, 0]) for stage in STAGES
    }
    members: dict[str, dict[str, set[int]]] = {stage: defaultdict(set) for stage in STAGES}
    for cycle in cycles:
        for member, outcome in outcomes(cycle=cycle).items():
            code = values.get(member)
            if code is None:
                continue
            stages = [
                ("nomination", outcome.nominated),
                ("overall", outcome.approved),
                *([("approval", outcome.approved)] if outcome.decided else []),
            ]
            for stage, selected in stages:
                tally[stage][code][0] += selected
                tally[stage][code][1] += 1
                members[stage][code].add(member)
    # Every group that appears in some stage appears in each (a pool of 0 where none).
    codes = set().union(*(tally[stage].keys() for stage in STAGES))
    counts = {
        stage: {code: tuple(tally[stage].get(code, (0, 0))) for code in codes}  # type: ignore[misc]
        for stage in STAGES
    }
    people = {
        stage: {code: len(members[stage].get(code, ())) for code in codes} for stage in STAGES
    }
    return counts, people


def adverse_impact(*, category: str, cycles: list[Cycle], min_group: int | None = None) -> dict:
    """The report: `{"category", "cycles", "min_group", "stages": [{"stage", "groups"}]}`."""
    min_group = settings.ANALYTICS_MIN_GROUP if min_group is None else min_group
    counts, people = group_counts(category=category, cycles=cycles)
    return {
        "category": category,
        "cycles": [cycle.pk for cycle in cycles],
        "min_group": min_group,
        "stages": [
            {"stage": stage, "groups": groups}
            for stage, groups in stages_of(counts, people, min_group=min_group).items()
        ],
    }


def stages_of(
    counts: dict[str, dict[str, tuple[int, int]]],
    people: dict[str, dict[str, int]],
    *,
    min_group: int,
) -> dict[str, list[dict]]:
    """Every stage's groups, a group hidden in one stage hidden in all: the stages share their
    numbers (approval's approved are overall's, its decided nearly nomination's nominated), so a
    group published elsewhere would give away the stage that hid it. Each stage then hides what
    subtraction would reveal of the groups hidden with it, until nothing more is hidden."""
    hidden: set[str] = set()
    while True:
        stages = {
            stage: stage_groups(
                counts[stage],
                min_group=min_group,
                # A group hidden in another stage counts as too small here.
                people={
                    code: min(size, min_group - 1) if code in hidden else size
                    for code, size in people[stage].items()
                },
            )
            for stage in STAGES
        }
        # A group no one of which is in a stage's pool (none decided) gives nothing away there.
        now = {
            g["group"]
            for stage, groups in stages.items()
            for g in groups
            if g["suppressed"] and people[stage].get(g["group"], 0) > 0
        }
        if now <= hidden:
            return stages
        hidden |= now
