"""Reads of one cycle for the committee and HR: the calibration board (candidates side by side),
the statistics (with small groups suppressed) and the decisions export. Each makes the same
number of queries whatever the number of candidates."""

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from core.spreadsheets import csv_cell, spreadsheet_timestamp
from ladder.models import Member, Track
from ladder.selectors import levels_by_id, member_of
from promotions import blind
from promotions.cycles.suppression import Key, Sum, suppressed_keys
from promotions.eligibility import months_between
from promotions.models import OPEN_STATES, Cycle, PacketVersion, Promotion, PromotionState, Review
from promotions.permissions import is_involved_in

RATINGS = ("not_yet", "meets", "exceeds")


# --- Calibration ---------------------------------------------------------------------------------


def _cycle_promotions(cycle: Cycle):
    return (
        Promotion.objects.filter(cycle=cycle)
        .select_related("candidate__user", "from_level", "to_level", "nominated_by")
        .order_by("to_level__rank", "candidate__user__username", "id")
    )


BOARD_COLUMNS = (
    "id",
    "state",
    "packet_version",
    "decided_at",
    "from_level_since",
    "nominated_by_id",
    "candidate_id",
    "candidate__user_id",
    "candidate__manager_id",
    "candidate__level_since",
    "candidate__user__username",
    "candidate__user__first_name",
    "candidate__user__last_name",
    "from_level__code",
    "to_level__code",
    "to_level__track",
    "to_level__rank",
    "nominated_by__username",
    "release_held",
)


def months_in_from_level(
    *, from_level_since: date | None, level_since: date, decided_at, today: date
) -> int:
    """The candidate's months at the level they were nominated from: until today while the
    promotion is open, until its decision once decided."""
    until = decided_at.date() if decided_at else today
    return months_between(from_level_since or level_since, until)


def cycle_calibration(*, cycle: Cycle, viewer, today: date | None = None) -> dict:
    """The calibration board as the API shows it (calibration_board, without each row's
    `recused`: a recused row has null votes and ratings)."""
    board = calibration_board(cycle=cycle, viewer=viewer, today=today)
    for group in board["groups"]:
        for row in group["candidates"]:
            del row["recused"]
    return board


def calibration_board(*, cycle: Cycle, viewer, today: date | None = None) -> dict:
    """The cycle's candidates grouped by target level and track, each with their time in level,
    nominator, state, packet version, the votes on it (counted and stale) and the ratings per
    criterion of the current version. Where the viewer is recused, no votes nor ratings. Four
    queries, read as plain rows: model instances for 500 candidates with their people and levels
    cost three times the query."""
    today = today or timezone.localdate()
    rows = list(_cycle_promotions(cycle).values(*BOARD_COLUMNS))
    reviews = Review.objects.filter(promotion__cycle=cycle).values_list(
        "promotion_id", "packet_version", "decision", "ratings"
    )
    current = {row["id"]: row["packet_version"] for row in rows}
    votes = {pk: {"approve": 0, "reject": 0, "stale": 0} for pk in current}
    ratings: dict[int, dict[str, dict[str, int]]] = {pk: {} for pk in current}
    # Every criterion of each current version, rated or not yet.
    for promotion_id, evidence in PacketVersion.objects.filter(
        promotion__cycle=cycle, promotion__packet_version=F("number")
    ).values_list("promotion_id", "evidence"):
        for item in evidence:
            ratings[promotion_id][item["criterion"]] = dict.fromkeys(RATINGS, 0)
    for promotion_id, version, decision, given in reviews:
        if version != current[promotion_id]:
            votes[promotion_id]["stale"] += 1
            continue
        votes[promotion_id][decision] += 1
        for criterion, rating in given.items():
            counts = ratings[promotion_id].setdefault(criterion, dict.fromkeys(RATINGS, 0))
            counts[rating] += 1
    me = member_of(viewer)
    # A blind cycle's first pass: who the viewer has voted on (promotions/blind.py).
    blinded = cycle.blind_review and blind.may_be_blind(viewer)
    voted = blind.voted_in_cycle(user=viewer, cycle_id=cycle.pk) if blinded else set()
    groups: dict[tuple[str, str], dict] = {}
    for row in rows:
        recused = is_involved_in(
            user_id=viewer.pk,
            member_id=me.pk if me else None,
            candidate_user_id=row["candidate__user_id"],
            nominated_by_id=row["nominated_by_id"],
            candidate_manager_id=row["candidate__manager_id"],
        )
        key = (row["to_level__code"], row["to_level__track"])
        group = groups.setdefault(
            key, {"to_level": key[0], "track": key[1], "rank": row["to_level__rank"], "rows": []}
        )
        is_blind = blinded and not recused and row["id"] not in voted
        group["rows"].append(
            {
                "promotion": row["id"],
                "candidate": {"id": None, "username": None, "name": blind.pseudonym(row["id"])}
                if is_blind
                else {
                    "id": row["candidate_id"],
                    "username": row["candidate__user__username"],
                    "name": Member.name_of(
                        row["candidate__user__first_name"],
                        row["candidate__user__last_name"],
                        row["candidate__user__username"],
                    ),
                },
                "blind": is_blind,
                "from_level": row["from_level__code"],
                # Career history, which a blind reader does not read: with the directory's dates
                # of level, it would name the candidate.
                "months_in_level": None
                if is_blind
                else months_in_from_level(
                    from_level_since=row["from_level_since"],
                    level_since=row["candidate__level_since"],
                    decided_at=row["decided_at"],
                    today=today,
                ),
                "nominated_by": None if is_blind else row["nominated_by__username"],
                # A committee member's own decision held for the release date: not told yet.
                "state": PromotionState.IN_REVIEW
                if row["release_held"] and row["candidate__user_id"] == viewer.pk
                else row["state"],
                "packet_version": row["packet_version"],
                "votes": None if recused else votes[row["id"]],
                "ratings": None if recused else ratings[row["id"]],
                "recused": recused,
            }
        )
    ordered = sorted(groups.values(), key=lambda g: (g["rank"], g["track"]))
    if blinded:  # by the names shown: the order by username would tell them
        for group in ordered:
            group["rows"].sort(key=lambda row: (row["candidate"]["name"], row["promotion"]))
    return {
        "cycle": cycle.pk,
        "groups": [
            {"to_level": g["to_level"], "track": g["track"], "candidates": g["rows"]}
            for g in ordered
        ],
    }


