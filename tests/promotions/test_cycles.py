"""Promotion cycles (docs/design.md, "Cycles" and "Effective date"): the cycle API and its state
machine, which cycle a nomination joins, decisions only while calibrating, the scheduler that
starts calibration, effective dates (the cycle's, or the approver's for an off-cycle promotion),
the decisions export, the calibration board and the statistics."""

import csv
import io
from datetime import timedelta

import pytest
import rest_framework.throttling  # noqa: F401  (imported before any freeze_time: see below)
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from core import roles
from core.errors import InvalidInput
from core.roles import committee_user_ids
from ladder.models import Level, LevelChange
from notifications.models import Notification
from promotions import services, tasks
from promotions.cycles import services as cycles
from promotions.cycles.calibration import csv_cell
from promotions.errors import TransitionConflict
from promotions.models import Cycle, Promotion, PromotionEvent
from promotions.packets import services as packets
from tests import factories

pytestmark = pytest.mark.django_db

# DRF's throttles keep `timer = time.time` from when rest_framework.throttling is first imported:
# imported under freeze_time, that is freezegun's fake (which then breaks as a bound method), so
# this module imports it first.

OFF_CYCLE = "Retention case: an outside offer expires before the next cycle."


def today():
    return timezone.localdate()


def days(n: int):
    return today() + timedelta(days=n)


def plan(**overrides) -> dict:
    """A cycle as the API takes it: nominations for two weeks from today, decided a week later,
    effective two months from today."""
    body = {
        "name": "2025 H2 promotions",
        "tracks": [],
        "nominations_open_on": today().isoformat(),
        "nominations_close_on": days(14).isoformat(),
        "decisions_due_on": days(21).isoformat(),
        "effective_on": days(60).isoformat(),
    }
    return {**body, **overrides}


def make_cycle(*, tracks=(), state="open", open_in=-1, close_in=14, due_in=21, effective_in=60):
    """A cycle brought to `state` through the services (dates relative to today)."""
    hr = factories.hr_user()
    cycle = cycles.cycle_create(
        actor=hr,
        name=f"Cycle {'+'.join(tracks) or 'all'}",
        tracks=list(tracks),
        nominations_open_on=days(open_in),
        nominations_close_on=days(close_in),
        decisions_due_on=days(due_in),
        effective_on=days(effective_in),
    )
    if state == "draft":
        return cycle
    cycle = cycles.cycle_open(actor=hr, cycle=cycle)
    if state == "open":
        return cycle
    cycle = cycles.cycle_calibrate(actor=hr, cycle=cycle)
    if state == "calibrating":
        return cycle
    return cycles.cycle_close(actor=hr, cycle=cycle)


def calibrate(cycle) -> Cycle:
    return cycles.cycle_calibrate(actor=factories.hr_user(), cycle=cycle)


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


def in_review(committee, *, candidate=None, to="senior-pm", by=None, vote=True) -> Promotion:
    """A promotion in review (joining whatever cycle is open for its track), with one approving
    vote unless `vote` is false."""
    votes = [(factories.committee_member(), "approve")] if vote else []
    return factories.promotion(
        candidate=candidate, to=to, by=by, state="in_review", votes=votes, actor=committee
    )


def url(cycle, action: str = "") -> str:
    return f"/api/v1/cycles/{cycle.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def hr(db):
    return factories.hr_user()


@pytest.fixture
def committee(db):
    return factories.committee_member()


# --- Create, read, edit ---------------------------------------------------------------------------


def test_hr_creates_a_draft_cycle(as_user, hr):
    response = as_user(hr).post("/api/v1/cycles/", plan(tracks=["management", "ic"]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft"
    assert body["tracks"] == ["ic", "management"]
    assert body["name"] == "2025 H2 promotions"
    assert body["nominations_close_on"] == days(14).isoformat()
    assert body["effective_on"] == days(60).isoformat()
    assert Cycle.objects.get(pk=body["id"]).state == "draft"


def test_tracks_default_to_both(as_user, hr):
    body = plan()
    del body["tracks"]
    response = as_user(hr).post("/api/v1/cycles/", body, format="json")
    assert response.status_code == 201
    assert response.json()["tracks"] == []
    assert Cycle.objects.get().track_list == ["ic", "management"]


def test_only_hr_creates_a_cycle(api, as_user, people):
    for user in (people["committee"], people["manager"], people["candidate"]):
        response = as_user(user).post("/api/v1/cycles/", plan(), format="json")
        assert response.status_code == 403, user
    assert api.post("/api/v1/cycles/", plan(), format="json").status_code == 401
    assert not Cycle.objects.exists()


@pytest.mark.parametrize(
    "dates",
    [
        {"nominations_close_on": days(-1).isoformat()},  # closes before it opens
        {"decisions_due_on": days(13).isoformat()},  # due before nominations close
        {"effective_on": days(20).isoformat()},  # effective before decisions are due
    ],
    ids=["close<open", "due<close", "effective<due"],
)
def test_dates_out_of_order_are_refused(as_user, hr, dates):
    response = as_user(hr).post("/api/v1/cycles/", plan(**dates), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "cycle_dates_out_of_order"
    assert not Cycle.objects.exists()


def test_equal_dates_are_in_order(as_user, hr):
    same = today().isoformat()
    body = plan(
        nominations_open_on=same,
        nominations_close_on=same,
        decisions_due_on=same,
        effective_on=same,
    )
    assert as_user(hr).post("/api/v1/cycles/", body, format="json").status_code == 201


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"tracks": ["design"]}, "invalid_choice"),
        ({"tracks": ["ic", "ic"]}, None),
        ({"tracks": "ic"}, "not_a_list"),
        ({"name": ""}, "blank"),
        ({"effective_on": "soon"}, "invalid"),
        ({"state": "open"}, "unknown_field"),
    ],
)
def test_bad_input_is_400(as_user, hr, change, code):
    response = as_user(hr).post("/api/v1/cycles/", plan(**change), format="json")
    assert response.status_code == 400, response.json()
    if code:
        assert response.json()["code"] == code
    assert not Cycle.objects.exists()


