"""Every transition × role × state: the status code, and on refusal an unchanged database.

The expectations are written out by hand from docs/design.md, not derived from the code under
test."""

import copy

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from ladder.models import Level, LevelChange, Member
from promotions import services
from promotions.delegations import services as delegations
from promotions.models import (
    NominationRequest,
    PacketVersion,
    Promotion,
    PromotionEvent,
    Review,
)
from promotions.packets import services as packets
from promotions.requests import services as nomination_requests
from tests import factories
from tests.shared import shared_rows

pytestmark = pytest.mark.django_db

# `reworked`: changes_requested, with a new packet version submitted since (resubmit may go on).
# `held`: approved in a cycle whose release date has not come (the candidate is not told yet).
STATES = [
    "nominated",
    "in_review",
    "changes_requested",
    "reworked",
    "approved",
    "held",
    "rejected",
    "withdrawn",
]
CHANGES_REQUESTED = {"changes_requested", "reworked"}
OPEN = {"nominated", "in_review"} | CHANGES_REQUESTED
ROLES = [
    "candidate",
    "manager",
    "other_manager",
    "committee",
    "recused_committee",
    "hr",
    "anonymous",
]
ACTIONS = [
    "start-review",
    "review",
    "approve",
    "reject",
    "withdraw",
    "request-changes",
    "resubmit",
    "release",
]
SUCCESS = {"review": 201}


def expected(role: str, action: str, state: str) -> int:
    ok = SUCCESS.get(action, 200)
    if role == "anonymous":
        return 401
    if role == "other_manager":
        return 404  # cannot see it
    source = {
        "start-review": {"nominated"},
        "review": {"in_review"},
        "approve": {"in_review"},
        "reject": {"in_review"},
        "withdraw": OPEN,
        "request-changes": {"in_review"},
        "resubmit": {"reworked"},  # changes_requested without a new version: 409 too
        "release": {"held"},  # a decision not held: 409 too
    }[action]
    may = {
        "candidate": set(),
        "manager": {"withdraw", "resubmit", "release"},  # the nominator
        # The nominator of their own report's promotion: involved, so no committee work on it.
        "recused_committee": {"withdraw", "resubmit", "release"},
        "committee": {"start-review", "review", "approve", "reject", "request-changes"},
        "hr": {
            "start-review",
            "review",
            "approve",
            "reject",
            "withdraw",
            "request-changes",
            "resubmit",
        },
    }[role]
    if action not in may:
        return 403
    return ok if state in source else 409


def expected_code(action: str, state: str) -> str:
    """The code of a 409."""
    if action == "resubmit" and state == "changes_requested":
        return "packet_unchanged"
    if action == "release" and state in ("approved", "rejected"):
        return "already_released"  # decided, and never held
    return "invalid_state"


def payload(action: str, promotion: Promotion) -> dict:
    return {
        "start-review": {},
        "review": {
            "decision": "approve",
            "comment": "Strong case.",
            "ratings": factories.ratings_body(promotion),
        },
        "approve": {"note": "Agreed."},
        "reject": {"note": "Not yet."},
        "withdraw": {"note": "Timing."},
        "request-changes": {"note": "Add the adoption numbers."},
        "resubmit": {"note": "Numbers added."},
        "release": {"note": "Told them this morning."},
    }[action]


@pytest.fixture(scope="module")
def shared_cast(django_db_setup, django_db_blocker):
    """Built once for the module (tests/shared.py): each test's writes are rolled back, so every
    test meets the same people (each builds its own promotion)."""
    with shared_rows(django_db_blocker):
        yield build_cast()


@pytest.fixture
def cast(db, shared_cast):
    """The shared cast, its objects copied for this test as Django's setUpTestData does: what a
    test changes in them (a candidate promoted) stays with it."""
    return copy.deepcopy(shared_cast)


def build_cast():
    group_pm = Level.objects.get(code="group-pm")
    manager = factories.MemberFactory(level=group_pm)
    candidate = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    other_manager = factories.MemberFactory(level=group_pm)
    factories.MemberFactory(manager=other_manager)
    recused = factories.committee_member(level="group-pm")
    second_candidate = factories.MemberFactory(
        level=Level.objects.get(code="pm"), manager=recused.member
    )
    return {
        "candidate": candidate.user,
        "manager": manager.user,
        "other_manager": other_manager.user,
        "committee": factories.committee_member(),
        "voter": factories.committee_member(),
        "recused_committee": recused,
        "hr": factories.hr_user(),
        "candidate_member": candidate,
        "second_candidate": second_candidate,
    }


