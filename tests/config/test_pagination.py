"""config.pagination.late_row_lookup: which pages it rewrites, and which it must leave alone
because "the rows with these ids" would not be the page's rows."""

import pytest
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from config.pagination import late_row_lookup
from ladder.models import Member
from promotions.models import Promotion
from tests import factories

pytestmark = pytest.mark.django_db


def rewritten(page) -> bool:
    return late_row_lookup(page) is not page


def test_a_joined_or_annotated_page_is_read_by_its_ids():
    members = Member.objects.select_related("user").order_by("id")
    assert rewritten(members[10:20])
    assert rewritten(Member.objects.annotate(twice=F("id") * 2).order_by("id")[:5])


def test_what_is_not_a_page_or_has_nothing_to_join_is_left_alone():
    members = Member.objects.select_related("user")
    assert not rewritten(members.order_by("id"))  # not sliced
    assert not rewritten(Member.objects.order_by("id")[10:20])  # nothing joined or computed
    assert not rewritten(members.order_by()[:5])  # no order (get() clears it): not a page
    assert not rewritten([1, 2, 3])  # not a query


def test_pages_whose_ids_alone_would_differ_are_left_alone(people):
    """A filter along a to-many relation repeats a promotion per matching review; a window
    function would number the page, not the list; DISTINCT and unions choose rows by more than
    their ids."""
    factories.promotion(state="in_review", votes=[(people["committee"], "approve")])
    promotions = Promotion.objects.select_related("candidate").order_by("-id")
    assert not rewritten(promotions.filter(reviews__decision="approve")[:2])
    assert not rewritten(Member.objects.filter(user__groups__name="HR").order_by("id")[:2])
    numbered = promotions.annotate(n=Window(RowNumber(), order_by=F("id").asc()))
    assert not rewritten(numbered[:2])
    assert not rewritten(promotions.distinct()[:2])
    assert not rewritten(promotions.union(promotions).order_by("-id")[:2])
    # A to-one join is fine: the candidate's level.
    assert rewritten(promotions.filter(candidate__level__code="pm")[:2])
