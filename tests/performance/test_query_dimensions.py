"""Queries stay constant (issue 14): every list endpoint, a promotion's pages, a cycle's
calibration, statistics and export, the webhooks' logs and a member's eligibility make as many
queries for a page of 10 as for one of 200, for 1 review per promotion as for 100, for 1 packet
version as for 5, and for a committee of 1 as for one of 50.

Each dimension is one test: it reads every endpoint once (caches warm), measures each, grows
that one dimension (in bulk where the services would be slow, keeping the data valid) and
measures again. A difference names the endpoint and the queries that repeat."""

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import roles
from core.roles import committee_user_ids
from ladder.models import Level, Member
from notifications.models import Notification
from promotions import services
from promotions.cycles import services as cycles
from promotions.models import Cycle, PacketVersion, Promotion, Review
from promotions.packets import services as packets
from tests import factories
from webhooks.models import Delivery, DeliveryStatus, Endpoint
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

User = get_user_model()
HOOK = "http://127.0.0.1:9/hook"
SMALL_PAGE, LARGE_PAGE = 10, 200
# More rows than the large page holds, for every paginated list and every viewer.
ROWS = LARGE_PAGE + 5
# The candidates of the service-built world: (from level, to level), both tracks.
MOVES = [("pm", "senior-pm"), ("senior-pm", "lead-pm"), ("senior-pm", "group-pm")]
STATES = ["nominated", "in_review", "changes_requested", "approved", "rejected", "withdrawn"]
REVIEWED = {"in_review", "changes_requested", "approved", "rejected"}
DECIDED = {"approved", "rejected"}


# --- Measuring ----------------------------------------------------------------------------------


@pytest.fixture
def private_hooks(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True


def queries_of(client, url: str) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return [query["sql"] for query in captured.captured_queries], response


def measure(clients: dict, reads: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """label -> the SQL of `viewer`'s GET `url`, for each read."""
    return {label: queries_of(clients[viewer], url)[0] for label, (viewer, url) in reads.items()}


def _shape(sql: str) -> str:
    """A query with its values taken out: the repeats of one query look alike."""
    sql = re.sub(r"IN \([^()]*\)", "IN (…)", sql)
    sql = re.sub(r"'(?:[^']|'')*'", "'…'", sql)
    return re.sub(r"\b\d+\b", "N", sql)


def assert_same_counts(small: dict[str, list[str]], large: dict[str, list[str]], dimension: str):
    """Equal query counts for every read, or a message naming each read that differs, its
    counts, and the queries the larger case made more often."""
    differing = [label for label in small if len(small[label]) != len(large[label])]
    lines = []
    for label in differing:
        more = Counter(map(_shape, large[label])) - Counter(map(_shape, small[label]))
        fewer = Counter(map(_shape, small[label])) - Counter(map(_shape, large[label]))
        lines.append(f"{label}: {len(small[label])} -> {len(large[label])} queries ({dimension})")
        lines += [f"    +{n}x {sql[:400]}" for sql, n in more.items()]
        lines += [f"    -{n}x {sql[:400]}" for sql, n in fewer.items()]
    assert not differing, "\n".join(lines)


# --- Building -----------------------------------------------------------------------------------


def levels() -> dict[str, Level]:
    return {level.code: level for level in Level.objects.all()}


def bulk_users(n: int, tag: str) -> list:
    return User.objects.bulk_create(
        User(
            username=f"{tag}-{i}",
            email=f"{tag}-{i}@example.com",
            first_name=tag.title(),
            last_name=str(i),
            password=make_password(None),
        )
        for i in range(n)
    )


def bulk_committee(n: int, tag: str) -> list:
    """n more committee members (staff, as the factories make them), every other one also on
    the ladder as a VP."""
    users = bulk_users(n, tag)
    User.objects.filter(pk__in=[user.pk for user in users]).update(is_staff=True)
    committee = Group.objects.get(name=roles.COMMITTEE_GROUP)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=user.pk, group_id=committee.pk) for user in users
    )
    vp = Level.objects.get(code="vp-product")
    Member.objects.bulk_create(
        Member(user=user, level=vp, level_since=date(2022, 1, 1)) for user in users[::2]
    )
    return users