def promotion_in(state: str, *, candidate: Member, nominator, voter) -> Promotion:
    if state == "held":
        return held_approval(candidate=candidate, nominator=nominator, voter=voter)
    votes = [] if state in ("nominated", "withdrawn") else [(voter, "approve")]
    built = "in_review" if state in CHANGES_REQUESTED else state
    promotion = factories.promotion(
        candidate=candidate, to="senior-pm", by=nominator, state=built, votes=votes, actor=voter
    )
    if state in CHANGES_REQUESTED:
        promotion = services.promotion_request_changes(
            promotion=promotion, actor=voter, note="Show the adoption numbers."
        )
    if state == "reworked":
        packets.packet_submit(
            promotion=promotion,
            actor=nominator,
            justification="Ready, with numbers.",
            evidence=factories.evidence_for("senior-pm", text="With adoption numbers."),
        )
    return Promotion.objects.get(pk=promotion.pk)


def held_approval(*, candidate: Member, nominator, voter) -> Promotion:
    """Approved in a calibrating cycle whose release date is days ahead."""
    promotion = factories.held_decision(
        candidate=candidate, to="senior-pm", by=nominator, votes=[(voter, "approve")], actor=voter
    )
    assert promotion.release_held
    return Promotion.objects.get(pk=promotion.pk)


def snapshot(promotion: Promotion):
    promotion = Promotion.objects.get(pk=promotion.pk)
    return (
        promotion.state,
        promotion.decided_at,
        promotion.packet_version,
        promotion.changes_requested_note,
        promotion.release_held,
        PromotionEvent.objects.count(),
        PacketVersion.objects.count(),
        list(
            Review.objects.values_list(
                "reviewer_id", "decision", "comment", "packet_version", "ratings"
            ).order_by("id")
        ),
        list(Member.objects.values_list("id", "level_id").order_by("id")),
        LevelChange.objects.count(),
    )


def build_every_state(cast) -> dict[tuple[str, bool], int]:
    """A promotion in each state, nominated by the manager and, for the recused committee member,
    by that member (their own report): {(state, recused): id}. Each has a candidate of its own (one
    open promotion each), apart from the cast's, which other tests nominate. The held ones come
    last: the release cycle they share takes every nomination made while it is open."""
    pm = Level.objects.get(code="pm")
    nominators = {False: cast["manager"], True: cast["recused_committee"]}
    built = {}
    for recused, nominator in nominators.items():
        for state in STATES:
            if state == "held":
                continue
            candidate = factories.MemberFactory(level=pm, manager=nominator.member)
            built[(state, recused)] = promotion_in(
                state, candidate=candidate, nominator=nominator, voter=cast["voter"]
            )
    cycle = factories.release_cycle(hr=cast["hr"])
    cases = {
        recused: factories.promotion(
            candidate=factories.MemberFactory(level=pm, manager=nominator.member),
            to="senior-pm",
            by=nominator,
            state="in_review",
            votes=[(cast["voter"], "approve")],
            actor=cast["voter"],
        )
        for recused, nominator in nominators.items()
    }
    for recused, case in cases.items():  # the first calibrates the cycle: nominations close
        built[("held", recused)] = factories.held_decision(
            cycle=cycle, case=case, actor=cast["voter"]
        )
        assert built[("held", recused)].release_held
    assert {key: p.state for key, p in built.items()} == {
        key: {"held": "approved", "reworked": "changes_requested"}.get(key[0], key[0])
        for key in built
    }
    return {key: p.pk for key, p in built.items()}


@pytest.fixture(scope="class")
def shared_states(shared_cast, django_db_blocker):
    """Every state's promotions, built once for TestFromEveryState within the shared cast's
    transaction: each test's writes (a transition, a vote) are rolled back before the next."""
    with shared_rows(django_db_blocker):
        yield build_every_state(shared_cast)


