"""Eligibility (docs/design.md, "Eligibility"): every reason against a nomination, as the
eligibility endpoint lists it beforehand and as the nomination's 409 `not_eligible` lists it (all
reasons that apply, at once); HR's override of time in level and off-cycle nominations, and who
may send them."""

from datetime import date, timedelta

import pytest
import rest_framework.throttling  # noqa: F401  (imported before any freeze_time: see below)
from django.utils import timezone
from freezegun import freeze_time

from ladder.models import Level, LevelTransition
from promotions import services
from promotions.cycles import services as cycles
from promotions.eligibility import months_between
from promotions.models import Promotion, PromotionEvent
from tests import factories

pytestmark = pytest.mark.django_db

# DRF's throttles keep `timer = time.time` from when rest_framework.throttling is first imported:
# imported under freeze_time, that is freezegun's fake (which then breaks as a bound method), so
# this module imports it first.

REASON = "Moved teams in March; their time at pm counts from their old team."
OFF_CYCLE = "Retention case: an outside offer expires before the next cycle."


def nominate(client, candidate, to="senior-pm", **extra):
    return client.post(
        "/api/v1/promotions/",
        {
            "candidate": candidate.pk,
            "to_level": to,
            "justification": "Ready.",
            "evidence": factories.evidence_for(to),
            **extra,
        },
        format="json",
    )


def eligibility(client, member):
    return client.get(f"/api/v1/members/{member.pk}/eligibility/")


def next_level(body: dict, code: str) -> dict:
    return next(level for level in body["next_levels"] if level["code"] == code)


def reason_codes(reasons: list[dict]) -> list[str]:
    return [reason["code"] for reason in reasons]


def refused_with(response, *codes: str) -> list[dict]:
    """A 409 `not_eligible` whose `reasons` are exactly `codes` (any order), each with a detail."""
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "not_eligible"
    assert sorted(reason_codes(body["reasons"])) == sorted(codes)
    for reason in body["reasons"]:
        assert isinstance(reason["detail"], str) and reason["detail"]
    return body["reasons"]


def shows(client, member, level: str, *codes: str) -> dict:
    """The eligibility endpoint lists exactly `codes` against `level` (eligible when none)."""
    response = eligibility(client, member)
    assert response.status_code == 200, response.json()
    entry = next_level(response.json(), level)
    assert sorted(reason_codes(entry["reasons"])) == sorted(codes)
    assert entry["eligible"] is (not codes)
    return entry


def set_since(member, since: date):
    member.level_since = since
    member.save(update_fields=["level_since"])


def recent(member, days: int = 30):
    set_since(member, timezone.localdate() - timedelta(days=days))


def open_cycle(*, tracks=(), close_in: int = 14, effective_in: int = 60, **dates):
    hr = factories.hr_user()
    today = timezone.localdate()
    plan = {
        "nominations_open_on": today - timedelta(days=1),
        "nominations_close_on": today + timedelta(days=close_in),
        "decisions_due_on": today + timedelta(days=close_in + 7),
        "effective_on": today + timedelta(days=effective_in),
        **dates,
    }
    cycle = cycles.cycle_create(actor=hr, name="H1 promotions", tracks=list(tracks), **plan)
    return cycles.cycle_open(actor=hr, cycle=cycle)


def approved_later(candidate, days: int = 30) -> Promotion:
    """Approved off-cycle with an effective date `days` ahead: pending, level unchanged."""
    promotion = factories.promotion(
        candidate=candidate,
        to="senior-pm",
        state="in_review",
        votes=[(factories.committee_member(), "approve")],
    )
    return services.promotion_approve(
        promotion=promotion,
        actor=factories.committee_member(),
        effective_on=timezone.localdate() + timedelta(days=days),
    )


def nothing_nominated(candidate) -> bool:
    return not Promotion.objects.filter(candidate=candidate).exists()


# --- The endpoint's shape, and an eligible member ---------------------------------------------