def bulk_members(n: int, tag: str, *, manager: Member, level: Level) -> list[Member]:
    return Member.objects.bulk_create(
        Member(
            user=user,
            level=level,
            manager=manager,
            level_since=date(2022, 1, 1) + timedelta(days=i % 300),
        )
        for i, user in enumerate(bulk_users(n, tag))
    )


def bulk_promotions(
    rows: list[tuple[Member, Level, str, Cycle | None]], *, nominated_by, reviewer
) -> list[Promotion]:
    """One promotion per (candidate, to level, state, cycle), each with version 1 of its packet
    and, once reviewed, `reviewer`'s vote on it."""
    now = timezone.now()
    promotions = Promotion.objects.bulk_create(
        Promotion(
            candidate=candidate,
            from_level=candidate.level,
            to_level=to_level,
            state=state,
            nominated_by=nominated_by,
            justification="Ready.",
            packet_version=1,
            changes_requested_note="More numbers." if state == "changes_requested" else "",
            changes_requested_version=1 if state == "changes_requested" else None,
            cycle=cycle,
            from_level_since=candidate.level_since,
            decided_at=now if state in DECIDED else None,
            effective_on=(
                (cycle.effective_on if cycle else now.date() + timedelta(days=30))
                if state == "approved"
                else None
            ),
        )
        for candidate, to_level, state, cycle in rows
    )
    evidence = {
        level.code: packets.packet_evidence(to_level=level, evidence=factories.evidence_for(level))
        for level in {row[1] for row in rows}
    }
    PacketVersion.objects.bulk_create(
        PacketVersion(
            promotion=promotion,
            number=1,
            justification="Ready.",
            evidence=evidence[promotion.to_level.code],
            submitted_by=nominated_by,
            sha256=packets.packet_sha256(
                justification="Ready.", evidence=evidence[promotion.to_level.code]
            ),
        )
        for promotion in promotions
    )
    Review.objects.bulk_create(
        Review(
            promotion=promotion,
            reviewer=reviewer,
            decision="approve",
            packet_version=1,
            ratings={item["criterion"]: "meets" for item in evidence[promotion.to_level.code]},
        )
        for promotion in promotions
        if promotion.state in REVIEWED
    )
    return promotions


@dataclass
class World:
    hr: object
    committee: object
    manager: Member
    member: Member  # a candidate: sees their own promotions only
    cycle: Cycle
    endpoint: Endpoint
    promotions: list[Promotion]

    def clients(self, warm) -> dict:
        return {
            "committee": warm(self.committee),
            "hr": warm(self.hr),
            "manager": warm(self.manager.user),
            "member": warm(self.member.user),
        }


def build_world(state: str) -> World:
    """Through the services: HR, a committee of one, a webhook endpoint, a cycle now
    calibrating, and a manager's three candidates nominated in it (both tracks), brought to
    `state` (nominated; in_review or changes_requested after the committee member's vote)."""
    level = levels()
    hr = factories.hr_user()
    committee = factories.committee_member(level="vp-product")
    endpoint = endpoint_create(actor=hr, url=HOOK)  # before the changes: they write deliveries
    today = timezone.localdate()
    cycle = cycles.cycle_create(
        actor=hr,
        name="H1",
        tracks=[],
        nominations_open_on=today - timedelta(days=30),
        nominations_close_on=today + timedelta(days=1),
        decisions_due_on=today + timedelta(days=14),
        effective_on=today + timedelta(days=30),
    )
    cycles.cycle_open(actor=hr, cycle=cycle)
    manager = factories.MemberFactory(level=level["group-pm"])
    promotions = []
    for from_level, to_level in MOVES:
        candidate = factories.MemberFactory(level=level[from_level], manager=manager)
        votes = [] if state == "nominated" else [(committee, "approve")]
        promotion = factories.promotion(
            candidate=candidate,
            to=to_level,
            state="nominated" if state == "nominated" else "in_review",
            votes=votes,
            actor=hr,
        )
        if state == "changes_requested":
            promotion = services.promotion_request_changes(
                promotion=promotion, actor=hr, note="Add the numbers."
            )
        promotions.append(promotion)
    cycle = cycles.cycle_calibrate(actor=hr, cycle=cycle)
    assert committee_user_ids() == [committee.pk]
    assert {p.cycle_id for p in promotions} == {cycle.pk}
    return World(hr, committee, manager, promotions[0].candidate, cycle, endpoint, promotions)


