"""How the member site says a promotion's state, to the candidate and to the nominator: words
only (what may happen is the promotions app's rule; what a person may read, its selectors')."""

from promotions.models import PromotionState
from promotions.workflow import STATES


def candidate_state(state: str) -> tuple[str, str]:
    """A state as the candidate reads it, and what happens next for them (promotions/workflow.py
    declares both with the state)."""
    facts = STATES[PromotionState(state)]
    return facts.candidate_label, facts.candidate_next


def nominator_next(state: str) -> str:
    return STATES[PromotionState(state)].nominator_next


def candidate_event_label(event) -> str:
    """An event of the candidate's timeline as they read it: the committee's approval awaiting an
    executive reads as the state they see (in review); every other event by its name."""
    if event.to_state == PromotionState.AWAITING_EXECUTIVE:
        return STATES[PromotionState.AWAITING_EXECUTIVE].candidate_label
    return event.get_to_state_display()