@freeze_time("2025-06-15 12:00")
def test_an_eligible_member_has_no_reasons(as_user, people):
    candidate = people["candidate_member"]
    set_since(candidate, date(2023, 6, 15))
    response = eligibility(as_user(people["manager"]), candidate)
    assert response.status_code == 200
    assert response.json() == {
        "member": candidate.pk,
        "level": "pm",
        "months_in_level": 24,
        "next_levels": [{"code": "senior-pm", "eligible": True, "reasons": []}],
    }
    assert nominate(as_user(people["manager"]), candidate).status_code == 201


def test_every_move_up_is_listed_each_with_its_own_reasons(as_user, people, settings):
    settings.PROMOTIONS_REQUIRE_CYCLE = True
    open_cycle(tracks=["ic"])
    candidate = people["candidate_member"]
    candidate.level = Level.objects.get(code="senior-pm")
    candidate.save()
    body = eligibility(as_user(people["hr"]), candidate).json()
    assert sorted(level["code"] for level in body["next_levels"]) == ["group-pm", "lead-pm"]
    shows(as_user(people["hr"]), candidate, "lead-pm")  # ic: the open cycle takes it
    shows(as_user(people["hr"]), candidate, "group-pm", "no_open_cycle")  # management: none


def test_nothing_is_listed_above_cpo(as_user, people):
    candidate = people["candidate_member"]
    candidate.level = Level.objects.get(code="cpo")
    candidate.save()
    body = eligibility(as_user(people["hr"]), candidate).json()
    assert body["level"] == "cpo"
    assert body["next_levels"] == []


# --- time_in_level ------------------------------------------------------------------------------


def test_time_in_level_is_listed_and_refuses_the_nomination(as_user, people):
    candidate = people["candidate_member"]
    recent(candidate, days=100)
    entry = shows(as_user(people["manager"]), candidate, "senior-pm", "time_in_level")
    assert "of the 12 months required at pm" in entry["reasons"][0]["detail"]
    [reason] = refused_with(nominate(as_user(people["manager"]), candidate), "time_in_level")
    assert "12 months" in reason["detail"]
    assert nothing_nominated(candidate)
    assert PromotionEvent.objects.count() == 0


def test_hr_is_held_to_time_in_level_without_an_override(as_user, people):
    candidate = people["candidate_member"]
    recent(candidate)
    refused_with(nominate(as_user(people["hr"]), candidate), "time_in_level")
    assert nothing_nominated(candidate)


@freeze_time("2025-03-15 12:00")
@pytest.mark.parametrize(
    ("since", "eligible"),
    [
        (date(2024, 3, 15), True),  # exactly twelve months
        (date(2024, 3, 16), False),  # a day short
        (date(2025, 3, 15), False),  # today
    ],
)
def test_twelve_whole_months_are_needed(as_user, people, since, eligible):
    candidate = people["candidate_member"]
    set_since(candidate, since)
    if eligible:
        shows(as_user(people["manager"]), candidate, "senior-pm")
        assert nominate(as_user(people["manager"]), candidate).status_code == 201
    else:
        shows(as_user(people["manager"]), candidate, "senior-pm", "time_in_level")
        refused_with(nominate(as_user(people["manager"]), candidate), "time_in_level")


def test_min_months_follows_the_level_setting(as_user, people):
    candidate = people["candidate_member"]
    recent(candidate, days=100)  # three whole months at least, four at most
    Level.objects.filter(code="pm").update(min_months_in_level=3)
    shows(as_user(people["manager"]), candidate, "senior-pm")
    Level.objects.filter(code="pm").update(min_months_in_level=24)
    shows(as_user(people["manager"]), candidate, "senior-pm", "time_in_level")


def test_zero_min_months_disables_the_rule(as_user, people):
    Level.objects.filter(code="pm").update(min_months_in_level=0)
    candidate = people["candidate_member"]
    set_since(candidate, timezone.localdate())  # arrived at pm today
    shows(as_user(people["manager"]), candidate, "senior-pm")
    response = nominate(as_user(people["manager"]), candidate)
    assert response.status_code == 201, response.json()
    assert response.json()["eligibility_override_reason"] is None


