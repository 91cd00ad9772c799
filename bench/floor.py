"""The floor: plain Django views returning the same fields for the same page straight from
`.values()` as JSON, with the same token check (bench/load.py checks their answers against ours
before a run). They exist in the bench harness only."""

from datetime import date

from django.db import connection
from django.db.models import Count, F, Func, JSONField, OuterRef, Q, Subquery, Value
from django.http import JsonResponse
from django.utils import timezone

from accounts.services import token_authenticate
from ladder.models import Member
from promotions.models import Cycle, PacketVersion, Promotion, PromotionEvent, Review
from promotions.workflow import OPEN_STATES

FIELDS = [
    "id",
    "candidate_id",
    "candidate__user__username",
    "candidate__user__first_name",
    "candidate__user__last_name",
    "from_level__code",
    "to_level__code",
    "state",
    "nominated_by__username",
    "justification",
    "created_at",
    "updated_at",
    "decided_at",
    "packet_version",
    "cycle_id",
    "effective_on",
    "level_applied",
    "changes_requested_note",
    "eligibility_override_reason",
    "off_cycle_reason",
    "release_held",
]


def _user(request):
    key = request.headers.get("Authorization", "").removeprefix("Token ")
    token = token_authenticate(key=key)
    return token.user if token else None


def _shape(row: dict) -> dict:
    return {
        "id": row["id"],
        "candidate": {
            "id": row["candidate_id"],
            "username": row["candidate__user__username"],
            "name": f"{row['candidate__user__first_name']} {row['candidate__user__last_name']}",
        },
        "from_level": row["from_level__code"],
        "to_level": row["to_level__code"],
        "state": row["state"],
        "nominated_by": row["nominated_by__username"],
        "justification": row["justification"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "decided_at": row["decided_at"],
        "packet_version": row["packet_version"],
        "cycle": row["cycle_id"],
        "effective_on": row["effective_on"],
        "level_applied": row["level_applied"],
        # Ours shows these to some viewers only; the floor shows every one as it is.
        "changes_requested_note": row["changes_requested_note"] or None,
        "eligibility_override_reason": row["eligibility_override_reason"] or None,
        "off_cycle_reason": row["off_cycle_reason"] or None,
        # null while open, else whether the candidate may read the decision (promotions/release.py)
        "released": None if row["state"] in OPEN_STATES else not row["release_held"],
        # Ours says whether the viewer reads the case blind; the floor reads none blind.
        "blind": False,
        "available_transitions": [],
    }


def _page(request, promotions):
    page = int(request.GET.get("page", 1))
    size = int(request.GET.get("page_size", 50))
    rows = promotions.order_by("-created_at", "-id").values(*FIELDS)[
        (page - 1) * size : page * size
    ]
    return JsonResponse(
        {
            "count": promotions.count(),
            "next": None,
            "previous": None,
            "results": [_shape(r) for r in rows],
        }
    )


def promotion_list(request):
    if _user(request) is None:
        return JsonResponse({"detail": "no"}, status=401)
    promotions = Promotion.objects.all()
    if "state" in request.GET:
        promotions = promotions.filter(state=request.GET["state"])
    return _page(request, promotions)


def my_promotions(request):
    user = _user(request)
    if user is None:
        return JsonResponse({"detail": "no"}, status=401)
    # The same two index scans as the product's selector: a fair floor, not a slow one.
    me = Member.objects.filter(user=user).first()
    candidates = (
        [me.pk, *Member.objects.filter(manager=me).values_list("pk", flat=True)] if me else []
    )
    promotions = Promotion.objects.filter(Q(candidate_id__in=candidates) | Q(nominated_by=user))
    return _page(request, promotions)


def promotion_detail(request, pk):
    if _user(request) is None:
        return JsonResponse({"detail": "no"}, status=401)
    return JsonResponse(_shape(Promotion.objects.values(*FIELDS).get(pk=pk)))


def promotion_timeline(request, pk):
    if _user(request) is None:
        return JsonResponse({"detail": "no"}, status=401)
    events = PromotionEvent.objects.filter(promotion_id=pk).order_by("at", "id")
    rows = events.values("from_state", "to_state", "at", "actor__username", "note", "votes")
    return JsonResponse(
        [
            {
                "from_state": r["from_state"],
                "to_state": r["to_state"],
                "at": r["at"],
                "actor": r["actor__username"],
                "note": r["note"],
                "votes": r["votes"],
            }
            for r in rows
        ],
        safe=False,
    )


def promotion_packet(request, pk):
    """The current version: the same PacketVersion row's fields, one query."""
    if _user(request) is None:
        return JsonResponse({"detail": "no"}, status=401)
    row = (
        PacketVersion.objects.filter(promotion_id=pk, number=F("promotion__packet_version"))
        .values(
            "number",
            "justification",
            "evidence",
            "submitted_by__username",
            "submitted_at",
            "sha256",
        )
        .first()
    )
    if row is None:
        return JsonResponse({"detail": "no"}, status=404)
    return JsonResponse(
        {
            "version": row["number"],
            "justification": row["justification"],
            "evidence": row["evidence"],
            "submitted_by": row["submitted_by__username"],
            "submitted_at": row["submitted_at"],
            "sha256": row["sha256"],
        }
    )


# How many of the votes on the current version of each of the cycle's promotions rated each
# criterion not_yet, meets, exceeds: counted by the database. A lateral subquery (not flattened:
# OFFSET 0) reads each promotion's reviews by index; flattened, the planner hashes the whole
# review table.
RATING_COUNTS_SQL = """
SELECT p.id, rating.key, rating.value, count(*)
FROM promotions_promotion p
CROSS JOIN LATERAL (
    SELECT r.ratings FROM promotions_review r
    WHERE r.promotion_id = p.id AND r.packet_version = p.packet_version
    OFFSET 0
) r
CROSS JOIN LATERAL jsonb_each_text(r.ratings) rating
WHERE p.cycle_id = %s
GROUP BY 1, 2, 3
"""

RATINGS = ("not_yet", "meets", "exceeds")
CALIBRATION_FIELDS = [
    "id",
    "candidate_id",
    "candidate__user__username",
    "candidate__user__first_name",
    "candidate__user__last_name",
    "candidate__level_since",
    "from_level__code",
    "from_level_since",
    "to_level__code",
    "to_level__track",
    "to_level__rank",
    "nominated_by__username",
    "state",
    "packet_version",
    "decided_at",
]


def _months(since: date, until: date) -> int:
    months = (until.year - since.year) * 12 + until.month - since.month
    return max(months - (until.day < since.day), 0)


def cycle_calibration(request, pk):
    """The cycle's candidates by target level and track, with the votes (counted, stale) and the
    ratings per criterion counted by the database; no recusal."""
    if _user(request) is None:
        return JsonResponse({"detail": "no"}, status=401)
    if not Cycle.objects.filter(pk=pk).exists():
        return JsonResponse({"detail": "no"}, status=404)
    # The criteria of each current version, in order (the version keeps them).
    criteria = PacketVersion.objects.filter(
        promotion=OuterRef("pk"), number=OuterRef("packet_version")
    ).values(
        codes=Func(
            "evidence",
            Value("$[*].criterion"),
            function="jsonb_path_query_array",
            output_field=JSONField(),
        )
    )
    rows = (
        Promotion.objects.filter(cycle_id=pk)
        .annotate(criteria=Subquery(criteria))
        .order_by("to_level__rank", "candidate__user__username", "id")
        .values(*CALIBRATION_FIELDS, "criteria")
    )
    current = Q(packet_version=F("promotion__packet_version"))
    votes = {
        v.pop("promotion_id"): v
        for v in Review.objects.filter(promotion__cycle_id=pk)
        .values("promotion_id")
        .annotate(
            approve=Count("id", filter=current & Q(decision="approve")),
            reject=Count("id", filter=current & Q(decision="reject")),
            stale=Count("id", filter=~current),
        )
    }
    counted: dict[tuple[int, str], dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(RATING_COUNTS_SQL, [pk])
        for promotion_id, criterion, rating, count in cursor.fetchall():
            counted.setdefault((promotion_id, criterion), {})[rating] = count
    today = timezone.localdate()
    groups: dict[tuple, dict] = {}
    for r in rows:
        key = (r["to_level__rank"], r["to_level__track"])
        group = groups.setdefault(
            key, {"to_level": r["to_level__code"], "track": key[1], "candidates": []}
        )
        since = r["from_level_since"] or r["candidate__level_since"]
        until = r["decided_at"].date() if r["decided_at"] else today
        name = f"{r['candidate__user__first_name']} {r['candidate__user__last_name']}".strip()
        group["candidates"].append(
            {
                "promotion": r["id"],
                "candidate": {
                    "id": r["candidate_id"],
                    "username": r["candidate__user__username"],
                    "name": name or r["candidate__user__username"],
                },
                "from_level": r["from_level__code"],
                "months_in_level": _months(since, until),
                "nominated_by": r["nominated_by__username"],
                "state": r["state"],
                "packet_version": r["packet_version"],
                "votes": votes.get(r["id"], {"approve": 0, "reject": 0, "stale": 0}),
                "ratings": {
                    code: {
                        rating: counted.get((r["id"], code), {}).get(rating, 0)
                        for rating in RATINGS
                    }
                    for code in r["criteria"] or []
                },
            }
        )
    return JsonResponse({"cycle": pk, "groups": [groups[key] for key in sorted(groups)]})


# The cycle's counts by level, track and organisation (the candidate's highest manager below the
# top of the tree), and in all, with the median days to a decision: one query, grouping sets.
STATS_SQL = """
WITH RECURSIVE chain (member_id, ancestor_id, manager_id, depth) AS (
    SELECT m.id, m.id, m.manager_id, 0
    FROM ladder_member m
    WHERE m.id IN (SELECT candidate_id FROM promotions_promotion WHERE cycle_id = %(cycle)s)
  UNION ALL
    SELECT c.member_id, a.id, a.manager_id, c.depth + 1
    FROM chain c JOIN ladder_member a ON a.id = c.manager_id
    WHERE c.depth < 64
), ranked AS (
    SELECT member_id, ancestor_id,
           row_number() OVER (PARTITION BY member_id ORDER BY depth DESC) AS from_top,
           count(*) OVER (PARTITION BY member_id) AS length
    FROM chain
), cases AS (
    SELECT p.candidate_id, p.state, l.code AS level, l.rank, l.track,
           COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username) AS org,
           CASE WHEN p.state IN ('approved', 'rejected') AND p.decided_at IS NOT NULL
                THEN EXTRACT(EPOCH FROM p.decided_at - p.created_at) / 86400 END AS days
    FROM promotions_promotion p
    JOIN ladder_level l ON l.id = p.to_level_id
    JOIN ranked o ON o.member_id = p.candidate_id AND o.from_top = LEAST(2, o.length)
    JOIN ladder_member head ON head.id = o.ancestor_id
    JOIN auth_user u ON u.id = head.user_id
    WHERE p.cycle_id = %(cycle)s
)
SELECT GROUPING(rank, level), GROUPING(track), GROUPING(org), level, track, org,
       count(DISTINCT candidate_id), count(*),
       count(*) FILTER (WHERE state = 'approved'),
       count(*) FILTER (WHERE state = 'rejected'),
       count(*) FILTER (WHERE state = 'withdrawn'),
       count(*) FILTER (WHERE state IN ('nominated', 'in_review', 'changes_requested')),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY days)
FROM cases
GROUP BY GROUPING SETS ((), (rank, level), (track), (org))
ORDER BY rank, track, org
"""


def cycle_stats(request, pk):
    """The same grouped counts, rates and medians, from the database; no suppression."""
    if _user(request) is None:
        return JsonResponse({"detail": "no"}, status=401)
    if not Cycle.objects.filter(pk=pk).exists():
        return JsonResponse({"detail": "no"}, status=404)
    body: dict = {
        "cycle": pk,
        "min_group": 0,
        "by_level": [],
        "by_track": [],
        "by_organisation": [],
    }
    with connection.cursor() as cursor:
        cursor.execute(STATS_SQL, {"cycle": pk})
        for g_level, g_track, g_org, level, track, org, *counts, median in cursor.fetchall():
            candidates, nominated, approved, rejected, withdrawn, open_ = counts
            decided = approved + rejected
            cells = {
                "candidates": candidates,
                "nominated": nominated,
                "approved": approved,
                "rejected": rejected,
                "withdrawn": withdrawn,
                "open": open_,
                "approval_rate": round(approved / decided, 3) if decided else None,
                "median_days_to_decision": round(median, 1) if median is not None else None,
                "suppressed": False,
            }
            if not g_level:
                body["by_level"].append({"level": level, **cells})
            elif not g_track:
                body["by_track"].append({"track": track, **cells})
            elif not g_org:
                body["by_organisation"].append({"organisation": org, **cells})
            else:
                body["totals"] = cells
    return JsonResponse(body)
