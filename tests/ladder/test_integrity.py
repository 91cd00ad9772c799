"""The ladder's integrity: every move goes to a higher rank; within one track only to the next
level up; no edit of a rank turns a move downward or sideways. Held by ladder.services whatever
form makes the edit (the level page with its inline moves, the moves' own pages), and by the
database at commit."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from ladder.models import Level, LevelTransition
from ladder.services import ensure_ladder_integrity
from tests import factories
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


def level(code):
    return Level.objects.get(code=code)


@pytest.fixture
def hr():
    client = Client()
    client.force_login(factories.hr_user())
    return client


def level_form(lv: Level, moves=(), **changes) -> dict:
    data = {"code": lv.code, "rank": lv.rank, "title": lv.title, "track": lv.track}
    data["min_months_in_level"] = lv.min_months_in_level
    data.update({"position": "", "mission": "", "goal": "", **changes})
    existing = list(LevelTransition.objects.filter(from_level=lv)) if lv.pk else []
    rows = [(m.pk, m.to_level_id, m.is_active) for m in existing] + [
        (None, to.pk, True) for to in moves
    ]
    data["criteria-TOTAL_FORMS"] = data["criteria-INITIAL_FORMS"] = "0"  # left as they are
    data["moves_out-TOTAL_FORMS"] = str(len(rows))
    data["moves_out-INITIAL_FORMS"] = str(len(existing))
    for i, (pk, to, active) in enumerate(rows):
        data[f"moves_out-{i}-id"] = pk or ""
        data[f"moves_out-{i}-to_level"] = to
        data[f"moves_out-{i}-from_level"] = lv.pk or ""
        if active:
            data[f"moves_out-{i}-is_active"] = "on"
    return data


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code  # the form again
    inline = [str(f.non_form_errors()) for f in response.context["inline_admin_formsets"]]
    return str(response.context["adminform"].form.errors) + " ".join(inline)


def test_a_new_level_cannot_bring_a_move_down(hr):
    """The reported case: the new level had no id yet, so the check was skipped."""
    new = Level(code="fellow", rank=10, title="Fellow", track="ic")
    response = hr.post("/admin/ladder/level/add/", level_form(new, moves=[level("associate-pm")]))
    assert "down or sideways" in errors_of(response)
    assert not Level.objects.filter(code="fellow").exists()


def test_a_rank_edit_cannot_turn_existing_moves_downward(hr):
    """The reported case: pm's rank set to 50 made pm → senior-pm a downward move."""
    pm = level("pm")
    response = hr.post(f"/admin/ladder/level/{pm.pk}/change/", level_form(pm, rank=50))
    assert "pm → senior-pm" in errors_of(response)
    assert level("pm").rank == 2
    # The moves' list still saves (it failed to save any row once the ladder was broken).
    ensure_ladder_integrity()


def test_a_move_within_a_track_cannot_skip_a_level(hr):
    response = hr.post(
        "/admin/ladder/leveltransition/add/",
        {"from_level": level("pm").pk, "to_level": level("lead-pm").pk, "is_active": "on"},
    )
    assert "skip senior-pm" in errors_of(response)
    move = LevelTransition.objects.get(from_level__code="pm")
    response = hr.post(
        f"/admin/ladder/leveltransition/{move.pk}/change/",
        {"from_level": level("pm").pk, "to_level": level("associate-pm").pk, "is_active": "on"},
    )
    assert "down or sideways" in errors_of(response)


def test_sound_edits_still_save(hr):
    new = Level(code="fellow", rank=10, title="Fellow", track="management")
    response = hr.post("/admin/ladder/level/add/", level_form(new))
    assert response.status_code == 302
    cpo = level("cpo")
    response = hr.post(
        f"/admin/ladder/level/{cpo.pk}/change/", level_form(cpo, moves=[level("fellow")])
    )
    assert response.status_code == 302
    assert LevelTransition.objects.filter(from_level=cpo, to_level__code="fellow").exists()
    move = LevelTransition.objects.get(from_level__code="pm")
    response = hr.post(
        "/admin/ladder/leveltransition/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": move.pk,
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    move.refresh_from_db()
    assert move.is_active is False  # deactivating a move is always sound


@pytest.mark.services
def test_the_database_refuses_a_rank_that_turns_a_move_down():
    with (
        pytest.raises(IntegrityError, match="go up the ladder"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE ladder_level SET rank = 50 WHERE code = 'pm'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as COMMIT would
    assert level("pm").rank == 2


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sound_edits_at_once_cannot_break_the_ladder_together():
    """Each edit is sound alone; together they would leave group-pm → vp-product skipping
    head-of-product. The checks queue on a lock and each sees the other's commit."""
    hr_user = factories.hr_user()
    head = level("head-of-product")
    Level.objects.filter(pk=head.pk).update(track="ic")  # a sound ladder still
    ensure_ladder_integrity()
    head.refresh_from_db()

    def client():
        c = Client()
        c.force_login(hr_user)
        return c

    def back_to_management():
        return client().post(
            f"/admin/ladder/level/{head.pk}/change/", level_form(head, track="management")
        )

    def add_skip_within_management():
        return client().post(
            "/admin/ladder/leveltransition/add/",
            {
                "from_level": level("group-pm").pk,
                "to_level": level("vp-product").pk,
                "is_active": "on",
            },
        )

    at_once(back_to_management, add_skip_within_management)
    ensure_ladder_integrity()  # whatever the order, the saved ladder holds
    applied = [
        level("head-of-product").track == "management",
        LevelTransition.objects.filter(
            from_level__code="group-pm", to_level__code="vp-product"
        ).exists(),
    ]
    assert applied.count(True) == 1, applied
