"""core/prepared.py: a query built and compiled once per process answers exactly as the ORM's own
query does, for each new value, and refuses what the ORM refuses."""

from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from core.prepared import Prepared
from promotions.models import PacketVersion, Promotion, PromotionEvent
from tests import factories

pytestmark = pytest.mark.django_db

# A join, a nullable join (actor), JSON in two tables, a timestamp: what the timeline reads.
COLUMNS = (
    "from_state",
    "to_state",
    "at",
    "actor__username",
    "note",
    "votes",
    "promotion__packet_authors",
)


def events(promotion_id):
    return (
        PromotionEvent.objects.filter(promotion_id=promotion_id)
        .order_by("at", "id")
        .values_list(*COLUMNS)
    )


def test_each_value_gets_the_rows_the_orm_gets_converted_as_the_orm_converts_them():
    prepared = Prepared(events)
    approver = factories.committee_member()
    promotions = [
        factories.promotion(state="nominated"),
        factories.promotion(
            state="approved", votes=[(approver, "approve"), (factories.hr_user(), "approve")]
        ),
    ]
    for promotion in promotions:
        rows = prepared.rows(promotion.pk)
        assert rows == list(events(promotion.pk))
        assert rows, "each promotion has events"
        assert all(isinstance(row[-1], list) and row[-1] for row in rows)  # JSON parsed
        assert prepared.rows(str(promotion.pk)) == rows  # as the ORM takes an id from a URL
    decided = prepared.rows(promotions[1].pk)[-1]
    assert decided[1] == "approved"
    assert [vote["decision"] for vote in decided[5]] == ["approve", "approve"]
    assert prepared.rows(Promotion.objects.order_by("-pk").first().pk + 1) == []


def test_built_and_compiled_once_then_one_query_per_call():
    build = mock.Mock(side_effect=events)
    build.__code__ = events.__code__  # the number of values is read from the function
    prepared = Prepared(build)
    promotion = factories.promotion(state="in_review")
    expected = list(events(promotion.pk))
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert prepared.rows(promotion.pk) == expected
        assert len(queries) == 1
    assert build.call_count == 1


def test_several_values_each_in_its_place():
    def in_state_of(candidate_id, nominated_by_id):
        return (
            Promotion.objects.filter(candidate_id=candidate_id, nominated_by_id=nominated_by_id)
            .order_by("id")
            .values_list("id", "state")
        )

    prepared = Prepared(in_state_of)
    promotion = factories.promotion(state="in_review")
    candidate, nominator = promotion.candidate_id, promotion.nominated_by_id
    assert prepared.rows(candidate, nominator) == [(promotion.pk, "in_review")]
    assert prepared.rows(nominator, candidate) == list(in_state_of(nominator, candidate))


@pytest.mark.parametrize("value", ["abc", "1.5", "", [1]])
def test_what_is_no_integer_is_refused_as_the_orm_refuses_it(value):
    prepared = Prepared(events)
    with pytest.raises((ValueError, TypeError)):
        prepared.rows(value)
    with pytest.raises((ValueError, TypeError)):
        list(events(value))


def test_an_infinite_number_matches_nothing():
    # The ORM raises OverflowError here, which callers catching ValueError would let through.
    assert Prepared(events).rows(float("inf")) == []


def test_no_value_is_refused():
    # The ORM reads None as IS NULL; "= %s" cannot say that, so it is refused, not misread.
    with pytest.raises(TypeError):
        Prepared(events).rows(None)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_a_value_no_bigint_holds_matches_nothing_as_with_the_orm(value):
    factories.promotion(state="nominated")
    assert Prepared(events).rows(value) == []
    assert list(events(value)) == []


@pytest.mark.parametrize(
    "build",
    [
        # values_list() puts annotations after the fields in the SQL, then reorders each row.
        lambda pk: (
            Promotion.objects.filter(pk=pk)
            .annotate(v=F("packet_version"))
            .values_list("v", "state")
        ),
        # Models, or dicts: not rows of the asked columns.
        lambda pk: Promotion.objects.filter(pk=pk),
        lambda pk: Promotion.objects.filter(pk=pk).values("state"),
        lambda pk: Promotion.objects.filter(pk=pk).values_list("state", flat=True),
        # The value twice, or not at all: no one place to put it.
        lambda pk: Promotion.objects.filter(Q(pk=pk) | Q(candidate_id=pk)).values_list("state"),
        lambda pk: Promotion.objects.values_list("state"),
    ],
    ids=["annotation first", "models", "values", "flat", "value twice", "value unused"],
)
def test_a_query_it_cannot_run_faithfully_is_refused_when_first_run(build):
    # Not a ValueError: callers answer that with 404, which would hide the mistake.
    with pytest.raises(ImproperlyConfigured):
        Prepared(build).rows(1)


def test_annotations_asked_last_come_as_the_orm_gives_them():
    def with_version(pk):
        return (
            Promotion.objects.filter(pk=pk)
            .annotate(v=F("packet_version") + 1)
            .values_list("state", "v")
        )

    promotion = factories.promotion(state="in_review")
    assert Prepared(with_version).rows(promotion.pk) == [("in_review", 2)]
    assert list(with_version(promotion.pk)) == [("in_review", 2)]


def test_a_field_of_positive_numbers_takes_its_values_and_answers_none_outside_them():
    def version(promotion_id, number):
        return PacketVersion.objects.filter(promotion_id=promotion_id, number=number).values_list(
            "number", "submitted_by__username"
        )

    promotion = factories.promotion(state="nominated")
    prepared = Prepared(version)
    assert prepared.rows(promotion.pk, 1) == list(version(promotion.pk, 1))
    assert prepared.rows(promotion.pk, 1) == [(1, promotion.nominated_by.username)]
    for number in (2, 0, -1, 3_000_000_000):
        assert prepared.rows(promotion.pk, number) == []
        assert list(version(promotion.pk, number)) == []