# --- Statistics ----------------------------------------------------------------------------------

CELLS = (
    "candidates",
    "nominated",
    "approved",
    "rejected",
    "withdrawn",
    "open",
    "approval_rate",
    "median_days_to_decision",
    "appealed",
    "overturned",
)


@dataclass(frozen=True)
class Case:
    """One nomination of the cycle, as the statistics see it."""

    candidate: int
    level: str
    track: str
    organisation: str
    state: str
    days_to_decision: float | None
    appealed: bool = False  # its rejection was appealed (promotions/appeals/)


def cells(cases: list[Case]) -> dict:
    """The counts, approval rate and median days of a group of cases."""
    by_state = Counter(c.state for c in cases)  # one pass; a missing state counts 0
    # A rejection upheld on appeal is a rejection; one overturned on appeal, an approval.
    approved = by_state[PromotionState.APPROVED]
    rejected = by_state[PromotionState.REJECTED] + by_state[PromotionState.UPHELD]
    decided = [c.days_to_decision for c in cases if c.days_to_decision is not None]
    return {
        "candidates": len({c.candidate for c in cases}),
        "nominated": len(cases),
        "approved": approved,
        "rejected": rejected,
        "withdrawn": by_state[PromotionState.WITHDRAWN],
        "open": sum(by_state[state] for state in OPEN_STATES),
        "approval_rate": round(approved / (approved + rejected), 3)
        if approved + rejected
        else None,
        "median_days_to_decision": round(statistics.median(decided), 1) if decided else None,
        "appealed": sum(c.appealed for c in cases),
        "overturned": sum(c.appealed and c.state == PromotionState.APPROVED for c in cases),
    }


def _published(values: dict, suppressed: bool) -> dict:
    if suppressed:
        return {**dict.fromkeys(CELLS), "suppressed": True}
    return {**values, "suppressed": False}


def stats_of_cases(
    *,
    cases: list[Case],
    level_order: list[tuple[str, str]],
    organisations: dict[str, str],
    min_group: int,
) -> dict:
    """The statistics of a cycle's cases: totals, by level, by track, by organisation, with every
    group of fewer than `min_group` candidates suppressed and, complementary, as many more as
    needed so that no suppressed group can be recovered by subtraction. `level_order`: every
    (level code, track) by rank; `organisations`: the label of each organisation key."""
    by: dict[tuple[str, str], list[Case]] = {}
    for case in cases:
        for key in (("level", case.level), ("track", case.track), ("org", case.organisation)):
            by.setdefault(key, []).append(case)
    total = ("total", "")
    groups = {total: cases, **by}
    sizes: dict[Key, int] = {
        key: len({c.candidate for c in members}) for key, members in groups.items()
    }
    level_keys = [("level", code) for code, _ in level_order if ("level", code) in by]
    track_keys = [("track", track) for track in Track.values if ("track", track) in by]
    org_keys = sorted((key for key in by if key[0] == "org"), key=lambda k: organisations[k[1]])
    level_track = dict(level_order)
    sums = [
        Sum(total, tuple(level_keys)),
        Sum(total, tuple(track_keys)),
        Sum(total, tuple(org_keys)),
        *(
            Sum(track, tuple(k for k in level_keys if level_track[k[1]] == track[1]))
            for track in track_keys
        ),
    ]
    hidden = suppressed_keys(sizes=sizes, sums=sums, min_group=min_group)
    return {
        "min_group": min_group,
        "totals": _published(cells(cases), total in hidden),
        "by_level": [
            {"level": key[1], **_published(cells(by[key]), key in hidden)} for key in level_keys
        ],
        "by_track": [
            {"track": key[1], **_published(cells(by[key]), key in hidden)} for key in track_keys
        ],
        "by_organisation": [
            {"organisation": organisations[key[1]], **_published(cells(by[key]), key in hidden)}
            for key in org_keys
        ],
    }