def reads(world: World) -> dict[str, tuple[str, str]]:
    """Every read of the issue, as each kind of viewer who may make it: label -> (viewer, url)."""
    promotion = f"/api/v1/promotions/{world.promotions[0].pk}/"
    cycle = f"/api/v1/cycles/{world.cycle.pk}/"
    webhook = f"/api/v1/webhooks/{world.endpoint.pk}/"
    eligibility = f"/api/v1/members/{world.member.pk}/eligibility/"
    everyone = ("committee", "hr", "manager", "member")
    return {
        **{f"promotions/ as {v}": (v, "/api/v1/promotions/") for v in everyone},
        **{f"promotions/{{id}}/ as {v}": (v, promotion) for v in everyone},
        **{
            f"promotions/{{id}}/reviews/ as {v}": (v, f"{promotion}reviews/")
            for v in ("committee", "hr")
        },
        **{f"promotions/{{id}}/timeline/ as {v}": (v, f"{promotion}timeline/") for v in everyone},
        **{f"promotions/{{id}}/packet/ as {v}": (v, f"{promotion}packet/") for v in everyone},
        **{
            f"promotions/{{id}}/packet/versions/ as {v}": (v, f"{promotion}packet/versions/")
            for v in everyone
        },
        **{f"members/ as {v}": (v, "/api/v1/members/") for v in everyone},
        **{f"notifications/ as {v}": (v, "/api/v1/notifications/") for v in everyone},
        **{f"cycles/ as {v}": (v, "/api/v1/cycles/") for v in everyone},
        **{
            f"cycles/{{id}}/calibration/ as {v}": (v, f"{cycle}calibration/")
            for v in ("committee", "hr")
        },
        **{f"cycles/{{id}}/stats/ as {v}": (v, f"{cycle}stats/") for v in ("committee", "hr")},
        "cycles/{id}/decisions.csv as hr": ("hr", f"{cycle}decisions.csv"),
        "webhooks/ as hr": ("hr", "/api/v1/webhooks/"),
        "webhooks/{id}/deliveries/ as hr": ("hr", f"{webhook}deliveries/"),
        **{
            f"members/{{id}}/eligibility/ as {v}": (v, eligibility)
            for v in ("hr", "manager", "member")
        },
    }


def measure_growing(world: World, warm, grow, dimension: str) -> dict:
    """Measure every read, grow the dimension, measure again: the same counts. The clients, to
    look at the larger case."""
    clients = world.clients(warm)
    every = reads(world)
    measure(clients, every)  # warm: whatever a first request caches
    small = measure(clients, every)
    grow()
    large = measure(clients, every)
    assert_same_counts(small, large, dimension)
    return clients


# --- The dimensions -----------------------------------------------------------------------------


def test_every_read_costs_the_same_with_1_or_100_reviews_per_promotion(private_hooks, warm):
    world = build_world("in_review")
    reviewers = bulk_committee(99, "reviewer")  # the committee: 100 in both cases

    def grow():
        reviews = []
        for promotion in world.promotions:
            ratings = factories.ratings_for(promotion)
            for i, reviewer in enumerate(reviewers):
                rejects = i % 4 == 0
                reviews.append(
                    Review(
                        promotion=promotion,
                        reviewer=reviewer,
                        decision="reject" if rejects else "approve",
                        comment="Not yet." if rejects else "",
                        packet_version=promotion.packet_version,
                        ratings=dict.fromkeys(ratings, "not_yet" if rejects else "exceeds"),
                    )
                )
        Review.objects.bulk_create(reviews)

    clients = measure_growing(world, warm, grow, "1 -> 100 reviews per promotion")
    for promotion in world.promotions:
        reviews = clients["hr"].get(f"/api/v1/promotions/{promotion.pk}/reviews/").json()
        assert len(reviews) == 100