def promotion_of(shared_states, state: str, role: str) -> Promotion:
    return Promotion.objects.select_related("candidate__user").get(
        pk=shared_states[(state, role == "recused_committee")]
    )


def client_of(role: str, promotion: Promotion, cast) -> APIClient:
    """A client signed in as `role` of `promotion` (its own candidate for "candidate")."""
    client = APIClient()
    if role != "anonymous":
        user = promotion.candidate.user if role == "candidate" else cast[role]
        user = get_user_model().objects.get(pk=user.pk)
        client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(user)}")
    return client


VOTE_FOR_A_SEAT_STATES = ["nominated", "in_review", "approved"]


class TestFromEveryState:
    """The transitions (and a vote for a seat) from each state, on the promotions of
    `shared_states`: built once for the class, rolled back after it, so that the module's other
    tests meet none of them."""

    @pytest.mark.parametrize("state", STATES)
    @pytest.mark.parametrize("action", ACTIONS)
    @pytest.mark.parametrize("role", ROLES)
    def test_transition_matrix(self, cast, shared_states, role, action, state):
        promotion = promotion_of(shared_states, state, role)
        client = client_of(role, promotion, cast)
        url = f"/api/v1/promotions/{promotion.pk}/{'reviews' if action == 'review' else action}/"
        before = snapshot(promotion)

        response = client.post(url, payload(action, promotion), format="json")

        want = expected(role, action, state)
        assert response.status_code == want, response.json()
        assert {"detail", "code"} <= set(response.json()) or want in {200, 201}
        if want == 409:
            assert response.json()["code"] == expected_code(action, state)
        if want >= 400:
            assert snapshot(promotion) == before
        else:
            assert snapshot(promotion) != before

    @pytest.mark.parametrize("state", VOTE_FOR_A_SEAT_STATES)
    @pytest.mark.parametrize("role", ROLES)
    def test_a_vote_for_a_seat_matrix(self, cast, shared_states, role, state):
        """A vote `on_behalf_of` the voter's seat, which the committee member holds today by a
        delegation: the delegate changes the seat's one vote (200); HR holds no seat (403
        `no_delegation`); everyone else is refused as for their own vote."""
        voter = cast["voter"]
        delegations.delegation_create(
            actor=voter,
            delegator=voter,
            delegate=cast["committee"],
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
        )
        promotion = promotion_of(shared_states, state, role)
        client = client_of(role, promotion, cast)
        before = snapshot(promotion)

        body = {**payload("review", promotion), "on_behalf_of": voter.username}
        response = client.post(f"/api/v1/promotions/{promotion.pk}/reviews/", body, format="json")

        want = expected(role, "review", state)
        if want == 201 and role == "committee":
            want = 200  # the seat voted already: its one vote changes
        if want == 201 and role == "hr":
            want = 403
        assert response.status_code == want, response.json()
        if want == 403 and role == "hr":
            assert response.json()["code"] == "no_delegation"
        if want >= 400:
            assert snapshot(promotion) == before
        else:
            review = Review.objects.get(
                promotion=promotion, packet_version=promotion.packet_version
            )
            assert (review.reviewer, review.cast_by, review.comment) == (
                voter,
                cast["committee"],
                "Strong case.",
            )


