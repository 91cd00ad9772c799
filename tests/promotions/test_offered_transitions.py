"""What the API offers is what the service accepts: for every role and every state, a promotion's
`available_transitions` (in its detail and in the list) are exactly the transitions whose service
goes through for that user, each tried and rolled back. Both ask promotions/permissions.py; a
superuser's case included (its nominator's work is for superusers only)."""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from core.errors import DomainError
from ladder.models import Level
from promotions import services
from promotions.models import Promotion
from promotions.packets import services as packets
from promotions.workflow import TRANSITIONS
from tests import factories

pytestmark = pytest.mark.django_db

NOTE = "A note, for the transitions that need one."
# Every state of the table, and the kinds of a state whose transitions differ: `approvable` (in
# review with the quorum's vote: approve goes through) and `reworked` (changes requested, then a
# new packet version: resubmit goes through); `held` (approved before the cycle's release date:
# release goes through); `awaiting_executive` (the committee approved a move needing an
# Executive), `appealed` (a rejection appealed by the candidate).
STATES = [
    "nominated",
    "in_review",
    "approvable",
    "changes_requested",
    "reworked",
    "on_hold",
    "approved",
    "held",
    "rejected",
    "withdrawn",
    "awaiting_executive",
    "appealed",
]
ROLES = ["candidate", "nominator", "manager", "committee", "hr", "superuser", "executive", "other"]


def people(*, superuser_case: bool) -> dict:
    candidate, manager = factories.team()
    cast = {
        "candidate": candidate.user,
        "manager": manager.user,
        "committee": factories.committee_member(),
        "hr": factories.hr_user(),
        "superuser": factories.UserFactory(is_superuser=True, is_staff=True),
        "other": factories.MemberFactory().user,
        "voter": factories.committee_member(),
        "executive": factories.executive(),
    }
    # A superuser's case is opened by a superuser (HR who is not one may not); any other case
    # by the candidate's manager.
    if superuser_case:
        candidate.user.is_superuser = True
        candidate.user.save(update_fields=["is_superuser"])
        cast["nominator"] = factories.UserFactory(is_superuser=True, is_staff=True)
    else:
        cast["nominator"] = manager.user
    cast["candidate_member"] = candidate
    return cast


def promotion_in(state: str, cast: dict):
    committee, nominator = cast["committee"], cast["nominator"]
    base = {"candidate": cast["candidate_member"], "by": nominator, "actor": committee}
    if state in ("nominated", "withdrawn", "approved", "rejected", "in_review"):
        return factories.promotion(state=state, **base)
    if state == "held":
        return factories.held_decision(**base)
    if state == "approvable":
        return factories.promotion(state="in_review", votes=[(cast["voter"], "approve")], **base)
    if state == "awaiting_executive":  # a shortcut: the target level needs an executive today
        promotion = factories.promotion(
            state="in_review", votes=[(cast["voter"], "approve")], **base
        )
        Level.objects.filter(pk=promotion.to_level_id).update(executive_approval=True)
        return services.promotion_approve(
            promotion=Promotion.objects.get(pk=promotion.pk), actor=committee
        )
    if state == "appealed":
        return services.promotion_appeal(
            promotion=factories.promotion(state="rejected", **base),
            actor=cast["candidate"],
            statement=NOTE,
        )
    if state == "on_hold":
        nominated = factories.promotion(**base)
        return services.promotion_hold(promotion=nominated, actor=committee, note=NOTE)
    sent_back = services.promotion_request_changes(
        promotion=factories.promotion(state="in_review", **base), actor=committee, note=NOTE
    )
    if state == "reworked":
        packets.packet_submit(
            promotion=sent_back,
            actor=nominator,
            justification="Reworked.",
            evidence=factories.evidence_for(sent_back.to_level),
        )
    return sent_back


def accepted(promotion, user) -> set[str]:
    """The transitions whose service goes through for `user`, each rolled back."""
    result = set()
    for action in TRANSITIONS:
        with transaction.atomic():
            try:
                extra = {"statement": NOTE} if action == "appeal" else {}
                services.TRANSITION_SERVICES[action](
                    promotion=promotion, actor=user, note=NOTE, **extra
                )
            except DomainError:
                pass
            else:
                result.add(action)
            transaction.set_rollback(True)
    return result


def offered(promotion, user) -> tuple[set[str], set[str] | None]:
    """`available_transitions` in the promotion's detail (none if it is not found) and in the
    list's row for it (None if the list has no such row)."""
    client = APIClient()
    client.force_authenticate(user)
    detail = client.get(f"/api/v1/promotions/{promotion.pk}/")
    assert detail.status_code in (200, 404), detail.json()
    in_detail = set(detail.json()["available_transitions"]) if detail.status_code == 200 else set()
    rows = client.get("/api/v1/promotions/", {"page_size": 100}).json()["results"]
    row = next((r for r in rows if r["id"] == promotion.pk), None)
    return in_detail, set(row["available_transitions"]) if row else None


@pytest.mark.parametrize("superuser_case", [False, True], ids=["a member's case", "a superuser's"])
@pytest.mark.parametrize("state", STATES)
def test_the_offered_transitions_are_those_the_service_accepts(state, superuser_case):
    cast = people(superuser_case=superuser_case)
    promotion = promotion_in(state, cast)
    found = {}
    for role in ROLES:
        user = cast[role]
        in_detail, in_list = offered(promotion, user)
        services_accept = accepted(promotion, user)
        found[role] = services_accept
        assert in_detail == services_accept, (role, in_detail, services_accept)
        assert in_list in (None, services_accept), (role, in_list, services_accept)
    # Not a vacuous match: the open states let someone do something.
    if state not in ("approved", "rejected", "withdrawn"):
        assert any(found.values()), found