@pytest.mark.parametrize("state", ["nominated", "changes_requested"])
def test_every_read_costs_the_same_with_1_or_5_packet_versions(private_hooks, warm, state):
    """New versions as the nominator writes them: before review starts, or when the committee
    asked for changes (the votes on version 1 then go stale)."""
    world = build_world(state)

    def grow():
        for promotion in world.promotions:
            for number in range(2, 6):
                packets.packet_submit(
                    promotion=promotion,
                    actor=world.manager.user,
                    justification=f"Version {number}: more numbers.",
                    evidence=factories.evidence_for(promotion.to_level, text=f"Version {number}."),
                )

    clients = measure_growing(world, warm, grow, "1 -> 5 packet versions")
    for promotion in world.promotions:
        url = f"/api/v1/promotions/{promotion.pk}/packet/"
        versions = clients["member" if promotion == world.promotions[0] else "hr"].get(
            f"{url}versions/"
        )
        assert [v["version"] for v in versions.json()] == [1, 2, 3, 4, 5]
        assert clients["hr"].get(url).json()["version"] == 5
        reviews = clients["hr"].get(f"/api/v1/promotions/{promotion.pk}/reviews/").json()
        assert [r["stale"] for r in reviews] == ([] if state == "nominated" else [True])


def test_every_read_costs_the_same_for_a_committee_of_1_or_50(private_hooks, warm):
    world = build_world("in_review")

    def grow():
        bulk_committee(49, "committee")

    measure_growing(world, warm, grow, "committee of 1 -> 50")
    assert len(committee_user_ids()) == 50


def build_pages() -> tuple[World, dict[str, tuple[str, str]]]:
    """More than a large page of everything: the manager's reports, each with a promotion in
    one of every state (half in the calibrating cycle); a member with as many past promotions;
    the committee member's notifications; cycles; webhook endpoints and one's deliveries."""
    level = levels()
    hr = factories.hr_user()
    committee = factories.committee_member(level="vp-product")
    manager = factories.MemberFactory(level=level["group-pm"])
    today = timezone.localdate()
    cycle = Cycle.objects.create(
        name="Now",
        state="calibrating",
        nominations_open_on=today - timedelta(days=30),
        nominations_close_on=today - timedelta(days=1),
        decisions_due_on=today + timedelta(days=14),
        effective_on=today + timedelta(days=30),
    )
    Cycle.objects.bulk_create(
        Cycle(
            name=f"Round {i}",
            state="closed",
            nominations_open_on=date(2020, 1, 1) - timedelta(weeks=4 * i),
            nominations_close_on=date(2020, 1, 15) - timedelta(weeks=4 * i),
            decisions_due_on=date(2020, 1, 22) - timedelta(weeks=4 * i),
            effective_on=date(2020, 1, 29) - timedelta(weeks=4 * i),
        )
        for i in range(ROWS)
    )
    reports = bulk_members(ROWS, "report", manager=manager, level=level["pm"])
    member = reports[0]
    rows = [
        (report, level["senior-pm"], STATES[i % len(STATES)], cycle if i % 2 else None)
        for i, report in enumerate(reports)
    ]
    # The member's past: rejected and withdrawn, before cycles (one open promotion at most).
    rows += [
        (member, level["senior-pm"], ("rejected", "withdrawn")[i % 2], None) for i in range(ROWS)
    ]
    rows = [row for row in rows if not (row[0] == member and row[2] in STATES[:3])] + [
        (member, level["senior-pm"], "in_review", cycle)
    ]
    promotions = bulk_promotions(rows, nominated_by=manager.user, reviewer=committee)
    Notification.objects.bulk_create(
        Notification(
            recipient=committee,
            kind="review_requested",
            promotion=promotions[i],
            subject=f"Review requested: #{promotions[i].pk}",
            body="A promotion awaits your review.",
            read_at=timezone.now() if i % 3 == 0 else None,
        )
        for i in range(ROWS)
    )
    endpoints = [endpoint_create(actor=hr, url=HOOK) for _ in range(ROWS)]
    now = timezone.now()
    statuses = list(DeliveryStatus)
    Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoints[0],
            event="promotion.nominated",
            webhook_id=f"msg_{uuid.uuid4().hex}",
            body='{"type":"promotion.nominated"}',
            status=statuses[i % len(statuses)],
            attempts=i % 4,
            last_status_code=500 if i % 4 else None,
            next_attempt_at=now if statuses[i % len(statuses)] == "pending" else None,
            retry_until=now + timedelta(hours=24),
            delivered_at=now if statuses[i % len(statuses)] == "delivered" else None,
        )
        for i in range(ROWS)
    )
    world = World(hr, committee, manager, member, cycle, endpoints[0], promotions)
    paginated = {
        **{
            f"promotions/ as {v}": (v, "/api/v1/promotions/")
            for v in ("committee", "hr", "manager", "member")
        },
        **{f"members/ as {v}": (v, "/api/v1/members/") for v in ("committee", "hr", "manager")},
        "notifications/ as committee": ("committee", "/api/v1/notifications/"),
        **{f"cycles/ as {v}": (v, "/api/v1/cycles/") for v in ("hr", "member")},
        "webhooks/ as hr": ("hr", "/api/v1/webhooks/"),
        "webhooks/{id}/deliveries/ as hr": (
            "hr",
            f"/api/v1/webhooks/{endpoints[0].pk}/deliveries/",
        ),
    }
    return world, paginated