# Days from nomination to decision, by the database: read as two timestamps, each became an aware
# datetime in Python, and those conversions were half of the statistics' time.
DAYS_SQL = {
    "postgresql": "EXTRACT(EPOCH FROM p.decided_at - p.created_at)::double precision / 86400",
    "sqlite": "julianday(p.decided_at) - julianday(p.created_at)",
}

# Each promotion of the cycle with its candidate's organisation: their highest manager below the
# top of the tree (the top itself, and anyone reporting straight to it, are their own), found by
# walking up the reporting lines, and that manager's name. One query for any number.
CASES_SQL = """
WITH RECURSIVE chain (member_id, ancestor_id, manager_id, depth) AS (
    SELECT m.id, m.id, m.manager_id, 0
    FROM ladder_member m
    WHERE m.id IN (SELECT candidate_id FROM promotions_promotion WHERE cycle_id = %s)
  UNION ALL
    SELECT c.member_id, a.id, a.manager_id, c.depth + 1
    FROM chain c JOIN ladder_member a ON a.id = c.manager_id
    WHERE c.depth < 64
), measured AS (
    SELECT member_id, ancestor_id, depth, max(depth) OVER (PARTITION BY member_id) AS top
    FROM chain
), organisation AS (
    SELECT member_id, ancestor_id FROM measured
    WHERE depth = CASE WHEN top > 0 THEN top - 1 ELSE 0 END
)
SELECT p.candidate_id, p.state, {days}, p.to_level_id,
       EXISTS (SELECT 1 FROM promotions_appeal a WHERE a.promotion_id = p.id),
       o.ancestor_id, u.first_name, u.last_name, u.username
FROM promotions_promotion p
JOIN organisation o ON o.member_id = p.candidate_id
JOIN ladder_member head ON head.id = o.ancestor_id
JOIN auth_user u ON u.id = head.user_id
WHERE p.cycle_id = %s
"""


def cycle_stats(*, cycle: Cycle, viewer=None) -> dict:
    """The cycle's statistics (stats_of_cases), from one query (and the levels kept in memory).
    Of a blind cycle, for anyone but HR, no breakdown by organisation: an organisation is named
    after a person, often the candidate's manager or the candidate (promotions/blind.py)."""
    # Plain rows, not model instances: building 500 promotions with their levels was most of
    # the cost; the organisations came by two more queries.
    decisions = (PromotionState.APPROVED, PromotionState.REJECTED, PromotionState.UPHELD)
    cases, labels = [], {}
    with connection.cursor() as cursor:
        cursor.execute(CASES_SQL.format(days=DAYS_SQL[connection.vendor]), [cycle.pk, cycle.pk])
        rows = cursor.fetchall()
    levels = levels_by_id()  # after the rows: as new as they are (a level added meanwhile)
    for candidate_id, state, days_since_nomination, to_level_id, appealed, head, *name in rows:
        # NULL until decided; a withdrawal is not a decision.
        days = days_since_nomination if state in decisions else None
        labels[str(head)] = Member.name_of(*name)
        level = levels[to_level_id]
        cases.append(
            Case(
                candidate=candidate_id,
                level=level.code,
                track=level.track,
                organisation=str(head),
                state=state,
                days_to_decision=days,
                appealed=bool(appealed),
            )
        )
    by_rank = sorted(levels.values(), key=lambda level: level.rank)
    stats = stats_of_cases(
        cases=cases,
        level_order=[(level.code, level.track) for level in by_rank],
        organisations=labels,
        min_group=settings.ANALYTICS_MIN_GROUP,
    )
    if cycle.blind_review and (viewer is None or blind.may_be_blind(viewer)):
        stats["by_organisation"] = []
    return {"cycle": cycle.pk, **stats}


# --- Decisions export ----------------------------------------------------------------------------

DECISION_COLUMNS = ("member", "email", "from", "to", "state", "decided_at", "effective_on")


def cycle_decisions(*, cycle: Cycle) -> list[list[str]]:
    """One row per promotion of the cycle (DECISION_COLUMNS), by target level and member."""
    rows = []
    for promotion in _cycle_promotions(cycle):
        rows.append(
            [
                promotion.candidate.user.username,
                promotion.candidate.user.email,
                promotion.from_level.code,
                promotion.to_level.code,
                promotion.state,
                spreadsheet_timestamp(promotion.decided_at),
                spreadsheet_timestamp(promotion.effective_on),
            ]
        )
    return rows


def csv_text(rows: list[list[str]], header: tuple[str, ...] = ()) -> str:
    """A CSV for spreadsheets: a byte-order mark first (Excel on Windows reads UTF-8 by it)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    if header:
        writer.writerow(header)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
