"""Query budgets: a request's cost must not grow with the size of a page, the number of reviews,
or the size of the committee. Fixed budgets are written out; raising one is a decision."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ladder.models import Level
from promotions.models import Review
from tests import factories

pytestmark = pytest.mark.django_db


def count_queries(client, method, url, data=None) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data, format="json")
    assert response.status_code < 400, response.content[:300]
    return len(queries), response


def make_promotions(n: int, committee, hr, reviews_each: int = 1):
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    reviewers = [committee] + [factories.committee_member() for _ in range(reviews_each - 1)]
    promotions = []
    for _ in range(n):
        member = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
        promotion = factories.promotion(candidate=member, state="in_review", actor=hr)
        ratings = factories.ratings_for(promotion)
        Review.objects.bulk_create(
            Review(
                promotion=promotion,
                reviewer=r,
                decision="approve",
                packet_version=promotion.packet_version,
                ratings=ratings,
            )
            for r in reviewers
        )
        promotions.append(promotion)
    return manager, promotions


@pytest.fixture
def staff(db):
    return factories.committee_member(level="vp-product"), factories.hr_user()


LIST_URLS = [
    "/api/v1/promotions/",
    "/api/v1/promotions/?state=in_review",
    "/api/v1/members/",
    "/api/v1/notifications/",
    "/api/v1/ladder/levels/",
    "/api/v1/ladder/transitions/",
]


@pytest.mark.parametrize("url", LIST_URLS)
def test_lists_cost_the_same_for_page_sizes_10_and_200(staff, warm, url):
    committee, hr = staff
    make_promotions(12, committee, hr)
    client = warm(committee)
    sep = "&" if "?" in url else "?"
    small, _ = count_queries(client, "get", f"{url}{sep}page_size=10")
    large, response = count_queries(client, "get", f"{url}{sep}page_size=200")
    assert small == large
    assert large <= 10


@pytest.mark.parametrize("who", ["committee", "manager", "candidate"])
def test_the_promotion_list_costs_the_same_with_1_or_100_reviews_each(staff, warm, who):
    committee, hr = staff
    manager_few, few = make_promotions(3, committee, hr, reviews_each=1)
    manager_many, many = make_promotions(3, committee, hr, reviews_each=100)
    viewers = {
        "committee": (committee, committee),
        "manager": (manager_few.user, manager_many.user),
        "candidate": (few[0].candidate.user, many[0].candidate.user),
    }[who]
    counts = [count_queries(warm(user), "get", "/api/v1/promotions/")[0] for user in viewers]
    assert counts[0] == counts[1]


def test_reviews_and_timeline_cost_the_same_for_1_or_100_reviews(staff, warm):
    committee, hr = staff
    _, (few,) = make_promotions(1, committee, hr, reviews_each=1)
    _, (many,) = make_promotions(1, committee, hr, reviews_each=100)
    client = warm(hr)
    for suffix in ["reviews/", "timeline/", ""]:
        a, _ = count_queries(client, "get", f"/api/v1/promotions/{few.id}/{suffix}")
        b, _ = count_queries(client, "get", f"/api/v1/promotions/{many.id}/{suffix}")
        assert a == b, suffix


# Fixed budgets, measured on PostgreSQL and SQLite alike (savepoints included).
# Nominate and approve include writing the notification rows (delivery happens after commit).
# Detail and approve read who may still vote (the quorum counts only current committee and HR).
# Nominate writes version 1 of the packet (+5: the target level's criteria, read once to refuse
# bad evidence before anything is written and again when the version is made; the last version
# number; the version's row; the promotion's packet_version). A review reads the current packet
# version for the criteria it must rate (+1). Eligibility (+1): the member's open or pending
# promotions, as before the one-open check, plus the open and calibrating cycles.
# Webhooks: each change reads the active endpoints once (+1); an approval effective today sends
# three events in two writes (approved; effective and level changed): +2.
# Round two of performance work took from every request: the viewer's groups (read with the
# token, -1), the levels and active moves (kept in memory under the ladder's version, which a
# promotion's row brings along: -2 for the levels, -1 for the moves) and who may still vote
# (read with the votes, -1).
# Channels (issue 23): a message and its deliveries (one per channel) are two tables, so a change
# that notifies writes one INSERT more (+1 for nominate and approve), whatever the number of
# recipients and channels; without SLACK_BOT_TOKEN no query asks who is on Slack.
# Delegation (issue 25): a message of the committee's work asks which of its recipients have
# handed their seat to someone today, whose delegate gets a copy (+1 for nominate: its "review
# requested"; one indexed query per message, whatever the number of recipients; the messages to
# the people involved, as approve's, ask nothing).
# Audit chain (issue 26): each audit row's link is one INSERT in its transaction (sealed by a
# trigger at commit, no query): +1 for nominate (its event), +2 for approve (its event and the
# level change).
BUDGETS = {"detail": 3, "nominate": 24, "review": 12, "approve": 19}
# SQLite (the suite without services) has no array subquery: the viewer's groups are one more
# query per request there.
PER_REQUEST_ON_SQLITE = 1


def budget(name: str) -> int:
    return BUDGETS[name] + (PER_REQUEST_ON_SQLITE if connection.vendor == "sqlite" else 0)


def test_fixed_budgets(staff, warm):
    committee, hr = staff
    _, (promotion,) = make_promotions(1, committee, hr, reviews_each=1)
    client = warm(committee)

    detail, _ = count_queries(client, "get", f"/api/v1/promotions/{promotion.id}/")
    review, _ = count_queries(
        warm(hr),
        "post",
        f"/api/v1/promotions/{promotion.id}/reviews/",
        {"decision": "approve", "ratings": factories.ratings_body(promotion)},
    )
    approve, _ = count_queries(client, "post", f"/api/v1/promotions/{promotion.id}/approve/", {})

    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    candidate = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    nominate, _ = count_queries(
        warm(manager.user),
        "post",
        "/api/v1/promotions/",
        {
            "candidate": candidate.id,
            "to_level": "senior-pm",
            "justification": "Ready.",
            "evidence": factories.evidence_for("senior-pm"),
        },
    )
    measured = {"detail": detail, "nominate": nominate, "review": review, "approve": approve}
    assert measured == {name: budget(name) for name in BUDGETS}


def test_webhook_events_cost_the_same_for_one_endpoint_or_five(staff, warm, settings):
    """The outbox rows of a change are one INSERT whatever the number of endpoints."""
    from webhooks.models import Delivery, Endpoint
    from webhooks.services import endpoint_create

    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    committee, hr = staff
    counts = []
    for endpoints in (1, 5):
        Endpoint.objects.all().delete()
        for _ in range(endpoints):
            endpoint_create(actor=hr, url="http://127.0.0.1:9/hook")
        _, (promotion,) = make_promotions(1, committee, hr, reviews_each=1)
        before = Delivery.objects.count()
        approve, _ = count_queries(
            warm(committee), "post", f"/api/v1/promotions/{promotion.id}/approve/", {}
        )
        # approved, effective, level changed: to each endpoint
        assert Delivery.objects.count() - before == 3 * endpoints
        counts.append(approve)
    # The budget above has no endpoint; with any number: the two INSERTs of the outbox rows.
    assert counts[0] == counts[1] == budget("approve") + 2
