"""How the member site says a promotion's state, to the candidate and to the nominator: words
only (what may happen is the promotions app's rule; what a person may read, its selectors')."""

from promotions.models import PromotionState

# state: (what the candidate reads, what happens next for them)
FOR_CANDIDATE = {
    PromotionState.NOMINATED: (
        "Nominated",
        "The promotion committee will start reviewing your case.",
    ),
    PromotionState.IN_REVIEW: (
        "In review",
        "The committee is reviewing your case. You will hear from us when it decides.",
    ),
    PromotionState.CHANGES_REQUESTED: (
        "Being revised",
        "The committee asked your nominator to revise the packet; it returns to the committee "
        "when they resubmit it.",
    ),
    PromotionState.APPROVED: ("Approved", "Your new level takes effect on the date below."),
    PromotionState.REJECTED: (
        "Not approved this time",
        "Your manager can tell you what to work on before a next nomination.",
    ),
    PromotionState.WITHDRAWN: ("Withdrawn", "This nomination was withdrawn."),
}

# state: what the nominator does next
FOR_NOMINATOR = {
    PromotionState.NOMINATED: "The committee will start its review. You may still revise the "
    "packet or withdraw the nomination.",
    PromotionState.IN_REVIEW: "The committee is reviewing it. You will hear when it decides.",
    PromotionState.CHANGES_REQUESTED: "The committee asked for changes (below). Revise the "
    "packet, then resubmit it.",
    PromotionState.APPROVED: "Approved. The new level takes effect on the date below.",
    PromotionState.REJECTED: "The committee did not approve it.",
    PromotionState.WITHDRAWN: "Withdrawn.",
}


def candidate_state(state: str) -> tuple[str, str]:
    """A state as the candidate reads it; a state added later reads as its own label."""
    label = PromotionState(state).label if state in PromotionState.values else state
    return FOR_CANDIDATE.get(state, (str(label), ""))


def nominator_next(state: str) -> str:
    return FOR_NOMINATOR.get(state, "")