@pytest.mark.parametrize(
    ("since", "today", "months"),
    [
        (date(2025, 1, 31), date(2025, 2, 28), 0),  # the end of a short month is no month
        (date(2024, 1, 31), date(2024, 2, 29), 0),  # nor in a leap year
        (date(2025, 1, 31), date(2025, 3, 1), 1),
        (date(2025, 1, 31), date(2025, 3, 31), 2),
        (date(2025, 1, 15), date(2025, 1, 15), 0),
        (date(2025, 1, 15), date(2025, 2, 14), 0),
        (date(2025, 1, 15), date(2025, 2, 15), 1),
        (date(2024, 12, 31), date(2025, 1, 31), 1),  # across a year's end
        (date(2024, 3, 15), date(2025, 3, 15), 12),
        (date(2024, 3, 15), date(2025, 3, 14), 11),
        (date(2024, 2, 29), date(2025, 3, 1), 12),
        (date(2025, 6, 1), date(2025, 5, 1), 0),  # a date in the future is never negative
    ],
)
def test_months_between(since, today, months):
    assert months_between(since, today) == months


def test_31_january_to_28_february_is_no_month_over_the_api(as_user, people):
    Level.objects.filter(code="pm").update(min_months_in_level=1)
    candidate = people["candidate_member"]
    set_since(candidate, date(2025, 1, 31))
    client = as_user(people["manager"])
    with freeze_time("2025-02-28 12:00"):
        assert eligibility(client, candidate).json()["months_in_level"] == 0
        shows(client, candidate, "senior-pm", "time_in_level")
        refused_with(nominate(client, candidate), "time_in_level")
    with freeze_time("2025-03-01 12:00"):
        assert eligibility(client, candidate).json()["months_in_level"] == 1
        shows(client, candidate, "senior-pm")
        assert nominate(client, candidate).status_code == 201


# --- open_promotion -----------------------------------------------------------------------------


def test_an_open_promotion_is_listed_and_refuses_a_second(as_user, people, nominate_service):
    candidate = people["candidate_member"]
    nominate_service()
    shows(as_user(people["manager"]), candidate, "senior-pm", "open_promotion")
    refused_with(nominate(as_user(people["hr"]), candidate), "open_promotion")
    assert Promotion.objects.filter(candidate=candidate).count() == 1


def test_every_reason_is_listed_at_once(as_user, people, nominate_service):
    candidate = people["candidate_member"]
    nominate_service()
    recent(candidate)
    shows(as_user(people["manager"]), candidate, "senior-pm", "time_in_level", "open_promotion")
    refused_with(nominate(as_user(people["manager"]), candidate), "time_in_level", "open_promotion")
    LevelTransition.objects.filter(from_level__code="pm", to_level__code="senior-pm").update(
        is_active=False
    )
    candidate.is_active = False
    candidate.save()
    every = ("time_in_level", "open_promotion", "move_inactive", "inactive")
    shows(as_user(people["hr"]), candidate, "senior-pm", *every)
    refused_with(nominate(as_user(people["hr"]), candidate), *every)


def test_a_closed_promotion_is_no_reason(as_user, people, nominate_service):
    candidate = people["candidate_member"]
    services.promotion_withdraw(promotion=nominate_service(), actor=people["manager"])
    shows(as_user(people["manager"]), candidate, "senior-pm")
    assert nominate(as_user(people["manager"]), candidate).status_code == 201


# --- promotion_pending --------------------------------------------------------------------------


def test_a_pending_promotion_is_listed_and_refuses_a_nomination(as_user, people):
    candidate = people["candidate_member"]
    pending = approved_later(candidate, days=30)
    candidate.refresh_from_db()
    assert candidate.level.code == "pm" and pending.level_applied is False
    entry = shows(as_user(people["manager"]), candidate, "senior-pm", "promotion_pending")
    assert entry["reasons"][0]["detail"]
    refused_with(nominate(as_user(people["hr"]), candidate), "promotion_pending")
    # Not even HR's override lifts it.
    response = nominate(as_user(people["hr"]), candidate, eligibility_override_reason=REASON)
    refused_with(response, "promotion_pending")
    assert Promotion.objects.filter(candidate=candidate).count() == 1