NOMINATE_EXPECTED = {
    "candidate": 403,  # not a manager, and never oneself
    "manager": 201,
    "other_manager": 400,  # cannot see the candidate: "no such member"
    "committee": 403,  # committee members do not nominate
    "recused_committee": 403,  # a manager, but not this candidate's
    "hr": 201,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_nomination_matrix(cast, role):
    client = APIClient()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(cast[role])}")
    before = (Promotion.objects.count(), PromotionEvent.objects.count())
    response = client.post(
        "/api/v1/promotions/",
        {
            "candidate": cast["candidate_member"].id,
            "to_level": "senior-pm",
            "justification": "Ready.",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
    )
    assert response.status_code == NOMINATE_EXPECTED[role], response.json()
    counts = (
        Promotion.objects.count(),
        PromotionEvent.objects.count(),
        PacketVersion.objects.count(),
    )
    if response.status_code == 201:
        assert counts == (1, 1, 1)
    else:
        assert counts == (*before, 0)
    if response.status_code == 400:
        assert response.json()["code"] == "no_such_member"


# Nomination requests: the candidate asks their manager; the manager or HR answers, once.
REQUEST_STATES = ["pending", "accepted", "declined"]
ASK_EXPECTED = {
    "candidate": 201,
    "manager": 409,  # no_manager: nobody to ask
    "other_manager": 409,
    "committee": 403,  # not on the ladder
    "recused_committee": 409,
    "hr": 403,
    "anonymous": 401,
}


def request_expected(role: str, state: str) -> int:
    if role == "anonymous":
        return 401
    if role in ("other_manager", "committee", "recused_committee"):
        return 404  # not theirs to see
    if role == "candidate":
        return 403  # sees their own, answers nothing
    return 200 if state == "pending" else 409


@pytest.mark.parametrize("role", ROLES)
def test_ask_matrix(cast, role):
    client = APIClient()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(cast[role])}")
    response = client.post(
        "/api/v1/nomination-requests/",
        {
            "to_level": "senior-pm",
            "justification": "Ready.",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
    )
    assert response.status_code == ASK_EXPECTED[role], response.json()
    if response.status_code == 409:
        assert response.json()["code"] == "no_manager"
    assert NominationRequest.objects.count() == (response.status_code == 201)
    assert not Promotion.objects.exists()  # asking never nominates


@pytest.mark.parametrize("state", REQUEST_STATES)
@pytest.mark.parametrize("action", ["accept", "decline"])
@pytest.mark.parametrize("role", ROLES)
def test_request_answer_matrix(cast, role, action, state):
    request = nomination_requests.nomination_request_create(
        user=cast["candidate"],
        to_level=Level.objects.get(code="senior-pm"),
        justification="Ready.",
        evidence=factories.evidence_for("senior-pm"),
    )
    if state == "accepted":
        nomination_requests.nomination_request_accept(request=request, actor=cast["manager"])
    if state == "declined":
        nomination_requests.nomination_request_decline(
            request=request, actor=cast["manager"], reason="Not yet."
        )
    client = APIClient()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(cast[role])}")

    def snapshot():
        row = NominationRequest.objects.get(pk=request.pk)
        return row.state, row.answered_at, row.reason, Promotion.objects.count()

    before = snapshot()
    body = {"reason": "Lead a launch first."} if action == "decline" else {}
    response = client.post(
        f"/api/v1/nomination-requests/{request.pk}/{action}/", body, format="json"
    )

    want = request_expected(role, state)
    assert response.status_code == want, response.json()
    if want == 409:
        assert response.json()["code"] == "nomination_request_answered"
    if want >= 400:
        assert snapshot() == before
    else:
        assert response.json()["state"] == ("accepted" if action == "accept" else "declined")
        assert Promotion.objects.count() == before[3] + (action == "accept")


def test_a_manager_cannot_nominate_themselves(cast):
    hr_member = factories.MemberFactory(user=cast["hr"], level=Level.objects.get(code="pm"))
    with pytest.raises(services.ActionNotAllowed, match="yourself"):
        services.promotion_nominate(
            candidate=hr_member,
            to_level=Level.objects.get(code="senior-pm"),
            nominated_by=cast["hr"],
            justification="Me.",
            evidence=factories.evidence_for("senior-pm"),
        )
    assert Promotion.objects.count() == 0


