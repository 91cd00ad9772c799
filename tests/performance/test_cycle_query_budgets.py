"""Query budgets of a cycle's reads (docs/design.md, "Cycles"): the calibration board, the
statistics and the decisions export cost the same for a cycle of 10 candidates as for one of 500,
and at most a fixed, written-out number of queries. The 500 are written with bulk_create (members
in four organisations, promotions in every state, packet versions, current and stale reviews)."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import roles
from ladder.models import Level, Member
from promotions.models import Cycle, PacketVersion, Promotion, Review
from promotions.packets.services import packet_evidence, packet_sha256
from tests import factories

pytestmark = pytest.mark.django_db

SMALL, LARGE = 10, 500
# Measured on PostgreSQL, for 10 and 500 candidates alike. Each starts with the request's three
# (token with its user, the cycle, the viewer's groups); then calibration: promotions (with
# candidates, levels, nominators), current packet versions, reviews; stats: promotions, the
# organisations (one recursive query), their heads, the levels; decisions.csv: promotions.
# Raising one is a decision.
BUDGETS = {"calibration": 6, "stats": 7, "decisions.csv": 4}

# (from level, to level) of the candidates, in turn: both tracks, several target levels.
MOVES = [
    ("pm", "senior-pm"),
    ("senior-pm", "lead-pm"),
    ("senior-pm", "group-pm"),
    ("associate-pm", "pm"),
    ("group-pm", "head-of-product"),
]
STATES = ["nominated", "in_review", "changes_requested", "approved", "rejected", "withdrawn"]
REVIEWED = {"in_review", "changes_requested", "approved", "rejected"}
DECIDED = {"approved", "rejected"}


@pytest.fixture
def company(db):
    """The top of the tree, four organisations (a head and a manager each), two reviewers, HR."""
    level = {lv.code: lv for lv in Level.objects.all()}
    top = factories.MemberFactory(level=level["cpo"])
    managers = []
    for _ in range(4):
        head = factories.MemberFactory(level=level["vp-product"], manager=top)
        managers.append(factories.MemberFactory(level=level["head-of-product"], manager=head))
    return {
        "level": level,
        "managers": managers,
        "reviewers": [factories.committee_member(level="vp-product"), factories.committee_member()],
        "hr": factories.hr_user(),
    }


def build_cycle(company, n: int, tag: str) -> Cycle:
    """A calibrating cycle of n candidates, written in bulk."""
    level, managers, reviewers = company["level"], company["managers"], company["reviewers"]
    today = timezone.localdate()
    cycle = Cycle.objects.create(
        name=f"Cycle {tag}",
        state="calibrating",
        nominations_open_on=today - timedelta(days=30),
        nominations_close_on=today - timedelta(days=1),
        decisions_due_on=today + timedelta(days=14),
        effective_on=today + timedelta(days=30),
    )
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"{tag}-candidate-{i}",
            email=f"{tag}-candidate-{i}@example.com",
            first_name="Candidate",
            last_name=f"{tag.title()} {i}",
        )
        for i in range(n)
    )
    members = Member.objects.bulk_create(
        Member(
            user=user,
            level=level[MOVES[i % len(MOVES)][0]],
            manager=managers[i % len(managers)],
            level_since=date(2023, 1, 1) + timedelta(days=i % 300),
        )
        for i, user in enumerate(users)
    )
    now = timezone.now()
    promotions = Promotion.objects.bulk_create(
        Promotion(
            candidate=member,
            from_level=level[MOVES[i % len(MOVES)][0]],
            to_level=level[MOVES[i % len(MOVES)][1]],
            state=STATES[i % len(STATES)],
            nominated_by=managers[i % len(managers)].user,
            justification="Ready.",
            packet_version=2 if i % 3 == 0 else 1,
            cycle=cycle,
            decided_at=now if STATES[i % len(STATES)] in DECIDED else None,
            effective_on=cycle.effective_on if STATES[i % len(STATES)] == "approved" else None,
        )
        for i, member in enumerate(members)
    )
    evidence = {
        to: packet_evidence(to_level=level[to], evidence=factories.evidence_for(to))
        for _, to in MOVES
    }
    PacketVersion.objects.bulk_create(
        PacketVersion(
            promotion=promotion,
            number=number,
            justification="Ready.",
            evidence=evidence[promotion.to_level.code],
            submitted_by=promotion.nominated_by,
            sha256=packet_sha256(
                justification="Ready.", evidence=evidence[promotion.to_level.code]
            ),
        )
        for promotion in promotions
        for number in range(1, promotion.packet_version + 1)
    )
    reviews = []
    for i, promotion in enumerate(promotions):
        if promotion.state not in REVIEWED:
            continue
        criteria = [item["criterion"] for item in evidence[promotion.to_level.code]]
        for number in range(1, promotion.packet_version + 1):  # older versions: stale votes
            for reviewer in reviewers:
                decision = "reject" if i % 4 == 0 else "approve"
                rating = "not_yet" if decision == "reject" else ("meets", "exceeds")[i % 2]
                reviews.append(
                    Review(
                        promotion=promotion,
                        reviewer=reviewer,
                        decision=decision,
                        comment="Not yet." if decision == "reject" else "",
                        packet_version=number,
                        ratings=dict.fromkeys(criteria, rating),
                    )
                )
    Review.objects.bulk_create(reviews)
    return cycle


def count_queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries), response


@pytest.fixture
def two_cycles(company):
    return build_cycle(company, SMALL, "small"), build_cycle(company, LARGE, "large")


@pytest.mark.parametrize(
    ("endpoint", "viewer"),
    [
        ("calibration", "committee"),
        ("calibration", "hr"),
        ("calibration", "manager"),  # a committee member managing candidates: recused rows
        ("stats", "committee"),
        ("stats", "hr"),
        ("decisions.csv", "hr"),
    ],
)
def test_a_cycles_reads_cost_the_same_for_10_and_500_candidates(
    company, two_cycles, warm, endpoint, viewer
):
    small, large = two_cycles
    if viewer == "manager":
        user = company["managers"][0].user
        user.groups.add(Group.objects.get(name=roles.COMMITTEE_GROUP))
        user = get_user_model().objects.get(pk=user.pk)
    else:
        user = {"committee": company["reviewers"][0], "hr": company["hr"]}[viewer]
    client = warm(user)

    counts = {}
    for cycle, n in ((small, SMALL), (large, LARGE)):
        counts[n], response = count_queries(client, f"/api/v1/cycles/{cycle.pk}/{endpoint}/")
        if endpoint == "calibration":
            rows = [row for group in response.json()["groups"] for row in group["candidates"]]
            assert len(rows) == n
            recused = [row for row in rows if row["votes"] is None]
            assert bool(recused) == (viewer == "manager")
            assert any(row["votes"] and row["votes"]["stale"] for row in rows)
        elif endpoint == "stats":
            body = response.json()
            if n == LARGE:
                assert body["totals"]["candidates"] == LARGE
                assert len(body["by_organisation"]) == 4
        else:
            assert len(response.content.decode().strip().splitlines()) == n + 1

    assert counts[SMALL] == counts[LARGE], counts
    assert counts[LARGE] <= BUDGETS[endpoint], counts


def test_an_empty_cycles_reads_answer(company, warm):
    cycle = build_cycle(company, 0, "empty")
    client = warm(company["hr"])
    for endpoint in BUDGETS:
        count, response = count_queries(client, f"/api/v1/cycles/{cycle.pk}/{endpoint}/")
        assert count <= BUDGETS[endpoint]
    stats = client.get(f"/api/v1/cycles/{cycle.pk}/stats/").json()
    assert stats["totals"]["suppressed"] is True
    assert stats["by_level"] == stats["by_track"] == stats["by_organisation"] == []
