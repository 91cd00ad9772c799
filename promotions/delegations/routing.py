"""Who receives a copy of a message for a seat holder on leave: the one rule, registered with the
notifications app (promotions/apps.py), which writes the copies (notifications_create_each).

A delegate receives the messages of the delegator's role: those to the committee about a promotion
(audience `committee`: nominations, resubmissions, stale votes, reminders, an Executive's step) and
the committee's messages about no promotion (a cycle calibrating). Never the delegator's own
messages as a candidate, nominator or manager (audience `involved`), nor anything else the
notifications app writes (invitations, password resets). A delegate involved in the promotion the
message is about gets no copy (they may not read the committee's work on it). The delegator keeps
their own copy (docs/decisions.md)."""

from datetime import date

from notifications.messages import StandIn
from promotions.delegations.selectors import stand_ins_among
from promotions.models import Promotion
from promotions.notify import CYCLE_CALIBRATING, INVOLVED
from promotions.permissions import involved_user_ids
from promotions.selectors import PROMOTION_WITH_PEOPLE

# The role's messages about no promotion.
ROLE_KINDS = frozenset({CYCLE_CALIBRATING})


def delegates_copied(
    recipient_ids: list[int],
    *,
    kind: str,
    promotion_id: int | None,
    audience: str,
    on: date | None = None,
) -> list[StandIn]:
    if promotion_id is None:
        if kind not in ROLE_KINDS:
            return []
    elif audience == INVOLVED or not audience:
        return []
    found = stand_ins_among(recipient_ids, on)
    if not found:
        return []
    recused: set[int] = set()
    if promotion_id is not None:
        promotion = Promotion.objects.select_related(*PROMOTION_WITH_PEOPLE).get(pk=promotion_id)
        recused = involved_user_ids(promotion)
    return [
        StandIn(for_id=row.delegator_id, by_id=row.delegate_id, for_name=row.delegator)
        for row in found
        if row.delegate_id not in recused
    ]