@pytest.mark.parametrize("note", ["", "   "])
def test_requesting_changes_needs_a_note(cast, note):
    promotion = promotion_in(
        "in_review",
        candidate=cast["candidate_member"],
        nominator=cast["manager"],
        voter=cast["voter"],
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(cast['committee'])}")
    before = snapshot(promotion)
    response = client.post(
        f"/api/v1/promotions/{promotion.pk}/request-changes/", {"note": note}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "note_required"
    assert snapshot(promotion) == before


# --- The executive step and appeals (issue 25, part A) ------------------------------------------
# Their states, built once for the module (each a candidate of its own: one open promotion each),
# and who may do what from them. `voter`: a committee member who voted on every one of them before
# (never on an Executive's step or an appeal's panel); `committee`: one who did not.
LATER_STATES = ["awaiting_executive", "rejected", "appealed", "upheld"]
LATER_ROLES = [
    "candidate",
    "manager",
    "other_manager",
    "committee",
    "voter",
    "executive",
    "hr",
    "anonymous",
]
LATER_ACTIONS = ["approve", "reject", "appeal", "uphold"]


def expected_later(role: str, action: str, state: str) -> int:
    if role == "anonymous":
        return 401
    if role == "other_manager":
        return 404
    source = {
        "approve": {"awaiting_executive", "appealed"},
        "reject": {"awaiting_executive"},
        "appeal": {"rejected"},
        "uphold": {"appealed"},
    }[action]
    # Who does the action from some state (a 409 elsewhere), and who from each of its sources.
    does = {
        "approve": {"committee", "voter", "hr", "executive"},
        "reject": {"committee", "voter", "hr", "executive"},
        "appeal": {"candidate", "manager"},
        "uphold": {"committee", "voter", "hr"},
    }[action]
    from_here = {
        ("approve", "awaiting_executive"): {"executive"},
        ("approve", "appealed"): {"committee", "hr"},
        ("reject", "awaiting_executive"): {"executive"},
        ("appeal", "rejected"): {"candidate", "manager"},
        ("uphold", "appealed"): {"committee", "hr"},
    }
    if state in source:
        return 200 if role in from_here[(action, state)] else 403
    return 409 if role in does else 403


def later_payload(action: str) -> dict:
    return {
        "approve": {"note": "Agreed."},
        "reject": {"note": "Not this year."},
        "appeal": {"statement": "The launch numbers came after the committee met."},
        "uphold": {"note": "The numbers do not change it."},
    }[action]


def build_later_cast():
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    other_manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    factories.MemberFactory(manager=other_manager)
    voter, decider, panelist = (factories.committee_member() for _ in range(3))
    cast = {
        "manager": manager.user,
        "other_manager": other_manager.user,
        "committee": factories.committee_member(),
        "voter": voter,
        "executive": factories.executive(),
        "hr": factories.hr_user(),
    }
    promotions = {}
    senior = factories.MemberFactory(level=Level.objects.get(code="group-pm"), manager=manager)
    waiting = factories.promotion(
        candidate=senior, to="head-of-product", state="in_review", votes=[(voter, "approve")]
    )
    promotions["awaiting_executive"] = services.promotion_approve(promotion=waiting, actor=decider)
    for state in ("rejected", "appealed", "upheld"):
        candidate = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
        promotion = factories.promotion(
            candidate=candidate, to="senior-pm", state="in_review", votes=[(voter, "reject")]
        )
        promotion = services.promotion_reject(promotion=promotion, actor=decider, note="Not yet.")
        if state != "rejected":
            promotion = services.promotion_appeal(
                promotion=promotion, actor=candidate.user, statement="New numbers."
            )
            factories.review(promotion, panelist, "approve")
        if state == "upheld":
            promotion = services.promotion_uphold(
                promotion=promotion, actor=panelist, note="It stands."
            )
        promotions[state] = promotion
    assert {state: p.state for state, p in promotions.items()} == {s: s for s in LATER_STATES}
    return cast, {state: p.pk for state, p in promotions.items()}


@pytest.fixture(scope="module")
def shared_later(django_db_setup, django_db_blocker):
    with shared_rows(django_db_blocker):
        yield build_later_cast()


@pytest.mark.parametrize("state", LATER_STATES)
@pytest.mark.parametrize("action", LATER_ACTIONS)
@pytest.mark.parametrize("role", LATER_ROLES)
def test_executive_and_appeal_matrix(db, shared_later, role, action, state):
    cast, promotion_ids = shared_later
    promotion = Promotion.objects.select_related("candidate__user").get(pk=promotion_ids[state])
    client = APIClient()
    if role != "anonymous":
        user = promotion.candidate.user if role == "candidate" else cast[role]
        client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(user)}")
    before = snapshot(promotion)

    response = client.post(
        f"/api/v1/promotions/{promotion.pk}/{action}/", later_payload(action), format="json"
    )

    want = expected_later(role, action, state)
    assert response.status_code == want, response.json()
    if want == 409:
        assert response.json()["code"] == "invalid_state"
    if role == "voter" and state == "appealed" and action in ("approve", "uphold"):
        assert response.json()["code"] == "took_part_before"
    if want >= 400:
        assert snapshot(promotion) == before
    else:
        assert snapshot(promotion) != before