def test_every_list_costs_the_same_for_page_sizes_10_and_200(private_hooks, warm):
    world, paginated = build_pages()
    clients = world.clients(warm)
    pages = {}
    for size in (SMALL_PAGE, SMALL_PAGE, LARGE_PAGE):  # the first: warm
        pages[size] = {}
        for label, (viewer, url) in paginated.items():
            sql, response = queries_of(clients[viewer], f"{url}?page_size={size}")
            assert len(response.json()["results"]) == size, label
            pages[size][label] = sql
    assert_same_counts(pages[SMALL_PAGE], pages[LARGE_PAGE], "page size 10 -> 200")


def test_every_page_of_every_list_is_that_part_of_the_whole_list(private_hooks, warm, monkeypatch):
    """Pages are read with a late row lookup (config.pagination.late_row_lookup: the page's ids
    first, then only their rows joined). For every paginated list, viewer and filter, pages must
    be exactly that part of the whole list read without the lookup: the first, the second, one
    in the middle and the last."""
    world, paginated = build_pages()
    clients = world.clients(warm)
    clients["outsider"] = warm(User.objects.create_user(username="outsider"))  # no member record
    paginated |= {
        "promotions/?to_level= as committee": (
            "committee",
            "/api/v1/promotions/?to_level=senior-pm",
        ),
        "promotions/?cycle= as hr": ("hr", f"/api/v1/promotions/?cycle={world.cycle.pk}"),
        "promotions/?state= as manager": ("manager", "/api/v1/promotions/?state=in_review"),
        "promotions/?mine= as manager": ("manager", "/api/v1/promotions/?mine=nominated"),
        "members/ as member": ("member", "/api/v1/members/"),
        "members/ as outsider": ("outsider", "/api/v1/members/"),
        "cycles/ as committee": ("committee", "/api/v1/cycles/"),
        "notifications/?unread= as committee": ("committee", "/api/v1/notifications/?unread=true"),
        "ladder/transitions/ as member": ("member", "/api/v1/ladder/transitions/"),
        "ladder/levels/ as member": ("member", "/api/v1/ladder/levels/"),
        "webhooks/{id}/deliveries/?status= as hr": (
            "hr",
            f"/api/v1/webhooks/{world.endpoint.pk}/deliveries/?status=failed",
        ),
    }
    joined = ("promotions/", "members/ as member", "ladder/transitions/")  # the lookup must run

    def read_all(client, url) -> list:
        rows, page = [], 1
        while page:
            body = client.get(f"{url}&page_size={LARGE_PAGE}&page={page}").json()
            rows += body["results"]
            page = page + 1 if body["next"] else None
        return rows

    for label, (viewer, url) in paginated.items():
        client, url = clients[viewer], url if "?" in url else f"{url}?"
        with monkeypatch.context() as plain:  # the reference: pages sliced as they are
            plain.setattr("config.pagination.late_row_lookup", lambda page: page)
            rows = read_all(client, url)
        assert rows == read_all(client, url), label
        if label == "members/ as outsider":
            assert rows == [], label
            continue
        size = SMALL_PAGE if len(rows) > 4 * SMALL_PAGE else 2
        last = -(-len(rows) // size)
        assert last >= 3 or label == "members/ as member", label  # a member sees only themself
        for page in sorted({1, 2, last // 2, last} & set(range(1, last + 1))):
            sql, response = queries_of(client, f"{url}&page_size={size}&page={page}")
            assert response.json()["results"] == rows[(page - 1) * size : page * size], label
            if label.startswith(joined):
                assert any('"id" IN (SELECT' in query for query in sql), (label, page)
