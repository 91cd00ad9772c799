"""Every transition × role × state: the status code, and on refusal an unchanged database.

The expectations are written out by hand from docs/design.md, not derived from the code under
test."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from ladder.models import Level, LevelChange, Member
from promotions import services
from promotions.models import Promotion, PromotionEvent, Review
from tests import factories

pytestmark = pytest.mark.django_db

STATES = ["nominated", "in_review", "approved", "rejected", "withdrawn"]
OPEN = {"nominated", "in_review"}
ROLES = [
    "candidate",
    "manager",
    "other_manager",
    "committee",
    "recused_committee",
    "hr",
    "anonymous",
]
ACTIONS = ["start-review", "review", "approve", "reject", "withdraw"]
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
    }[action]
    may = {
        "candidate": set(),
        "manager": {"withdraw"},  # the nominator
        "recused_committee": {"withdraw"},  # the nominator of their own report's promotion
        "committee": {"start-review", "review", "approve", "reject"},
        "hr": {"start-review", "review", "approve", "reject", "withdraw"},
    }[role]
    if action not in may:
        return 403
    return ok if state in source else 409


PAYLOAD = {
    "start-review": {},
    "review": {"decision": "approve", "comment": "Strong case."},
    "approve": {"note": "Agreed."},
    "reject": {"note": "Not yet."},
    "withdraw": {"note": "Timing."},
}


@pytest.fixture
def cast(db):
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
    votes = [] if state in ("nominated", "withdrawn") else [(voter, "approve")]
    return factories.promotion(
        candidate=candidate, to="senior-pm", by=nominator, state=state, votes=votes, actor=voter
    )


def snapshot(promotion: Promotion):
    promotion = Promotion.objects.get(pk=promotion.pk)
    return (
        promotion.state,
        promotion.decided_at,
        PromotionEvent.objects.count(),
        list(Review.objects.values_list("reviewer_id", "decision", "comment").order_by("id")),
        list(Member.objects.values_list("id", "level_id").order_by("id")),
        LevelChange.objects.count(),
    )


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_transition_matrix(cast, role, action, state):
    if role == "recused_committee":
        promotion = promotion_in(
            state,
            candidate=cast["second_candidate"],
            nominator=cast["recused_committee"],
            voter=cast["voter"],
        )
    else:
        promotion = promotion_in(
            state,
            candidate=cast["candidate_member"],
            nominator=cast["manager"],
            voter=cast["voter"],
        )
    client = APIClient()
    if role != "anonymous":
        user = get_user_model().objects.get(pk=cast[role].pk)
        client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(user)}")
    url = f"/api/v1/promotions/{promotion.pk}/{'reviews' if action == 'review' else action}/"
    before = snapshot(promotion)

    response = client.post(url, PAYLOAD[action], format="json")

    want = expected(role, action, state)
    assert response.status_code == want, response.json()
    assert {"detail", "code"} <= set(response.json()) or want in {200, 201}
    if want >= 400:
        assert snapshot(promotion) == before
    else:
        assert snapshot(promotion) != before


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
        },
        format="json",
    )
    assert response.status_code == NOMINATE_EXPECTED[role], response.json()
    if response.status_code == 201:
        assert (Promotion.objects.count(), PromotionEvent.objects.count()) == (1, 1)
    else:
        assert (Promotion.objects.count(), PromotionEvent.objects.count()) == before
    if response.status_code == 400:
        assert response.json()["code"] == "no_such_member"


def test_a_manager_cannot_nominate_themselves(cast):
    hr_member = factories.MemberFactory(user=cast["hr"], level=Level.objects.get(code="pm"))
    with pytest.raises(services.ActionNotAllowed, match="yourself"):
        services.promotion_nominate(
            candidate=hr_member,
            to_level=Level.objects.get(code="senior-pm"),
            nominated_by=cast["hr"],
            justification="Me.",
        )
    assert Promotion.objects.count() == 0
