"""Effective dates (docs/design.md, "Promotion state machine", "Effective date"): an approval for a
later date leaves the member's level alone; on that date the periodic task changes it, once,
however many workers run the task at the same moment (SKIP LOCKED), also catching up after
downtime, dated the effective date; an `effective` event and notifications follow.

The clock is moved with freezegun (never by sleeping). The race needs PostgreSQL (real row
locks, two connections); the rest runs on either database."""

from collections import Counter
from datetime import date
from functools import partial

import pytest
import rest_framework.throttling  # noqa: F401  (before any freeze_time: tests/promotions/test_eligibility.py)
from django.db import connection, transaction
from freezegun import freeze_time

from ladder.models import Level, LevelChange, Member
from notifications.models import Notification
from promotions import services, tasks
from promotions.cycles import services as cycles
from promotions.models import Promotion, PromotionEvent
from tests import factories
from tests.concurrency import at_once

CYCLE_DATES = {
    "nominations_open_on": date(2030, 3, 1),
    "nominations_close_on": date(2030, 3, 10),
    "decisions_due_on": date(2030, 3, 20),
    "effective_on": date(2030, 4, 1),
}
EFFECTIVE_ON = CYCLE_DATES["effective_on"]


@pytest.fixture
def clock():
    """The clock, frozen at 2 March 2030 (noon UTC) while nominations are open; tests move it."""
    with freeze_time("2030-03-02 12:00:00") as frozen:
        yield frozen


def move(clock, day: date) -> None:
    clock.move_to(f"{day.isoformat()} 09:00:00")


@pytest.fixture
def staff(db):
    return {"hr": factories.hr_user(), "committee": factories.committee_member(level="vp-product")}


def in_review(candidate, committee, by=None) -> Promotion:
    """pm → senior-pm, in review with one approving vote."""
    return factories.promotion(
        candidate=candidate,
        to="senior-pm",
        by=by,
        state="in_review",
        votes=[(committee, "approve")],
        actor=committee,
    )


def approved_in_a_cycle(clock, staff, n: int) -> list[Promotion]:
    """n pm candidates nominated in a cycle effective on 1 April 2030, approved on 15 March."""
    hr, committee = staff["hr"], staff["committee"]
    cycle = cycles.cycle_create(actor=hr, name="Spring 2030", tracks=[], **CYCLE_DATES)
    cycles.cycle_open(actor=hr, cycle=cycle)
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    pm = Level.objects.get(code="pm")
    candidates = [factories.MemberFactory(level=pm, manager=manager) for _ in range(n)]
    promotions = [in_review(candidate, committee) for candidate in candidates]
    assert {promotion.cycle_id for promotion in promotions} == {cycle.pk}
    move(clock, date(2030, 3, 11))
    cycles.cycle_calibrate(actor=hr, cycle=cycle)
    move(clock, date(2030, 3, 15))
    return [
        services.promotion_approve(promotion=promotion, actor=committee) for promotion in promotions
    ]


def approved_off_cycle(staff, effective_on: date, *, by=None) -> Promotion:
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    candidate = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    promotion = in_review(candidate, staff["committee"], by=by)
    return services.promotion_approve(
        promotion=promotion, actor=staff["committee"], effective_on=effective_on
    )


def assert_pending(promotion: Promotion) -> None:
    promotion = Promotion.objects.get(pk=promotion.pk)  # (refresh_from_db: protected FSM field)
    assert promotion.state == "approved" and promotion.level_applied is False
    assert Member.objects.get(pk=promotion.candidate_id).level.code == "pm"
    assert not LevelChange.objects.filter(member_id=promotion.candidate_id).exists()
    assert not PromotionEvent.objects.filter(promotion=promotion, to_state="effective").exists()
    assert not Notification.objects.filter(promotion=promotion, kind="effective").exists()


def assert_took_effect_once(promotion: Promotion) -> None:
    """Applied once, dated its effective date: level, career history, event."""
    promotion = Promotion.objects.get(pk=promotion.pk)  # (refresh_from_db: protected FSM field)
    assert promotion.state == "approved" and promotion.level_applied is True
    member = Member.objects.select_related("level").get(pk=promotion.candidate_id)
    assert member.level.code == "senior-pm"
    assert member.level_since == promotion.effective_on
    (change,) = LevelChange.objects.filter(member=member).select_related("from_level", "to_level")
    assert (change.from_level.code, change.to_level.code) == ("pm", "senior-pm")
    assert change.promotion_id == promotion.pk
    assert change.effective_date == promotion.effective_on
    (event,) = PromotionEvent.objects.filter(promotion=promotion, to_state="effective")
    assert event.from_state == "approved" and event.actor_id is None


def outcome(call):
    """The call's result, or the exception it raised (a thread's exception is otherwise lost)."""
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - reported by the assertion on the results
        return error


# --- The race: fifty due promotions, two workers at once -------------------------------------