def test_once_effective_the_pending_reason_gives_way_to_time_in_level(as_user, people):
    candidate = people["candidate_member"]
    pending = approved_later(candidate, days=30)
    assert services.promotions_apply_effective(today=pending.effective_on) == 1
    candidate.refresh_from_db()
    assert candidate.level.code == "senior-pm"
    assert candidate.level_since == pending.effective_on
    with freeze_time(pending.effective_on):
        body = eligibility(as_user(people["manager"]), candidate).json()
    assert body["level"] == "senior-pm"
    for level in body["next_levels"]:
        assert reason_codes(level["reasons"]) == ["time_in_level"]


# --- inactive, move_inactive --------------------------------------------------------------------


def test_an_inactive_member_is_listed_and_refused(as_user, people):
    candidate = people["candidate_member"]
    candidate.is_active = False
    candidate.save()
    shows(as_user(people["hr"]), candidate, "senior-pm", "inactive")
    shows(as_user(people["manager"]), candidate, "senior-pm", "inactive")
    refused_with(nominate(as_user(people["hr"]), candidate), "inactive")
    refused_with(nominate(as_user(people["manager"]), candidate), "inactive")
    assert nothing_nominated(candidate)


def test_a_deactivated_move_is_listed_and_refused(as_user, people):
    LevelTransition.objects.filter(from_level__code="pm", to_level__code="senior-pm").update(
        is_active=False
    )
    candidate = people["candidate_member"]
    entry = shows(as_user(people["manager"]), candidate, "senior-pm", "move_inactive")
    assert "pm → senior-pm" in entry["reasons"][0]["detail"]
    refused_with(nominate(as_user(people["manager"]), candidate), "move_inactive")
    assert nothing_nominated(candidate)


# --- no_open_cycle, nominations_closed ----------------------------------------------------------


def test_without_the_setting_no_cycle_is_needed(as_user, people, settings):
    settings.PROMOTIONS_REQUIRE_CYCLE = False
    shows(as_user(people["manager"]), people["candidate_member"], "senior-pm")
    response = nominate(as_user(people["manager"]), people["candidate_member"])
    assert response.status_code == 201
    assert response.json()["cycle"] is None


def test_a_required_cycle_missing_is_listed_and_refused(as_user, people, settings):
    settings.PROMOTIONS_REQUIRE_CYCLE = True
    candidate = people["candidate_member"]
    open_cycle(tracks=["management"])  # not the track of senior-pm
    entry = shows(as_user(people["manager"]), candidate, "senior-pm", "no_open_cycle")
    assert "ic" in entry["reasons"][0]["detail"]
    refused_with(nominate(as_user(people["manager"]), candidate), "no_open_cycle")
    refused_with(nominate(as_user(people["hr"]), candidate), "no_open_cycle")
    # An override of time in level is no off-cycle reason.
    response = nominate(as_user(people["hr"]), candidate, eligibility_override_reason=REASON)
    refused_with(response, "no_open_cycle")
    assert nothing_nominated(candidate)


def test_hr_nominates_off_cycle_with_a_reason_the_committee_reads(as_user, people, settings):
    settings.PROMOTIONS_REQUIRE_CYCLE = True
    candidate = people["candidate_member"]
    response = nominate(as_user(people["hr"]), candidate, off_cycle_reason=f"  {OFF_CYCLE} ")
    assert response.status_code == 201, response.json()
    promotion = Promotion.objects.get(pk=response.json()["id"])
    assert promotion.cycle is None
    assert promotion.off_cycle_reason == OFF_CYCLE
    assert promotion.eligibility_override_reason == ""
    url = f"/api/v1/promotions/{promotion.pk}/"
    seen = as_user(people["committee"]).get(url).json()
    assert seen["cycle"] is None
    assert seen["off_cycle_reason"] == OFF_CYCLE
    assert seen["eligibility_override_reason"] is None
    for viewer in (people["candidate"], people["manager"]):
        assert as_user(viewer).get(url).json()["off_cycle_reason"] is None


