"""What the systems around us hear of promotions and cycles (docs/webhooks.md): the webhook
events and their payloads. Called by the services inside their transaction; the webhooks app
delivers after commit. Ids, codes, states and dates only: never a justification, review, rating
or note."""

from promotions.models import Cycle, Promotion
from promotions.workflow import Transition
from webhooks.events import Event
from webhooks.services import webhooks_emit, webhooks_emit_many

EVENT_BY_CYCLE_TRANSITION = {
    "open": Event.CYCLE_OPENED,
    "calibrate": Event.CYCLE_CALIBRATING,
    "close": Event.CYCLE_CLOSED,
}


def _promotion_data(promotion: Promotion) -> dict:
    return {
        "promotion": promotion.pk,
        "candidate": promotion.candidate_id,
        "from_level": promotion.from_level.code,
        "to_level": promotion.to_level.code,
        "state": promotion.state,
        "cycle": promotion.cycle_id,
        "effective_on": promotion.effective_on,
    }


def emit_nominated(*, promotion: Promotion) -> None:
    webhooks_emit(event=Event.PROMOTION_NOMINATED, data=_promotion_data(promotion))


def emit_transition(*, promotion: Promotion, transition: Transition) -> None:
    """The transition's event, from its row in the table (promotions/workflow.py)."""
    webhooks_emit(event=transition.webhook_event, data=_promotion_data(promotion))


def emit_effective(*, promotion: Promotion) -> None:
    """The approved promotion took effect: the candidate's level changed."""
    level_changed = {
        "member": promotion.candidate_id,
        "from_level": promotion.from_level.code,
        "to_level": promotion.to_level.code,
        "effective_on": promotion.effective_on,
        "promotion": promotion.pk,
    }
    webhooks_emit_many(
        events=[
            (Event.PROMOTION_EFFECTIVE, _promotion_data(promotion)),
            (Event.MEMBER_LEVEL_CHANGED, level_changed),
        ]
    )


def emit_cycle(*, cycle: Cycle, transition: str) -> None:
    webhooks_emit(
        event=EVENT_BY_CYCLE_TRANSITION[transition],
        data={
            "cycle": cycle.pk,
            "name": cycle.name,
            "state": cycle.state,
            "nominations_close_on": cycle.nominations_close_on,
            "effective_on": cycle.effective_on,
        },
    )