WORKERS = {
    # The beat task itself, as a worker runs it (batches of 100: both race for the same rows).
    "task": tasks.promotions_apply_effective,
    # Small batches: each worker loops, taking turns with the other at the locks.
    "batches_of_3": partial(services.promotions_apply_effective, batch=3),
}


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("worker", WORKERS)
def test_fifty_due_promotions_take_effect_once_with_two_workers_at_once(clock, staff, worker):
    assert connection.vendor == "postgresql"
    promotions = approved_in_a_cycle(clock, staff, 50)
    for promotion in promotions:
        assert promotion.effective_on == EFFECTIVE_ON
        assert_pending(promotion)

    move(clock, date(2030, 3, 31))  # the day before: nothing is due
    assert services.promotions_apply_effective() == 0
    assert_pending(promotions[0])

    move(clock, EFFECTIVE_ON)
    results = at_once(*(partial(outcome, WORKERS[worker]) for _ in range(2)))

    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 50, results
    candidate_ids = [promotion.candidate_id for promotion in promotions]
    changes = Counter(
        LevelChange.objects.filter(member_id__in=candidate_ids).values_list("member_id", flat=True)
    )
    assert changes == Counter(dict.fromkeys(candidate_ids, 1))
    assert set(
        LevelChange.objects.filter(member_id__in=candidate_ids).values_list(
            "effective_date", flat=True
        )
    ) == {EFFECTIVE_ON}
    events = Counter(
        PromotionEvent.objects.filter(to_state="effective").values_list("promotion_id", flat=True)
    )
    assert events == Counter({promotion.pk: 1 for promotion in promotions})
    assert Member.objects.filter(pk__in=candidate_ids, level__code="senior-pm").count() == 50
    assert not Promotion.objects.filter(pk__in=[p.pk for p in promotions], level_applied=False)
    for promotion in promotions[:5]:
        assert_took_effect_once(promotion)
    # Run again, by both: nothing left to do.
    assert at_once(*(partial(outcome, WORKERS[worker]) for _ in range(2))) == [0, 0]
    assert LevelChange.objects.filter(member_id__in=candidate_ids).count() == 50


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_promotion_locked_elsewhere_is_skipped_not_waited_for_and_applied_next_run(clock, staff):
    assert connection.vendor == "postgresql"
    promotions = [approved_off_cycle(staff, date(2030, 3, 20)) for _ in range(3)]
    move(clock, date(2030, 3, 20))
    busy = promotions[1]
    with transaction.atomic():
        Promotion.objects.select_for_update().get(pk=busy.pk)  # say, HR editing it in the admin
        # Another connection: it must skip the locked row, not wait for it (which would hang).
        (applied,) = at_once(partial(outcome, services.promotions_apply_effective))
    assert applied == 2
    assert_pending(busy)
    assert services.promotions_apply_effective() == 1
    for promotion in promotions:
        assert_took_effect_once(promotion)


# --- Catching up, idempotence, not yet due, notifications -----------------------------------


@pytest.mark.django_db
def test_after_downtime_the_task_catches_up_dated_the_effective_date_not_today(clock, staff):
    late = approved_off_cycle(staff, date(2030, 3, 20))
    later = approved_off_cycle(staff, date(2030, 4, 30))
    assert (late.effective_on, later.effective_on) == (date(2030, 3, 20), date(2030, 4, 30))
    assert_pending(late)

    move(clock, date(2030, 3, 23))  # the scheduler was down for three days
    assert tasks.promotions_apply_effective() == 1

    assert_took_effect_once(late)
    member = Member.objects.get(pk=late.candidate_id)
    assert member.level_since == date(2030, 3, 20)
    assert LevelChange.objects.get(member=member).effective_date == date(2030, 3, 20)
    assert_pending(later)  # not yet due: untouched

    # Idempotent: the next run (the same day or later) finds nothing new.
    assert tasks.promotions_apply_effective() == 0
    move(clock, date(2030, 4, 29))
    assert services.promotions_apply_effective() == 0
    assert_took_effect_once(late)
    assert_pending(later)

    move(clock, date(2030, 4, 30))
    assert services.promotions_apply_effective() == 1
    assert_took_effect_once(later)


@pytest.mark.django_db
def test_an_explicit_today_applies_what_is_due_then(clock, staff):
    due = approved_off_cycle(staff, date(2030, 3, 25))
    assert services.promotions_apply_effective(today=date(2030, 3, 24)) == 0
    assert_pending(due)
    assert services.promotions_apply_effective(today=date(2030, 3, 28)) == 1
    assert_took_effect_once(due)  # dated 25 March, the effective date, not the 28th


@pytest.mark.django_db
def test_taking_effect_notifies_the_candidate_the_nominator_and_the_manager(clock, staff):
    promotion = approved_off_cycle(staff, date(2030, 3, 20), by=staff["hr"])  # HR nominated
    candidate = Member.objects.select_related("manager").get(pk=promotion.candidate_id)
    assert_pending(promotion)  # no `effective` notification before the date

    move(clock, date(2030, 3, 20))
    assert services.promotions_apply_effective() == 1

    notes = Notification.objects.filter(promotion=promotion, kind="effective")
    assert Counter(notes.values_list("recipient_id", flat=True)) == Counter(
        {candidate.user_id: 1, staff["hr"].pk: 1, candidate.manager.user_id: 1}
    )
    for note in notes:
        assert "2030-03-20" in note.body
        assert "pm → senior-pm" in note.subject
    # A second run sends nothing more.
    assert services.promotions_apply_effective() == 0
    assert notes.count() == 3