def test_off_cycle_does_not_lift_the_other_reasons(as_user, people, settings):
    settings.PROMOTIONS_REQUIRE_CYCLE = True
    candidate = people["candidate_member"]
    recent(candidate)
    response = nominate(as_user(people["hr"]), candidate, off_cycle_reason=OFF_CYCLE)
    refused_with(response, "time_in_level")
    response = nominate(
        as_user(people["hr"]),
        candidate,
        off_cycle_reason=OFF_CYCLE,
        eligibility_override_reason=REASON,
    )
    assert response.status_code == 201, response.json()
    promotion = Promotion.objects.get(pk=response.json()["id"])
    assert (promotion.off_cycle_reason, promotion.eligibility_override_reason) == (
        OFF_CYCLE,
        REASON,
    )


def test_a_calibrating_cycle_closes_nominations_to_its_track(as_user, people):
    hr = factories.hr_user()
    cycle = open_cycle(tracks=["ic"])
    cycles.cycle_calibrate(actor=hr, cycle=cycle)
    candidate = people["candidate_member"]
    entry = shows(as_user(people["manager"]), candidate, "senior-pm", "nominations_closed")
    assert cycle.name in entry["reasons"][0]["detail"]
    refused_with(nominate(as_user(people["manager"]), candidate), "nominations_closed")
    refused_with(nominate(as_user(people["hr"]), candidate), "nominations_closed")
    assert nothing_nominated(candidate)


# --- HR's override of time in level -------------------------------------------------------------


def test_hr_overrides_time_in_level_with_a_reason_the_committee_reads(as_user, people):
    candidate = people["candidate_member"]
    recent(candidate)
    response = nominate(as_user(people["hr"]), candidate, eligibility_override_reason=REASON)
    assert response.status_code == 201, response.json()
    promotion = Promotion.objects.get(pk=response.json()["id"])
    assert promotion.eligibility_override_reason == REASON
    assert promotion.off_cycle_reason == ""
    url = f"/api/v1/promotions/{promotion.pk}/"
    for reader in (people["committee"], factories.hr_user()):
        body = as_user(reader).get(url).json()
        assert body["eligibility_override_reason"] == REASON
        assert body["off_cycle_reason"] is None
    for viewer in (people["candidate"], people["manager"]):
        body = as_user(viewer).get(url).json()
        assert body["eligibility_override_reason"] is None
    # ...and in the list, the same.
    listed = as_user(people["candidate"]).get("/api/v1/promotions/").json()["results"]
    assert [row["eligibility_override_reason"] for row in listed] == [None]
    listed = as_user(people["committee"]).get("/api/v1/promotions/").json()["results"]
    assert [row["eligibility_override_reason"] for row in listed] == [REASON]


def test_a_committee_member_who_manages_the_candidate_does_not_read_the_override(as_user, people):
    manager_user = factories.committee_member(level="group-pm")
    candidate = factories.MemberFactory(level__code="pm", manager=manager_user.member)
    recent(candidate)
    response = nominate(as_user(people["hr"]), candidate, eligibility_override_reason=REASON)
    assert response.status_code == 201
    url = f"/api/v1/promotions/{response.json()['id']}/"
    assert as_user(manager_user).get(url).json()["eligibility_override_reason"] is None
    assert as_user(people["committee"]).get(url).json()["eligibility_override_reason"] == REASON


@pytest.mark.parametrize("other", ["open_promotion", "promotion_pending", "inactive", "move"])
def test_the_override_waives_time_in_level_and_nothing_else(as_user, people, other):
    candidate = people["candidate_member"]
    if other == "open_promotion":
        factories.promotion(candidate=candidate, to="senior-pm")
    elif other == "promotion_pending":
        approved_later(candidate)
    elif other == "inactive":
        candidate.is_active = False
        candidate.save()
    else:
        other = "move_inactive"
        LevelTransition.objects.filter(from_level__code="pm", to_level__code="senior-pm").update(
            is_active=False
        )
    recent(candidate)
    before = Promotion.objects.count()
    shows(as_user(people["hr"]), candidate, "senior-pm", "time_in_level", other)
    response = nominate(as_user(people["hr"]), candidate, eligibility_override_reason=REASON)
    refused_with(response, other)  # time_in_level waived, the other one stands
    assert Promotion.objects.count() == before