def test_a_missing_date_is_400(as_user, hr):
    body = plan()
    del body["decisions_due_on"]
    response = as_user(hr).post("/api/v1/cycles/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "required"


def test_any_member_reads_cycles_once_opened_drafts_are_hr_and_committee_only(api, as_user, people):
    draft = make_cycle(state="draft", tracks=("management",))
    running = make_cycle(state="open", tracks=("ic",))
    client = as_user(people["candidate"])
    listed = client.get("/api/v1/cycles/").json()
    assert [row["id"] for row in listed["results"]] == [running.pk]
    assert client.get(url(running)).json()["state"] == "open"
    hidden = client.get(url(draft))
    assert hidden.status_code == 404 and hidden.json()["code"] == "no_such_cycle"
    for user in (people["committee"], people["hr"]):
        seen = as_user(user).get("/api/v1/cycles/").json()
        assert {row["id"] for row in seen["results"]} == {draft.pk, running.pk}
        assert as_user(user).get(url(draft)).json()["state"] == "draft"
    response = client.get("/api/v1/cycles/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "no_such_cycle"
    assert api.get("/api/v1/cycles/").status_code == 401


def test_hr_edits_a_draft_and_nothing_after_it_opens(as_user, hr, people):
    cycle = make_cycle(state="draft")
    client = as_user(hr)
    response = client.patch(url(cycle), {"name": "Renamed", "tracks": ["ic"]}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["tracks"]) == ("Renamed", ["ic"])
    response = client.patch(url(cycle), {"effective_on": days(90).isoformat()}, format="json")
    assert response.json()["effective_on"] == days(90).isoformat()

    response = client.patch(
        url(cycle), {"nominations_close_on": days(100).isoformat()}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "cycle_dates_out_of_order"
    response = as_user(people["committee"]).patch(url(cycle), {"name": "Mine"}, format="json")
    assert response.status_code == 403
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert cycle.name == "Renamed" and cycle.nominations_close_on == days(14)

    assert client.post(url(cycle, "open")).status_code == 200
    response = client.patch(url(cycle), {"name": "Too late"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "cycle_not_draft"
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert cycle.name == "Renamed"


# --- The cycle's state machine --------------------------------------------------------------------


def test_draft_open_calibrating_closed(as_user, hr):
    cycle = make_cycle(state="draft")
    client = as_user(hr)
    for action, state in (("open", "open"), ("calibrate", "calibrating"), ("close", "closed")):
        response = client.post(url(cycle, action))
        assert response.status_code == 200, response.json()
        assert response.json()["state"] == state
        cycle = Cycle.objects.get(pk=cycle.pk)
        assert cycle.state == state


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("draft", "calibrate"),
        ("draft", "close"),
        ("open", "open"),
        ("open", "close"),
        ("calibrating", "open"),
        ("calibrating", "calibrate"),
        ("closed", "open"),
        ("closed", "calibrate"),
        ("closed", "close"),
    ],
)
def test_a_transition_from_the_wrong_state_is_409(as_user, hr, state, action):
    cycle = make_cycle(state=state)
    response = as_user(hr).post(url(cycle, action))
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert cycle.state == state


@pytest.mark.parametrize(("state", "action"), [("draft", "open"), ("open", "calibrate")])
def test_only_hr_moves_a_cycle(as_user, people, state, action):
    cycle = make_cycle(state=state)
    for user in (people["committee"], people["manager"], people["candidate"]):
        response = as_user(user).post(url(cycle, action))
        # A draft is not there for those who may not see it (404); a running cycle is (403).
        hidden = state == "draft" and user != people["committee"]
        assert response.status_code == (404 if hidden else 403)
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert cycle.state == state


def test_a_transition_of_an_unknown_cycle_is_404(as_user, hr):
    response = as_user(hr).post("/api/v1/cycles/999999/open/")
    assert response.status_code == 404
    assert response.json()["code"] == "no_such_cycle"


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ([], [], True),
        ([], ["ic"], True),  # empty: both tracks
        (["management"], [], True),
        (["ic"], ["ic"], True),
        (["ic", "management"], ["management"], True),
        (["ic"], ["management"], False),
        (["management"], ["ic"], False),
    ],
)
def test_two_running_cycles_may_not_share_a_track(as_user, hr, first, second, overlap):
    client = as_user(hr)
    a = client.post("/api/v1/cycles/", plan(name="A", tracks=first), format="json").json()
    b = client.post("/api/v1/cycles/", plan(name="B", tracks=second), format="json").json()
    assert client.post(f"/api/v1/cycles/{a['id']}/open/").status_code == 200
    response = client.post(f"/api/v1/cycles/{b['id']}/open/")
    if overlap:
        assert response.status_code == 400
        assert response.json()["code"] == "cycle_tracks_overlap"
        assert Cycle.objects.get(pk=b["id"]).state == "draft"
    else:
        assert response.status_code == 200
        assert Cycle.objects.get(pk=b["id"]).state == "open"


def test_a_calibrating_cycle_still_holds_its_track_a_closed_one_not(as_user, hr):
    first = make_cycle(tracks=["ic"], state="calibrating")
    second = make_cycle(tracks=["ic"], state="draft")
    client = as_user(hr)
    response = client.post(url(second, "open"))
    assert response.status_code == 400
    assert response.json()["code"] == "cycle_tracks_overlap"
    assert client.post(url(first, "close")).status_code == 200
    assert client.post(url(second, "open")).status_code == 200


# --- Which cycle a nomination joins ---------------------------------------------------------------


def test_a_nomination_joins_the_open_cycle_of_its_target_levels_track(as_user, people):
    ic = make_cycle(tracks=["ic"])
    management = make_cycle(tracks=["management"])
    manager = people["manager"]
    pm = people["candidate_member"]
    senior = factories.MemberFactory(level__code="senior-pm", manager=pm.manager)
    other_senior = factories.MemberFactory(level__code="senior-pm", manager=pm.manager)

    response = nominate(as_user(manager), pm, "senior-pm")
    assert response.status_code == 201
    assert response.json()["cycle"] == ic.pk
    # From the ic track into management: the target level's track decides.
    response = nominate(as_user(manager), senior, "group-pm")
    assert response.status_code == 201
    assert response.json()["cycle"] == management.pk
    response = nominate(as_user(manager), other_senior, "lead-pm")
    assert response.json()["cycle"] == ic.pk
    assert Promotion.objects.filter(cycle=ic).count() == 2


def test_a_cycle_of_the_other_track_takes_no_nomination(as_user, people):
    make_cycle(tracks=["management"])
    response = nominate(as_user(people["manager"]), people["candidate_member"])
    assert response.status_code == 201
    assert response.json()["cycle"] is None


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_a_cycle_that_is_not_running_takes_no_nomination(as_user, people, state):
    make_cycle(tracks=["ic"], state=state)
    response = nominate(as_user(people["manager"]), people["candidate_member"])
    assert response.status_code == 201
    assert response.json()["cycle"] is None


def test_a_calibrating_cycle_refuses_nominations_to_its_track(as_user, people):
    cycle = make_cycle(tracks=["ic"], state="calibrating")
    candidate = people["candidate_member"]
    for nominator in (people["manager"], people["hr"]):
        response = nominate(as_user(nominator), candidate)
        assert response.status_code == 409
        assert response.json()["code"] == "not_eligible"
        assert [r["code"] for r in response.json()["reasons"]] == ["nominations_closed"]
    assert not Promotion.objects.exists()
    # Another track is not affected.
    senior = factories.MemberFactory(level__code="senior-pm", manager=candidate.manager)
    response = nominate(as_user(people["manager"]), senior, "group-pm")
    assert response.status_code == 201
    assert response.json()["cycle"] is None
    assert Cycle.objects.get(pk=cycle.pk).promotions.count() == 0


def test_nominations_close_after_their_last_day_even_while_the_cycle_is_open(as_user, people):
    cycle = make_cycle(tracks=["ic"], open_in=-10, close_in=-1, due_in=5, effective_in=30)
    assert cycle.state == "open"
    candidate = people["candidate_member"]
    response = nominate(as_user(people["manager"]), candidate)
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["nominations_closed"]
    eligibility = as_user(people["manager"]).get(f"/api/v1/members/{candidate.pk}/eligibility/")
    assert [r["code"] for r in eligibility.json()["next_levels"][0]["reasons"]] == [
        "nominations_closed"
    ]


def test_the_last_day_of_nominations_still_takes_them(as_user, people):
    cycle = make_cycle(tracks=["ic"], open_in=-10, close_in=0)
    response = nominate(as_user(people["manager"]), people["candidate_member"])
    assert response.status_code == 201
    assert response.json()["cycle"] == cycle.pk


def test_the_day_after_the_last_day_refuses_them(as_user, people):
    make_cycle(tracks=["ic"], open_in=-10, close_in=0, due_in=5)
    with freeze_time(days(1)):
        response = nominate(as_user(people["manager"]), people["candidate_member"])
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["nominations_closed"]


def test_hr_nominates_off_cycle_into_a_calibrating_track(as_user, people):
    make_cycle(tracks=["ic"], state="calibrating")
    response = nominate(
        as_user(people["hr"]), people["candidate_member"], off_cycle_reason=OFF_CYCLE
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["cycle"] is None
    promotion = Promotion.objects.get(pk=body["id"])
    assert promotion.cycle is None and promotion.off_cycle_reason == OFF_CYCLE
    detail = as_user(people["committee"]).get(f"/api/v1/promotions/{promotion.pk}/").json()
    assert detail["off_cycle_reason"] == OFF_CYCLE
    assert (
        as_user(people["candidate"])
        .get(f"/api/v1/promotions/{promotion.pk}/")
        .json()["off_cycle_reason"]
        is None
    )


def test_hr_off_cycle_beside_an_open_cycle_stays_out_of_it(as_user, people):
    make_cycle(tracks=["ic"])
    response = nominate(
        as_user(people["hr"]), people["candidate_member"], off_cycle_reason=OFF_CYCLE
    )
    assert response.status_code == 201
    assert response.json()["cycle"] is None


def test_the_manager_may_not_nominate_off_cycle(as_user, people):
    make_cycle(tracks=["ic"], state="calibrating")
    response = nominate(
        as_user(people["manager"]), people["candidate_member"], off_cycle_reason=OFF_CYCLE
    )
    assert response.status_code == 403
    assert response.json()["code"] == "hr_only"


# --- Decisions only while calibrating -------------------------------------------------------------


def test_a_promotion_of_an_open_cycle_is_not_decided_yet(as_user, people):
    cycle = make_cycle(tracks=["ic"])
    committee = people["committee2"]
    promotion = in_review(committee, candidate=people["candidate_member"])
    assert promotion.cycle_id == cycle.pk
    base = f"/api/v1/promotions/{promotion.pk}/"
    client = as_user(committee)
    available = client.get(base).json()["available_transitions"]
    assert "approve" not in available and "reject" not in available
    assert "request-changes" in available  # the rest of the review goes on
    for action, body in (("approve", {}), ("reject", {"note": "Not yet."})):
        response = client.post(base + f"{action}/", body, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "cycle_not_calibrating"
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.state == "in_review"

    calibrate(cycle)
    available = client.get(base).json()["available_transitions"]
    assert "approve" in available and "reject" in available
    response = client.post(base + "approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "approved"


def test_reject_waits_for_calibration_too(as_user, people):
    cycle = make_cycle(tracks=["ic"])
    promotion = in_review(people["committee2"], candidate=people["candidate_member"])
    base = f"/api/v1/promotions/{promotion.pk}/reject/"
    client = as_user(people["committee2"])
    assert client.post(base, {"note": "Not yet."}, format="json").status_code == 409
    calibrate(cycle)
    response = client.post(base, {"note": "Not yet."}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "rejected"


def test_votes_are_cast_while_the_cycle_is_open(as_user, people):
    make_cycle(tracks=["ic"])
    promotion = in_review(people["committee2"], candidate=people["candidate_member"], vote=False)
    response = as_user(people["committee"]).post(
        f"/api/v1/promotions/{promotion.pk}/reviews/",
        {"decision": "approve", "ratings": factories.ratings_body(promotion)},
        format="json",
    )
    assert response.status_code == 201


def test_a_closed_cycles_promotions_are_decided_no_more(people):
    """Closing needs every promotion decided, so nothing in review is left to decide; the rule
    holds for any cycle not calibrating, checked here on the service."""
    cycle = make_cycle(tracks=["ic"])
    promotion = in_review(people["committee2"], candidate=people["candidate_member"])
    Cycle.objects.filter(pk=cycle.pk).update(state="closed")  # as if, past the service
    with pytest.raises(TransitionConflict) as refused:
        services.promotion_approve(promotion=promotion, actor=people["committee2"])
    assert refused.value.code == "cycle_not_calibrating"


def test_an_off_cycle_promotion_is_decided_any_time(as_user, people):
    make_cycle(tracks=["ic"])  # open, not calibrating
    committee = people["committee2"]
    promotion = services.promotion_nominate(
        candidate=people["candidate_member"],
        to_level=Level.objects.get(code="senior-pm"),
        nominated_by=people["hr"],
        justification="Ready.",
        evidence=factories.evidence_for("senior-pm"),
        off_cycle_reason=OFF_CYCLE,
    )
    assert promotion.cycle is None
    promotion = services.promotion_start_review(promotion=promotion, actor=committee)
    factories.review(promotion, people["committee"], "approve")
    response = as_user(committee).post(
        f"/api/v1/promotions/{promotion.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["level_applied"] is True


def test_a_cycle_closes_only_once_none_of_its_promotions_is_open(as_user, hr, people):
    cycle = make_cycle(tracks=["ic"])
    committee = people["committee2"]
    manager = factories.MemberFactory(level__code="group-pm")
    to_approve = in_review(committee, candidate=factories.MemberFactory(manager=manager))
    to_reject = in_review(committee, candidate=factories.MemberFactory(manager=manager))
    to_withdraw = factories.promotion(candidate=factories.MemberFactory(manager=manager))
    assert {p.cycle_id for p in (to_approve, to_reject, to_withdraw)} == {cycle.pk}
    client = as_user(hr)
    assert client.post(url(cycle, "calibrate")).status_code == 200

    response = client.post(url(cycle, "close"))
    assert response.status_code == 409
    assert response.json()["code"] == "cycle_has_open_promotions"
    assert "3 promotion(s)" in response.json()["detail"]
    services.promotion_approve(promotion=to_approve, actor=committee)
    services.promotion_reject(promotion=to_reject, actor=committee, note="Not yet.")
    response = client.post(url(cycle, "close"))
    assert response.status_code == 409
    assert "1 promotion(s)" in response.json()["detail"]
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert cycle.state == "calibrating"

    services.promotion_withdraw(promotion=to_withdraw, actor=manager.user)
    response = client.post(url(cycle, "close"))
    assert response.status_code == 200
    assert response.json()["state"] == "closed"


def test_a_promotion_sent_back_keeps_its_cycle_open(as_user, hr, people):
    cycle = make_cycle(tracks=["ic"], state="open")
    committee = people["committee2"]
    promotion = in_review(committee, candidate=people["candidate_member"])
    calibrate(cycle)
    services.promotion_request_changes(promotion=promotion, actor=committee, note="Numbers?")
    response = as_user(hr).post(url(cycle, "close"))
    assert response.status_code == 409
    assert response.json()["code"] == "cycle_has_open_promotions"


# --- The scheduler starts calibration -------------------------------------------------------------


def calibrating_notifications():
    return Notification.objects.filter(kind="cycle_calibrating")


def test_calibration_starts_the_day_after_nominations_close(people):
    cycle = make_cycle(tracks=["ic"], open_in=-5, close_in=0, due_in=7)
    manager = factories.MemberFactory(level__code="group-pm")
    for _ in range(2):
        factories.promotion(candidate=factories.MemberFactory(manager=manager))
    withdrawn = factories.promotion(candidate=factories.MemberFactory(manager=manager))
    services.promotion_withdraw(promotion=withdrawn, actor=manager.user)
    draft = make_cycle(tracks=["management"], state="draft", open_in=-5, close_in=0)

    assert cycles.cycles_calibrate_due() == 0  # the last day of nominations: still open
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert cycle.state == "open"
    assert not calibrating_notifications().exists()

    with freeze_time(days(1)):
        assert cycles.cycles_calibrate_due() == 1
        assert cycles.cycles_calibrate_due() == 0  # idempotent
    cycle = Cycle.objects.get(pk=cycle.pk)
    draft = Cycle.objects.get(pk=draft.pk)
    assert cycle.state == "calibrating"
    assert draft.state == "draft"  # only open cycles move

    rows = list(calibrating_notifications())
    committee = set(committee_user_ids())
    assert committee >= {people["committee"].pk, people["committee2"].pk}
    assert sorted(row.recipient_id for row in rows) == sorted(committee)  # each once
    assert people["hr"].pk not in {row.recipient_id for row in rows}
    for row in rows:
        assert "2 candidate(s) await a decision" in row.subject  # open ones, not withdrawn
        assert cycle.name in row.body and "2 candidate(s)" in row.body
        assert row.promotion_id is None


def test_the_scheduler_catches_up_and_uses_its_today(people):
    cycle = make_cycle(tracks=["ic"], open_in=-30, close_in=-20, due_in=-10, effective_in=-5)
    assert cycles.cycles_calibrate_due(today=days(-20)) == 0
    assert cycles.cycles_calibrate_due(today=days(-19)) == 1
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert cycle.state == "calibrating"
    assert cycles.cycles_calibrate_due() == 0
    assert calibrating_notifications().count() == len(committee_user_ids())


def test_the_beat_task_runs_the_scheduler(people):
    cycle = make_cycle(tracks=["ic"], open_in=-5, close_in=2, due_in=7)
    with freeze_time(days(3)):
        assert tasks.cycles_calibrate_due() == 1
        assert tasks.cycles_calibrate_due() == 0
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert cycle.state == "calibrating"


def test_beat_runs_the_scheduler_and_the_effective_dates_hourly(settings):
    scheduled = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert scheduled["promotions.tasks.cycles_calibrate_due"] <= 3600
    assert scheduled["promotions.tasks.promotions_apply_effective"] <= 3600


def test_the_calibration_message_links_to_the_board(people):
    cycle = make_cycle(tracks=["ic"])
    calibrate(cycle)
    row = calibrating_notifications().first()
    board = reverse("admin:promotions_cycle_calibration", args=[cycle.pk])
    assert f"http://ladder.test{board}" in row.body


def test_a_cycle_hr_already_calibrated_is_left_alone(as_user, people):
    cycle = make_cycle(tracks=["ic"], open_in=-5, close_in=0)
    factories.promotion(candidate=people["candidate_member"])
    assert as_user(people["hr"]).post(url(cycle, "calibrate")).status_code == 200
    sent = calibrating_notifications().count()
    assert sent == len(committee_user_ids())
    assert all("1 candidate(s)" in row.subject for row in calibrating_notifications())
    with freeze_time(days(1)):
        assert cycles.cycles_calibrate_due() == 0
    assert calibrating_notifications().count() == sent


# --- Effective dates ------------------------------------------------------------------------------


def level_of(member) -> str:
    member.refresh_from_db()
    return member.level.code


def test_a_cycles_promotion_takes_the_cycles_effective_date(as_user, people):
    cycle = make_cycle(tracks=["ic"], effective_in=60)
    committee = people["committee2"]
    candidate = people["candidate_member"]
    promotion = in_review(committee, candidate=candidate, by=people["hr"])
    calibrate(cycle)
    base = f"/api/v1/promotions/{promotion.pk}/approve/"
    client = as_user(committee)
    for sent in (days(60), days(10), today()):  # even the cycle's own date is not the request's
        response = client.post(base, {"effective_on": sent.isoformat()}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "effective_on_set_by_cycle"
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.state == "in_review" and promotion.effective_on is None

    response = client.post(base, {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["effective_on"] == days(60).isoformat()
    assert body["level_applied"] is False
    assert level_of(candidate) == "pm"
    assert not LevelChange.objects.filter(member=candidate).exists()
    me = as_user(people["candidate"]).get("/api/v1/members/me/").json()
    assert me["pending_promotion"] == {
        "id": promotion.pk,
        "to_level": "senior-pm",
        "effective_on": days(60).isoformat(),
    }

    # The day before, nothing; on the day, the level changes once, dated that day.
    assert services.promotions_apply_effective(today=days(59)) == 0
    assert level_of(candidate) == "pm"
    assert services.promotions_apply_effective(today=days(60)) == 1
    assert services.promotions_apply_effective(today=days(61)) == 0
    assert level_of(candidate) == "senior-pm"
    candidate.refresh_from_db()
    assert candidate.level_since == days(60)
    [change] = LevelChange.objects.filter(member=candidate)
    assert (change.from_level.code, change.to_level.code) == ("pm", "senior-pm")
    assert change.effective_date == days(60) and change.promotion_id == promotion.pk
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.level_applied is True and promotion.state == "approved"
    assert PromotionEvent.objects.filter(promotion=promotion, to_state="effective").count() == 1
    effective = Notification.objects.filter(kind="effective", promotion=promotion)
    assert sorted(n.recipient_id for n in effective) == sorted(
        [people["candidate"].pk, people["hr"].pk, people["manager"].pk]
    )
    assert all(days(60).isoformat() in n.body for n in effective)
    assert (
        as_user(people["candidate"]).get("/api/v1/members/me/").json()["pending_promotion"] is None
    )


def test_a_cycle_whose_effective_date_passed_applies_the_level_on_approval(people):
    cycle = make_cycle(tracks=["ic"], open_in=-30, close_in=-20, due_in=-10, effective_in=-3)
    committee = people["committee2"]
    candidate = people["candidate_member"]
    with freeze_time(days(-25)):
        promotion = in_review(committee, candidate=candidate)
    calibrate(cycle)
    promotion = services.promotion_approve(promotion=promotion, actor=committee)
    assert promotion.effective_on == days(-3) and promotion.level_applied is True
    assert level_of(candidate) == "senior-pm"
    assert LevelChange.objects.get(member=candidate).effective_date == days(-3)


def test_an_off_cycle_approval_is_never_dated_in_the_past(as_user, people):
    committee = people["committee2"]
    candidate = people["candidate_member"]
    promotion = in_review(committee, candidate=candidate)
    response = as_user(committee).post(
        f"/api/v1/promotions/{promotion.pk}/approve/",
        {"effective_on": days(-1).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "effective_on_past"
    promotion = Promotion.objects.get(pk=promotion.pk)
    assert promotion.state == "in_review"
    assert level_of(candidate) == "pm"
    assert not LevelChange.objects.exists()


@pytest.mark.parametrize("sent", [None, "today"])
def test_an_off_cycle_approval_defaults_to_today_and_moves_the_level_now(as_user, people, sent):
    committee = people["committee2"]
    candidate = people["candidate_member"]
    promotion = in_review(committee, candidate=candidate)
    body = {} if sent is None else {"effective_on": today().isoformat()}
    response = as_user(committee).post(
        f"/api/v1/promotions/{promotion.pk}/approve/", body, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["effective_on"] == today().isoformat()
    assert response.json()["level_applied"] is True
    assert level_of(candidate) == "senior-pm"
    candidate.refresh_from_db()
    assert candidate.level_since == today()
    [change] = LevelChange.objects.filter(member=candidate)
    assert change.effective_date == today() and change.promotion_id == promotion.pk
    assert (
        as_user(people["candidate"]).get("/api/v1/members/me/").json()["pending_promotion"] is None
    )
    assert services.promotions_apply_effective() == 0  # nothing left to apply
    assert not PromotionEvent.objects.filter(to_state="effective").exists()


def test_an_off_cycle_approval_with_a_later_date_leaves_the_level_pending(as_user, people):
    committee = people["committee2"]
    candidate = people["candidate_member"]
    promotion = in_review(committee, candidate=candidate, by=people["hr"])
    later = days(30)
    response = as_user(committee).post(
        f"/api/v1/promotions/{promotion.pk}/approve/",
        {"effective_on": later.isoformat()},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["effective_on"] == later.isoformat()
    assert response.json()["level_applied"] is False
    assert level_of(candidate) == "pm"
    assert not LevelChange.objects.exists()

    pending = {"id": promotion.pk, "to_level": "senior-pm", "effective_on": later.isoformat()}
    assert (
        as_user(people["candidate"]).get("/api/v1/members/me/").json()["pending_promotion"]
        == pending
    )
    for viewer in (people["manager"], people["hr"], people["committee"]):
        record = as_user(viewer).get(f"/api/v1/members/{candidate.pk}/").json()
        assert record["pending_promotion"] == pending, viewer
    # Someone else's record shows none.
    other = factories.MemberFactory()
    assert (
        as_user(people["hr"]).get(f"/api/v1/members/{other.pk}/").json()["pending_promotion"]
        is None
    )

    approved = Notification.objects.filter(kind="approved", promotion=promotion)
    assert sorted(n.recipient_id for n in approved) == sorted(
        [people["candidate"].pk, people["hr"].pk, people["manager"].pk]
    )
    for notification in approved:
        assert f"on {later.isoformat()}" in notification.body
        assert "is now" not in notification.body.splitlines()[0]

    with freeze_time(later):
        assert tasks.promotions_apply_effective() == 1
    assert level_of(candidate) == "senior-pm"
    assert LevelChange.objects.get(member=candidate).effective_date == later


def test_approving_today_says_the_member_is_now_at_the_level(people):
    committee = people["committee2"]
    promotion = in_review(committee, candidate=people["candidate_member"])
    services.promotion_approve(promotion=promotion, actor=committee)
    approved = Notification.objects.filter(kind="approved", promotion=promotion)
    assert approved.exists()
    assert all("is now" in n.body.splitlines()[0] for n in approved)


def test_the_effective_task_catches_up_after_downtime(people):
    committee = people["committee2"]
    manager = factories.MemberFactory(level__code="group-pm")
    members = [factories.MemberFactory(manager=manager) for _ in range(3)]
    for offset, member in zip((5, 10, 40), members, strict=True):
        promotion = in_review(committee, candidate=member)
        services.promotion_approve(promotion=promotion, actor=committee, effective_on=days(offset))
    # The scheduler was down from day 5 to day 20: both due ones now, the third later.
    assert services.promotions_apply_effective(today=days(20)) == 2
    assert [level_of(m) for m in members] == ["senior-pm", "senior-pm", "pm"]
    assert sorted(c.effective_date for c in LevelChange.objects.all()) == [days(5), days(10)]
    assert services.promotions_apply_effective(today=days(40)) == 1
    assert level_of(members[2]) == "senior-pm"


# --- The decisions export -------------------------------------------------------------------------

HEADER = "member,email,from,to,state,decided_at,effective_on"


def test_hr_exports_a_cycles_decisions_as_csv(as_user, hr, people):
    cycle = make_cycle(tracks=["ic"], effective_in=60)
    committee = people["committee2"]
    manager = factories.MemberFactory(level__code="group-pm")
    approved_member = factories.MemberFactory(manager=manager, user__username="ann")
    rejected_member = factories.MemberFactory(manager=manager, user__username="bob")
    open_member = factories.MemberFactory(manager=manager, user__username="cat")
    approved = in_review(committee, candidate=approved_member)
    rejected = in_review(committee, candidate=rejected_member)
    factories.promotion(candidate=open_member)
    calibrate(cycle)
    approved = services.promotion_approve(promotion=approved, actor=committee)
    rejected = services.promotion_reject(promotion=rejected, actor=committee, note="Not yet.")
    other = factories.MemberFactory(level__code="senior-pm", manager=manager)
    factories.promotion(candidate=other, to="group-pm")  # in no cycle: not exported

    response = as_user(hr).get(url(cycle, "decisions.csv").rstrip("/"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="cycle-{cycle.pk}-decisions.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # a byte-order mark, for Excel
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER
    rows = {row["member"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"ann", "bob", "cat"}
    assert rows["ann"] == {
        "member": "ann",
        "email": "ann@example.com",
        "from": "pm",
        "to": "senior-pm",
        "state": "approved",
        "decided_at": approved.decided_at.isoformat(timespec="seconds"),
        "effective_on": days(60).isoformat(),
    }
    assert rows["bob"]["state"] == "rejected"
    assert rows["bob"]["decided_at"] == rejected.decided_at.isoformat(timespec="seconds")
    assert rows["bob"]["effective_on"] == ""
    assert (rows["cat"]["state"], rows["cat"]["decided_at"], rows["cat"]["effective_on"]) == (
        "nominated",
        "",
        "",
    )


def test_the_export_with_a_trailing_slash_is_the_same(as_user, hr):
    cycle = make_cycle(tracks=["ic"])
    response = as_user(hr).get(url(cycle, "decisions.csv"))
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines() == [HEADER]


def test_a_cell_a_spreadsheet_would_run_is_quoted(as_user, hr):
    cycle = make_cycle(tracks=["ic"])
    manager = factories.MemberFactory(level__code="group-pm")
    member = factories.MemberFactory(
        manager=manager, user__username="@sum", user__email="=HYPERLINK(1)@example.com"
    )
    factories.promotion(candidate=member)
    response = as_user(hr).get(url(cycle, "decisions.csv").rstrip("/"))
    [row] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert row["member"] == "'@sum"
    assert row["email"] == "'=HYPERLINK(1)@example.com"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ann", "ann"),
        ("a=b", "a=b"),
        ("", ""),
        ("2025-01-31", "2025-01-31"),
    ],
)
def test_csv_cell(value, written):
    assert csv_cell(value) == written


def test_only_hr_exports_decisions(api, as_user, people):
    cycle = make_cycle(tracks=["ic"])
    path = url(cycle, "decisions.csv").rstrip("/")
    for user in (people["committee"], people["manager"], people["candidate"]):
        response = as_user(user).get(path)
        assert response.status_code == 403
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "permission_denied"
    assert api.get(path).status_code == 401
    response = as_user(people["hr"]).get("/api/v1/cycles/999999/decisions.csv")
    assert response.status_code == 404


# --- The calibration board ------------------------------------------------------------------------


@pytest.fixture
def board(people):
    """A cycle of both tracks, calibrating: ann (pm → senior-pm, sent back once: two stale votes,
    one counted), bea (pm → senior-pm, nominated by an HR user, one vote), cid (senior-pm →
    group-pm, no vote yet)."""
    hr_nominator = factories.hr_user()
    committee, committee2 = people["committee"], people["committee2"]
    cycle = make_cycle(tracks=[], state="open")
    manager = factories.MemberFactory(level__code="group-pm")
    ann = factories.MemberFactory(manager=manager, user__username="ann")
    bea = factories.MemberFactory(manager=manager, user__username="bea")
    cid = factories.MemberFactory(level__code="senior-pm", manager=manager, user__username="cid")

    sent_back = in_review(committee, candidate=ann, vote=False)
    factories.review(sent_back, committee, "approve")
    factories.review(sent_back, committee2, "reject")
    services.promotion_request_changes(promotion=sent_back, actor=committee, note="Numbers?")
    packets.packet_submit(
        promotion=sent_back,
        actor=manager.user,
        justification="Now with numbers.",
        evidence=factories.evidence_for("senior-pm", text="Grew checkout 12%."),
    )
    sent_back = services.promotion_resubmit(promotion=sent_back, actor=manager.user)
    sent_back = Promotion.objects.get(pk=sent_back.pk)
    services.promotion_review(
        promotion=sent_back,
        reviewer=committee,
        decision="approve",
        ratings=factories.ratings_for(sent_back, "exceeds"),
    )
    by_hr = in_review(committee, candidate=bea, by=hr_nominator, vote=False)
    factories.review(by_hr, committee2, "approve")
    waiting = in_review(committee, candidate=cid, to="group-pm", vote=False)
    calibrate(cycle)
    return {
        "cycle": cycle,
        "hr_nominator": hr_nominator,
        "manager": manager,
        "ann": sent_back,
        "bea": by_hr,
        "cid": waiting,
    }


def rows_by_username(body: dict) -> dict:
    return {
        row["candidate"]["username"]: row for group in body["groups"] for row in group["candidates"]
    }


def test_the_board_groups_candidates_by_target_level_and_track(as_user, people, board):
    response = as_user(people["committee"]).get(url(board["cycle"], "calibration"))
    assert response.status_code == 200
    body = response.json()
    assert body["cycle"] == board["cycle"].pk
    assert [(g["to_level"], g["track"]) for g in body["groups"]] == [
        ("senior-pm", "ic"),
        ("group-pm", "management"),
    ]
    assert [[r["candidate"]["username"] for r in g["candidates"]] for g in body["groups"]] == [
        ["ann", "bea"],
        ["cid"],
    ]
    ann = rows_by_username(body)["ann"]
    member = board["ann"].candidate
    assert ann["promotion"] == board["ann"].pk
    assert ann["candidate"] == {"id": member.pk, "username": "ann", "name": member.name}
    assert ann["from_level"] == "pm"
    assert ann["months_in_level"] in (23, 24)  # two years back, give or take a month's end
    assert ann["nominated_by"] == board["manager"].user.username
    assert ann["state"] == "in_review"
    assert ann["packet_version"] == 2


def test_the_board_counts_current_votes_and_shows_stale_ones(as_user, people, board):
    rows = rows_by_username(
        as_user(people["committee2"]).get(url(board["cycle"], "calibration")).json()
    )
    assert rows["ann"]["votes"] == {"approve": 1, "reject": 0, "stale": 2}
    assert rows["bea"]["votes"] == {"approve": 1, "reject": 0, "stale": 0}
    assert rows["cid"]["votes"] == {"approve": 0, "reject": 0, "stale": 0}


def test_the_board_counts_ratings_per_criterion_of_the_current_version(as_user, people, board):
    rows = rows_by_username(
        as_user(people["committee"]).get(url(board["cycle"], "calibration")).json()
    )
    senior = [c.code for c in Level.objects.get(code="senior-pm").criteria.filter(is_active=True)]
    group = [c.code for c in Level.objects.get(code="group-pm").criteria.filter(is_active=True)]
    # ann: the v1 ratings (meets, not_yet) are stale; the v2 vote rated every criterion exceeds.
    assert rows["ann"]["ratings"] == {
        code: {"not_yet": 0, "meets": 0, "exceeds": 1} for code in senior
    }
    assert rows["bea"]["ratings"] == {
        code: {"not_yet": 0, "meets": 1, "exceeds": 0} for code in senior
    }
    # No vote yet: every criterion listed, nothing counted.
    assert rows["cid"]["ratings"] == {
        code: {"not_yet": 0, "meets": 0, "exceeds": 0} for code in group
    }


def test_a_recused_viewer_sees_no_votes_nor_ratings_on_that_row(as_user, people, board):
    body = as_user(board["hr_nominator"]).get(url(board["cycle"], "calibration")).json()
    rows = rows_by_username(body)
    assert rows["bea"]["votes"] is None and rows["bea"]["ratings"] is None
    assert rows["bea"]["state"] == "in_review"  # the row itself is there
    assert rows["ann"]["votes"] == {"approve": 1, "reject": 0, "stale": 2}
    assert rows["cid"]["ratings"] is not None


def test_a_committee_member_who_manages_the_candidates_is_recused_on_their_rows(as_user, board):
    manager_user = board["manager"].user
    manager_user.groups.add(Group.objects.get(name=roles.COMMITTEE_GROUP))
    rows = rows_by_username(as_user(manager_user).get(url(board["cycle"], "calibration")).json())
    assert all(row["votes"] is None and row["ratings"] is None for row in rows.values())


def test_the_board_is_for_the_committee_and_hr(api, as_user, people, board):
    path = url(board["cycle"], "calibration")
    assert as_user(people["hr"]).get(path).status_code == 200
    assert as_user(people["committee"]).get(path).status_code == 200
    candidate = board["ann"].candidate.user
    for user in (candidate, board["manager"].user, people["manager"], people["candidate"]):
        response = as_user(user).get(path)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert api.get(path).status_code == 401
    response = as_user(people["committee"]).get("/api/v1/cycles/999999/calibration/")
    assert response.status_code == 404


def test_an_empty_cycle_has_an_empty_board(as_user, people):
    cycle = make_cycle(tracks=["ic"])
    body = as_user(people["committee"]).get(url(cycle, "calibration")).json()
    assert body == {"cycle": cycle.pk, "groups": []}


# --- Statistics -----------------------------------------------------------------------------------

CELLS = {
    "candidates",
    "nominated",
    "approved",
    "rejected",
    "withdrawn",
    "open",
    "approval_rate",
    "median_days_to_decision",
    "appealed",
    "overturned",
    "suppressed",
}


@pytest.fixture
def outcomes(people):
    """A both-tracks cycle, calibrated: two organisations (heads under one CPO) with two
    candidates each: approved, rejected, withdrawn, still open."""
    committee = people["committee2"]
    cycle = make_cycle(tracks=[], state="open")
    cpo = factories.MemberFactory(level__code="cpo")
    heads, candidates = [], []
    for n in range(2):
        head = factories.MemberFactory(level__code="vp-product", manager=cpo)
        manager = factories.MemberFactory(level__code="group-pm", manager=head)
        heads.append(head)
        candidates += [
            factories.MemberFactory(manager=manager, user__username=f"o{n}a"),
            factories.MemberFactory(
                level__code="senior-pm", manager=manager, user__username=f"o{n}b"
            ),
        ]
    approve = in_review(committee, candidate=candidates[0])
    reject = in_review(committee, candidate=candidates[1], to="group-pm")
    withdraw = factories.promotion(candidate=candidates[2])
    factories.promotion(candidate=candidates[3], to="lead-pm")
    calibrate(cycle)
    services.promotion_approve(promotion=approve, actor=committee)
    services.promotion_reject(promotion=reject, actor=committee, note="Not yet.")
    services.promotion_withdraw(promotion=withdraw, actor=withdraw.nominated_by)
    return {"cycle": cycle, "heads": heads}


def test_stats_have_the_documented_shape_and_counts(as_user, people, outcomes, settings):
    settings.ANALYTICS_MIN_GROUP = 1
    response = as_user(people["committee"]).get(url(outcomes["cycle"], "stats"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"cycle", "min_group", "totals", "by_level", "by_track", "by_organisation"}
    assert body["cycle"] == outcomes["cycle"].pk and body["min_group"] == 1
    assert set(body["totals"]) == CELLS
    totals = body["totals"]
    assert {k: totals[k] for k in CELLS - {"median_days_to_decision"}} == {
        "candidates": 4,
        "nominated": 4,
        "approved": 1,
        "rejected": 1,
        "withdrawn": 1,
        "open": 1,
        "approval_rate": 0.5,
        "appealed": 0,
        "overturned": 0,
        "suppressed": False,
    }
    assert totals["median_days_to_decision"] is not None
    assert totals["median_days_to_decision"] >= 0

    by_level = {row["level"]: row for row in body["by_level"]}
    assert list(by_level) == ["senior-pm", "lead-pm", "group-pm"]  # by rank
    for row in body["by_level"]:
        assert set(row) == CELLS | {"level"}
    assert (by_level["senior-pm"]["nominated"], by_level["senior-pm"]["approved"]) == (2, 1)
    assert by_level["senior-pm"]["withdrawn"] == 1
    assert by_level["group-pm"]["rejected"] == 1 and by_level["group-pm"]["approval_rate"] == 0
    assert by_level["lead-pm"]["open"] == 1 and by_level["lead-pm"]["approval_rate"] is None

    by_track = {row["track"]: row for row in body["by_track"]}
    assert set(by_track) == {"ic", "management"}
    assert by_track["ic"]["nominated"] == 3 and by_track["management"]["nominated"] == 1
    assert all(set(row) == CELLS | {"track"} for row in body["by_track"])

    by_org = {row["organisation"]: row for row in body["by_organisation"]}
    assert set(by_org) == {head.name for head in outcomes["heads"]}
    assert all(set(row) == CELLS | {"organisation"} for row in body["by_organisation"])
    assert sorted(row["candidates"] for row in body["by_organisation"]) == [2, 2]
    assert sum(row["approved"] for row in body["by_organisation"]) == 1


def test_stats_count_appeals_and_decisions_overturned_on_appeal(
    as_user, people, outcomes, settings
):
    """The rejection appealed and approved on appeal: an approval now, appealed and overturned;
    the cycle's statistics say so (a rejection upheld would stay a rejection)."""
    settings.ANALYTICS_MIN_GROUP = 1
    rejected = Promotion.objects.get(cycle=outcomes["cycle"], state="rejected")
    appealed = services.promotion_appeal(
        promotion=rejected, actor=rejected.candidate.user, statement="New numbers."
    )
    panel = factories.committee_member()
    factories.review(appealed, panel, "approve")
    services.promotion_approve(promotion=appealed, actor=panel)
    totals = as_user(people["committee"]).get(url(outcomes["cycle"], "stats")).json()["totals"]
    assert (totals["approved"], totals["rejected"]) == (2, 0)
    assert (totals["appealed"], totals["overturned"]) == (1, 1)


def test_small_groups_are_suppressed(as_user, people, outcomes, settings):
    settings.ANALYTICS_MIN_GROUP = 5  # the default: four candidates are too few
    body = as_user(people["hr"]).get(url(outcomes["cycle"], "stats")).json()
    assert body["min_group"] == 5
    assert body["totals"] == {**dict.fromkeys(CELLS - {"suppressed"}), "suppressed": True}
    for key in ("by_level", "by_track", "by_organisation"):
        for row in body[key]:
            assert row["suppressed"] is True
            assert all(row[cell] is None for cell in CELLS - {"suppressed"})


def test_stats_are_for_the_committee_and_hr(api, as_user, people, outcomes):
    path = url(outcomes["cycle"], "stats")
    assert as_user(people["hr"]).get(path).status_code == 200
    assert as_user(people["committee"]).get(path).status_code == 200
    for user in (people["manager"], people["candidate"], outcomes["heads"][0].user):
        response = as_user(user).get(path)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert api.get(path).status_code == 401


# --- What an outside review found ----------------------------------------------------------------


def test_an_off_cycle_approval_is_at_most_a_year_ahead(as_user, people):
    committee = people["committee2"]
    promotion = in_review(committee, candidate=people["candidate_member"], by=people["hr"])
    approve = f"/api/v1/promotions/{promotion.pk}/approve/"
    for far in (days(367), today().replace(year=9999)):
        response = as_user(committee).post(
            approve, {"effective_on": far.isoformat()}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "effective_on_too_far"
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"
    response = as_user(committee).post(
        approve, {"effective_on": days(366).isoformat()}, format="json"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["Spring\r\nBcc: x@example.com", "Bell\x07", "Line\u2028two"])
def test_a_cycle_name_is_one_line_of_text(as_user, hr, name):
    response = as_user(hr).post("/api/v1/cycles/", plan(name=name), format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["name"]
    assert not Cycle.objects.exists()
    cycle = make_cycle(state="draft")
    response = as_user(hr).patch(url(cycle), {"name": name}, format="json")
    assert response.status_code == 400
    with pytest.raises(InvalidInput) as refused:
        cycles.cycle_update(actor=hr, cycle=cycle, changes={"name": name})
    assert refused.value.code == "control_character"


def test_promotions_filter_by_cycle(as_user, people):
    cycle = make_cycle(state="open", tracks=("ic",))
    inside = in_review(people["committee"], candidate=people["candidate_member"], vote=False)
    other, _ = factories.team(level="senior-pm")
    outside = factories.promotion(candidate=other, to="group-pm")  # management: no cycle
    client = as_user(people["hr"])
    listed = client.get(f"/api/v1/promotions/?cycle={cycle.pk}").json()["results"]
    assert [row["id"] for row in listed] == [inside.pk]
    assert outside.cycle_id is None
    assert client.get("/api/v1/promotions/?cycle=abc").status_code == 400


def test_hr_reads_back_the_reasons_it_gave_as_nominator(as_user, people, settings):
    settings.PROMOTIONS_REQUIRE_CYCLE = True
    candidate = people["candidate_member"]
    candidate.level_since = today()
    candidate.save()
    response = nominate(
        as_user(people["hr"]),
        candidate,
        off_cycle_reason=OFF_CYCLE,
        eligibility_override_reason="Took over a second squad.",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["off_cycle_reason"] == OFF_CYCLE
    assert body["eligibility_override_reason"] == "Took over a second squad."
    mine = as_user(people["candidate"]).get(f"/api/v1/promotions/{body['id']}/").json()
    assert mine["off_cycle_reason"] is None and mine["eligibility_override_reason"] is None


def test_a_cycle_calibrating_early_says_so(as_user, people):
    cycle = make_cycle(state="calibrating", tracks=("ic",))
    response = nominate(as_user(people["manager"]), people["candidate_member"])
    assert response.status_code == 409
    (reason,) = response.json()["reasons"]
    assert reason["code"] == "nominations_closed"
    assert "calibrating" in reason["detail"] and cycle.name in reason["detail"]


def test_the_board_counts_time_at_the_level_nominated_from_also_after_the_change(as_user, people):
    candidate = people["candidate_member"]
    candidate.level_since = today() - timedelta(days=800)
    candidate.save()
    cycle = make_cycle(state="open", tracks=("ic",), effective_in=30)
    promotion = in_review(people["committee"], candidate=candidate)
    calibrate(cycle)
    services.promotion_approve(promotion=promotion, actor=people["committee"])
    services.promotions_apply_effective(today=days(30))
    with freeze_time(days(31)):
        board = as_user(people["hr"]).get(url(cycle, "calibration")).json()
    (row,) = board["groups"][0]["candidates"]
    assert row["from_level"] == "pm"
    assert row["months_in_level"] == 26  # 800 days at pm until the decision, not 0 at senior-pm
