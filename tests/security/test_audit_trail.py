"""Events and career history cannot be rewritten: not through the ORM, not in the admin (tests in
tests/promotions/test_admin.py), not with SQL from the application's connection."""

import pytest
from django.db import DatabaseError, connection, transaction

from ladder.models import Level, LevelChange
from ladder.services import member_level_change
from promotions.models import PromotionEvent

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def history(people, nominate):
    nominate()
    member_level_change(
        member=people["candidate_member"], to_level=Level.objects.get(code="senior-pm")
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE promotions_promotionevent SET note = 'rewritten'",
        "DELETE FROM promotions_promotionevent",
        "UPDATE ladder_levelchange SET to_level_id = from_level_id",
        "DELETE FROM ladder_levelchange",
    ],
)
def test_sql_from_the_application_connection_cannot_rewrite_history(history, sql):
    assert connection.vendor == "postgresql"
    with (
        pytest.raises(DatabaseError, match="Cannot"),
        transaction.atomic(),
        connection.cursor() as c,
    ):
        c.execute(sql)
    assert PromotionEvent.objects.filter(note="").count() == 1
    assert LevelChange.objects.get().to_level.code == "senior-pm"