def test_an_override_on_an_eligible_member_is_kept(as_user, people):
    response = nominate(
        as_user(people["hr"]), people["candidate_member"], eligibility_override_reason=REASON
    )
    assert response.status_code == 201
    assert Promotion.objects.get().eligibility_override_reason == REASON


# --- Only HR sends the reasons --------------------------------------------------------------------


@pytest.mark.parametrize("field", ["eligibility_override_reason", "off_cycle_reason"])
def test_only_hr_may_send_an_override_or_off_cycle_reason(as_user, people, field):
    candidate = people["candidate_member"]
    response = nominate(as_user(people["manager"]), candidate, **{field: "Because I say so."})
    assert response.status_code == 403
    assert response.json()["code"] == "hr_only"
    assert nothing_nominated(candidate)


@pytest.mark.parametrize("field", ["eligibility_override_reason", "off_cycle_reason"])
def test_hr_only_comes_before_eligibility(as_user, people, field, settings):
    """An ineligible candidate: the manager still learns first that the field is not theirs."""
    settings.PROMOTIONS_REQUIRE_CYCLE = True
    candidate = people["candidate_member"]
    recent(candidate)
    response = nominate(as_user(people["manager"]), candidate, **{field: "Please."})
    assert response.status_code == 403
    assert response.json()["code"] == "hr_only"


def test_a_committee_member_who_manages_is_no_hr(as_user, people):
    manager_user = factories.committee_member(level="group-pm")
    candidate = factories.MemberFactory(level__code="pm", manager=manager_user.member)
    recent(candidate)
    response = nominate(as_user(manager_user), candidate, eligibility_override_reason=REASON)
    assert response.status_code == 403
    assert response.json()["code"] == "hr_only"


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_reason_from_a_manager_is_no_reason(as_user, people, blank):
    response = nominate(
        as_user(people["manager"]),
        people["candidate_member"],
        eligibility_override_reason=blank,
        off_cycle_reason=blank,
    )
    assert response.status_code == 201, response.json()
    promotion = Promotion.objects.get()
    assert (promotion.eligibility_override_reason, promotion.off_cycle_reason) == ("", "")


def test_a_blank_override_from_hr_waives_nothing(as_user, people):
    candidate = people["candidate_member"]
    recent(candidate)
    response = nominate(as_user(people["hr"]), candidate, eligibility_override_reason="   ")
    refused_with(response, "time_in_level")


# --- Who sees a member's eligibility -------------------------------------------------------------


def test_who_sees_a_members_eligibility(as_user, people):
    candidate = people["candidate_member"]
    other = factories.MemberFactory(level__code="pm")
    for viewer in (
        people["candidate"],  # the member themself
        people["manager"],  # their manager
        people["hr"],
    ):
        response = eligibility(as_user(viewer), candidate)
        assert response.status_code == 200, viewer
        assert response.json()["member"] == candidate.pk
    # The committee judges nominations, it does not make them: its `open_promotion` per member
    # would name a blind case's candidate (docs/decisions.md, "Blind review").
    for stranger in (people["other_manager"], other.user, people["committee"]):
        response = eligibility(as_user(stranger), candidate)
        assert response.status_code == 404
        assert response.json()["code"] == "no_such_member"


def test_an_unknown_member_is_404_and_the_anonymous_401(api, as_user, people):
    response = as_user(people["hr"]).get("/api/v1/members/999999/eligibility/")
    assert response.status_code == 404
    assert response.json()["code"] == "no_such_member"
    assert eligibility(api, people["candidate_member"]).status_code == 401


def test_a_member_reads_their_own_reasons(as_user, people):
    candidate = people["candidate_member"]
    recent(candidate, days=100)
    entry = shows(as_user(people["candidate"]), candidate, "senior-pm", "time_in_level")
    assert entry["eligible"] is False


@pytest.fixture
def nominate_service(people):
    """A nomination of the `people` candidate to senior-pm by their manager, through the service."""

    def make():
        return factories.promotion(
            candidate=people["candidate_member"], to="senior-pm", by=people["manager"]
        )

    return make
