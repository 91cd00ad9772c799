import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from ladder.models import Level, LevelTransition
from ladder.services import LevelFacts, ladder_problems
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def level(code: str) -> Level:
    return Level.objects.get(code=code)


def test_a_move_is_unique_per_pair():
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelTransition.objects.create(from_level=level("pm"), to_level=level("senior-pm"))


def test_a_move_never_goes_to_its_own_level():
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelTransition.objects.create(from_level=level("pm"), to_level=level("pm"))


def test_a_move_must_go_up_the_ladder():
    # The rule's home is ladder.services (tests/ladder/test_integrity.py walks it through every
    # form); the database holds it too, checked at commit.
    assert "down or sideways" in " ".join(
        ladder_problems(
            levels=[LevelFacts(1, "cpo", 9, "management"), LevelFacts(2, "pm", 2, "ic")],
            moves=[(1, 2)],
        )
    )


@pytest.mark.services
def test_the_database_refuses_a_move_down_at_commit():
    with pytest.raises(IntegrityError, match="go up the ladder"), transaction.atomic():
        LevelTransition.objects.create(from_level=level("cpo"), to_level=level("pm"))
        with connection.cursor() as cursor:  # what COMMIT does with the deferred check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not LevelTransition.objects.filter(from_level__code="cpo").exists()


def test_levels_in_use_cannot_be_deleted():
    with pytest.raises(ProtectedError), transaction.atomic():
        level("senior-pm").delete()  # referenced by moves
    MemberFactory(level=level("cpo"))
    LevelTransition.objects.filter(to_level__code="cpo").delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        level("cpo").delete()  # referenced by a member
    assert Level.objects.filter(code="cpo").exists()


def test_a_member_is_not_their_own_manager():
    member = MemberFactory()
    member.manager = member
    with pytest.raises(IntegrityError), transaction.atomic():
        member.save()


def test_one_member_per_user():
    member = MemberFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(user=member.user)
