"""The list, the detail and the timeline build their answers from plain rows (PromotionRow,
EventRow); the rules and the serializers were written for models. Each promotion must read
exactly as it does built from its models, available_transitions and the timeline's hidden
columns included, for every state, kind of promotion and viewer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ladder.models import Level
from promotions import selectors
from promotions.models import Promotion
from promotions.permissions import sees_committee_work
from promotions.serializers import EventSerializer, PromotionSerializer
from tests import factories
from tests.promotions.test_cycles import make_cycle

pytestmark = pytest.mark.django_db


def from_models(viewer, promotion_id) -> dict:
    promotion = selectors.promotion_get_visible_to(user=viewer, promotion_id=promotion_id)
    assert isinstance(promotion, Promotion)
    allowed = selectors.available_transitions(user=viewer, promotions=[promotion])
    context = {"available_transitions": allowed, "viewer": viewer}
    return dict(PromotionSerializer(promotion, context=context).data)


def timeline_from_models(viewer, promotion_id) -> list[dict]:
    promotion = selectors.promotion_get_visible_to(user=viewer, promotion_id=promotion_id)
    context = {"committee_view": sees_committee_work(viewer, promotion)}
    events = selectors.promotion_timeline(promotion=promotion)
    return [dict(event) for event in EventSerializer(events, many=True, context=context).data]


def test_every_row_reads_as_its_models(people, as_user):
    hr, committee = people["hr"], people["committee"]
    kinds = factories.promotions_of_every_kind(people)
    voter, sent_back, off_cycle = kinds["voter"], kinds["sent_back"], kinds["off_cycle"]
    cycle = make_cycle(tracks=("ic",))
    in_cycle = factories.promotion(state="in_review", votes=[(voter, "approve")])
    assert in_cycle.cycle_id == cycle.pk  # approvable but for its open cycle

    viewers = [
        hr,
        committee,
        voter,
        people["manager"],
        people["candidate"],
        sent_back.nominated_by,
        off_cycle.nominated_by,
    ]
    compared, hidden, transitions = 0, 0, set()
    for viewer in viewers:
        client = as_user(viewer)
        listed = client.get("/api/v1/promotions/?page_size=200").json()["results"]
        for row in listed:
            assert row == from_models(viewer, row["id"]), (viewer.username, row["state"])
            detail = client.get(f"/api/v1/promotions/{row['id']}/").json()
            assert detail == row, (viewer.username, row["state"])
            # The timeline, read from plain rows too.
            timeline = client.get(f"/api/v1/promotions/{row['id']}/timeline/").json()
            assert timeline == timeline_from_models(viewer, row["id"]), viewer.username
            hidden += all(event["actor"] is None for event in timeline)
            transitions.update(row["available_transitions"])
            compared += 1
    assert compared >= 40
    assert 0 < hidden < compared  # both the committee's view of a timeline and the others'
    # The rows exercised every rule that decides a transition.
    assert {"start-review", "approve", "reject", "withdraw", "request-changes", "resubmit"} <= (
        transitions
    )


def test_every_page_reads_as_the_whole_list(people, as_user, monkeypatch):
    """A page finds its ids first and joins only those (late_row_lookup): each page must hold
    exactly the rows the whole list has there, ties in created_at included, for the committee's
    order and a member's (their own, by an expression) alike. One promotion is not a page."""
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    states = [
        "nominated",
        "in_review",
        "nominated",
        "in_review",
        "withdrawn",
        "in_review",
        "rejected",
    ]
    made = []
    for state in states:
        report = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
        made.append(factories.promotion(candidate=report, state=state))
    same_moment = timezone.now()
    Promotion.objects.filter(pk__in=[p.pk for p in made[1:5]]).update(created_at=same_moment)

    for viewer, query in [
        (people["committee"], ""),
        (people["committee"], "&state=in_review"),
        (people["hr"], "&state=nominated"),
        (manager.user, ""),
    ]:
        client = as_user(viewer)
        with monkeypatch.context() as plain:  # the reference: one page, sliced as it is
            plain.setattr("config.pagination.late_row_lookup", lambda page: page)
            whole = client.get(f"/api/v1/promotions/?page_size=200{query}").json()["results"]
        assert len(whole) >= 2
        for size in (1, 2, 3):
            paged, page = [], 1
            while True:
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(
                        f"/api/v1/promotions/?page_size={size}&page={page}{query}"
                    )
                body = response.json()
                paged += body["results"]
                # The late lookup ran, in the page's one query for its rows.
                assert any('"id" IN (SELECT' in q["sql"] for q in queries.captured_queries)
                if not body["next"]:
                    break
                page += 1
            assert [row["id"] for row in paged] == [row["id"] for row in whole], (viewer, size)
            assert paged == whole
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/promotions/{whole[0]['id']}/").status_code == 200
        assert not any('"id" IN (SELECT' in q["sql"] for q in queries.captured_queries)
