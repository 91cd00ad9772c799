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
