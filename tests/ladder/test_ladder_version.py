"""Levels and moves are kept in memory under the ladder's version (ladder_snapshot): a trigger
on each table gives the ladder a new number in the writing transaction, so no read is
ever served from what a process kept before a change, whatever wrote it."""

import pytest
from django.db import connection, transaction

from ladder.models import LadderVersion, Level, LevelTransition
from ladder.selectors import active_moves, ladder_snapshot, levels_by_id

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def version() -> int:
    return LadderVersion.objects.get(pk=1).number


def test_every_kind_of_write_to_levels_or_moves_gives_a_new_version():
    move = LevelTransition.objects.filter(is_active=True).first()
    level = Level.objects.get(code="pm")
    seen = [version()]
    writes = [
        lambda: Level.objects.filter(pk=level.pk).update(title="Product Manager II"),
        lambda: LevelTransition.objects.filter(pk=move.pk).update(is_active=False),
        lambda: LevelTransition.objects.filter(pk=move.pk).delete(),
        lambda: LevelTransition.objects.create(
            from_level=move.from_level, to_level=move.to_level, is_active=True
        ),
        # Bypassing Django entirely: the trigger is the database's.
        lambda: connection.cursor().execute(
            "UPDATE ladder_level SET goal = 'New goal' WHERE code = 'pm'"
        ),
    ]
    for write in writes:
        write()
        seen.append(version())
    assert len(set(seen)) == len(seen), seen


def test_reads_see_each_change_at_once():
    level = Level.objects.get(code="pm")
    move = LevelTransition.objects.filter(is_active=True).first()
    assert levels_by_id()[level.pk].title == level.title
    assert (move.from_level_id, move.to_level_id) in active_moves()
    kept = ladder_snapshot()
    assert ladder_snapshot() is kept  # unchanged: served from memory

    with connection.cursor() as cursor:
        cursor.execute("UPDATE ladder_level SET title = 'Renamed' WHERE id = %s", [level.pk])
    assert levels_by_id()[level.pk].title == "Renamed"
    LevelTransition.objects.filter(pk=move.pk).update(is_active=False)
    assert (move.from_level_id, move.to_level_id) not in active_moves()


def test_a_change_rolled_back_is_not_kept():
    """Read inside a transaction that then rolls back: the number it saw is never given again,
    so what the process kept under it is never taken for the ladder's."""
    level = Level.objects.get(code="pm")
    with pytest.raises(RuntimeError), transaction.atomic():
        Level.objects.filter(pk=level.pk).update(title="Never committed")
        assert levels_by_id()[level.pk].title == "Never committed"
        raise RuntimeError
    assert levels_by_id()[level.pk].title == level.title
    Level.objects.filter(pk=level.pk).update(title="Committed")
    assert levels_by_id()[level.pk].title == "Committed"


def test_each_read_gets_its_own_level_objects():
    first, second = levels_by_id(), levels_by_id()
    some = next(iter(first))
    first[some].title = "Changed by one caller"
    assert second[some].title != "Changed by one caller"
    assert levels_by_id()[some].title != "Changed by one caller"


def test_a_promotion_page_reads_its_levels_from_memory(django_assert_num_queries):
    """The version comes with the promotions' rows: while it is unchanged, no query for levels."""
    from promotions.models import Promotion
    from promotions.selectors import promotion_list_visible_to
    from tests import factories

    factories.promotion()
    factories.promotion(to="senior-pm")
    hr = factories.hr_user()
    list(promotion_list_visible_to(user=hr))  # warm: reads the levels once
    with django_assert_num_queries(1):  # the page only
        page = list(promotion_list_visible_to(user=hr))
    assert {p.to_level.code for p in page} == set(
        Promotion.objects.values_list("to_level__code", flat=True)
    )
    Level.objects.filter(code="senior-pm").update(title="Senior, renamed")
    with django_assert_num_queries(3):  # the page, then the levels and the moves afresh
        page = list(promotion_list_visible_to(user=hr))
    assert "Senior, renamed" in {p.to_level.title for p in page}
