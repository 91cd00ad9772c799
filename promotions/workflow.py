"""The one table of a promotion's states and transitions. Each transition is declared once here:
its API action name, the states it starts from and its target (the same as the django-fsm-2
`@transition` of that name on `Promotion`, which stays the engine), whose work it is, whether a
note is required, its notification kind and headline, its webhook event, and whether it decides
the case. Each state is declared once with its facts: open or not, whether it takes a new packet
version, and what the candidate and the nominator read. Permissions, `available_transitions`,
notifications, webhook events, the member site's words, `OPEN_STATES` and docs/workflow.md's
transition table are read from here (tests/promotions/test_workflow.py walks them).

Imports no model: `promotions.models` takes `PromotionState` and `OPEN_STATES` from here."""

from dataclasses import dataclass, replace
from enum import StrEnum

from django.db import models

from webhooks.events import Event


class PromotionState(models.TextChoices):
    NOMINATED = "nominated", "Nominated"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    ON_HOLD = "on_hold", "On hold"
    AWAITING_EXECUTIVE = "awaiting_executive", "Awaiting an executive"
    APPEALED = "appealed", "Appealed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    UPHELD = "upheld", "Rejection upheld"


class Work(StrEnum):
    """Whose work a transition is (permissions._may)."""

    # The committee and HR, neither involved in the promotion nor an author of its packet.
    COMMITTEE = "committee"
    # The nominator, or HR who is not the candidate; a superuser's case only a superuser's.
    NOMINATOR = "nominator"
    # An Executive, recused as the committee is, who neither voted on the promotion nor approved
    # it as the committee; never the nominator.
    EXECUTIVE = "executive"
    # The committee and HR as for COMMITTEE, but none who voted on the promotion before its
    # appeal or decided it.
    APPEAL_PANEL = "appeal_panel"
    # The candidate or the nominator (a rejected case's appeal).
    APPELLANT = "appellant"
    # The nominator or the candidate's manager: who tells the candidate of a decision held for
    # the cycle's release date (never the candidate, nor HR or the committee as such).
    RELEASER = "releaser"


WHO = {
    Work.COMMITTEE: "committee or HR (recusal applies)",
    Work.NOMINATOR: "nominator or HR",
    Work.EXECUTIVE: "an Executive (recusal applies; not who voted on it or approved it)",
    Work.APPEAL_PANEL: "committee or HR who neither voted on it nor decided it (recusal applies)",
    Work.APPELLANT: "candidate or nominator",
    Work.RELEASER: "nominator or the candidate's manager",
}


@dataclass(frozen=True)
class StateFacts:
    state: PromotionState
    is_open: bool
    accepts_packets: bool  # a new packet version may be submitted
    candidate_label: str  # the state as the candidate reads it
    candidate_next: str  # what happens next, for the candidate
    nominator_next: str  # what the nominator does next
    paused: bool = False  # open, but nobody is late with it (never overdue)


@dataclass(frozen=True)
class Leg:
    """Where a transition starts from a source whose work is not the row's (e.g. `approve` from
    `awaiting_executive` is an Executive's): whose work it is there, and where it may go from
    there (empty: the row's targets)."""

    source: PromotionState
    work: Work
    targets: tuple[PromotionState, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What differs when a transition ends in `target` rather than its usual target (e.g. the
    committee's `approve` of a move needing an executive ends in `awaiting_executive`: its own
    notification and event, and it decides nothing yet)."""

    target: PromotionState
    notification: str
    headline: str
    webhook_event: Event
    decides: bool


@dataclass(frozen=True)
class Transition:
    action: str  # the API's action name (URL), e.g. "start-review"
    sources: tuple[PromotionState, ...]
    # The state it moves to; for `resume`, the state the case was held from (one of `returns`).
    target: PromotionState | None
    work: Work
    note_required: bool
    notification: str  # the notification kind
    # What the people involved read ({name}: the candidate, {level}: the target level,
    # {version}: the packet version).
    headline: str
    webhook_event: Event
    decides: bool  # ends the case (decided_at set; the candidate's manager hears of it)
    cannot: str  # how "a promotion that is approved cannot …" ends
    summary: str  # what it does, in one sentence (the API operation's summary)
    returns: tuple[PromotionState, ...] = ()  # where a transition without a target may go
    note_prompt: str = ""  # the refusal when a required note is missing (400 note_required)
    # The API's further rules of this transition, beyond who, from where and the note (derived).
    api_details: str = ""
    # Sources where it is someone else's work than `work` (default: `work` from every source).
    legs: tuple[Leg, ...] = ()
    # Targets it may reach whose notification, event and decision differ from the row's.
    outcomes: tuple[Outcome, ...] = ()
    # How docs/workflow.md names a target chosen at run time (target None).
    target_words: str = "the state it was held from"
    # Leaves the state as it is (`release`): it decides nothing, whatever state it stays in.
    stays: bool = False

    @property
    def targets(self) -> tuple[PromotionState, ...]:
        return (self.target,) if self.target is not None else self.returns

    def leg_of(self, source: str) -> Leg:
        """Whose work it is from `source`, and where it may go from there."""
        for leg in self.legs:
            if leg.source == source:
                return leg
        return Leg(PromotionState(source), self.work, self.targets)

    def work_from(self, source: str) -> Work:
        # As leg_of(source).work, without building a Leg: asked per row and action of a list.
        return next((leg.work for leg in self.legs if leg.source == source), self.work)

    def targets_from(self, source: str) -> tuple[PromotionState, ...]:
        return self.leg_of(source).targets or self.targets

    @property
    def works(self) -> tuple[Work, ...]:
        """Every work it is, the row's first."""
        others = tuple(leg.work for leg in self.legs if leg.work != self.work)
        return (self.work, *dict.fromkeys(others))

    def taken(self, target: str) -> "Transition":
        """The row as it went into `target`: with that outcome's notification, headline, event and
        decision where it has its own."""
        for outcome in self.outcomes:
            if outcome.target == target:
                return replace(
                    self,
                    target=outcome.target,
                    notification=outcome.notification,
                    headline=outcome.headline,
                    webhook_event=outcome.webhook_event,
                    decides=outcome.decides,
                )
        return self

    @property
    def method(self) -> str:
        """The model's django-fsm-2 transition of this action."""
        return self.action.replace("-", "_")


S = PromotionState

STATES: dict[PromotionState, StateFacts] = {
    facts.state: facts
    for facts in (
        StateFacts(
            S.NOMINATED,
            is_open=True,
            accepts_packets=True,
            candidate_label="Nominated",
            candidate_next="The promotion committee will start reviewing your case.",
            nominator_next="The committee will start its review. You may still revise the "
            "packet or withdraw the nomination.",
        ),
        StateFacts(
            S.IN_REVIEW,
            is_open=True,
            accepts_packets=False,
            candidate_label="In review",
            candidate_next="The committee is reviewing your case. You will hear from us when it "
            "decides.",
            nominator_next="The committee is reviewing it. You will hear when it decides.",
        ),
        StateFacts(
            S.CHANGES_REQUESTED,
            is_open=True,
            accepts_packets=True,
            candidate_label="Being revised",
            candidate_next="The committee asked your nominator to revise the packet; it returns "
            "to the committee when they resubmit it.",
            nominator_next="The committee asked for changes (below). Revise the packet, then "
            "resubmit it.",
        ),
        StateFacts(
            S.ON_HOLD,
            is_open=True,
            accepts_packets=False,
            candidate_label="On hold",
            candidate_next="The committee has paused its work on your case for now. You will "
            "hear from us when it resumes.",
            nominator_next="The committee has put it on hold; it resumes where it was.",
            paused=True,
        ),
        StateFacts(
            S.AWAITING_EXECUTIVE,
            is_open=True,
            accepts_packets=False,
            # The candidate reads it as still in review (docs/decisions.md): the committee's
            # approval is not yet a decision.
            candidate_label="In review",
            candidate_next="Your case is in its last step of review. You will hear from us when "
            "it is decided.",
            nominator_next="The committee approved it; the move needs an executive's approval "
            "too. You will hear when it is decided.",
        ),
        StateFacts(
            S.APPEALED,
            is_open=True,
            accepts_packets=True,
            candidate_label="Appealed",
            candidate_next="Committee members who did not decide it before are reviewing the "
            "appeal. You will hear from us when they decide.",
            nominator_next="Committee members who did not decide it before are reviewing the "
            "appeal. You may still submit a new version of the packet.",
        ),
        StateFacts(
            S.APPROVED,
            is_open=False,
            accepts_packets=False,
            candidate_label="Approved",
            candidate_next="Your new level takes effect on the date below.",
            nominator_next="Approved. The new level takes effect on the date below.",
        ),
        StateFacts(
            S.REJECTED,
            is_open=False,
            accepts_packets=False,
            candidate_label="Not approved this time",
            candidate_next="Your manager can tell you what to work on before a next nomination.",
            nominator_next="The committee did not approve it.",
        ),
        StateFacts(
            S.WITHDRAWN,
            is_open=False,
            accepts_packets=False,
            candidate_label="Withdrawn",
            candidate_next="This nomination was withdrawn.",
            nominator_next="Withdrawn.",
        ),
        StateFacts(
            S.UPHELD,
            is_open=False,
            accepts_packets=False,
            candidate_label="Not approved: appeal upheld",
            candidate_next="The appeal was heard and the decision stands. Your manager can tell "
            "you what to work on before a next nomination.",
            nominator_next="The appeal was heard and the rejection upheld.",
        ),
    )
}

# In the order of PromotionState (the open-promotion constraint's condition lists them so).
OPEN_STATES = tuple(state for state in PromotionState if STATES[state].is_open)
# Open and not paused: late once older than PROMOTIONS_REVIEW_SLA_DAYS.
OVERDUE_STATES = tuple(state for state in OPEN_STATES if not STATES[state].paused)

# A case is held from these, and resumes into the one it was held from.
HOLDABLE = (S.NOMINATED, S.IN_REVIEW)
# `approve` starts from these: the committee's, an Executive's, an appeal panel's.
APPROVABLE = (S.IN_REVIEW, S.AWAITING_EXECUTIVE, S.APPEALED)

# The decisions a cycle's release date holds back from the candidate (promotions/release.py).
RELEASABLE = (S.APPROVED, S.REJECTED, S.UPHELD)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "start-review",
            summary="Start the committee's review of a nominated promotion.",
            sources=(S.NOMINATED,),
            target=S.IN_REVIEW,
            work=Work.COMMITTEE,
            note_required=False,
            notification="review_started",
            headline="The committee has started reviewing {name}'s promotion.",
            webhook_event=Event.PROMOTION_REVIEW_STARTED,
            decides=False,
            cannot="go into review",
        ),
        Transition(
            "approve",
            summary="Approve a promotion in review, awaiting an executive or appealed: the "
            "candidate moves up on its effective date.",
            api_details=(
                "A promotion in a cycle only while the cycle is `calibrating` (409 "
                "`cycle_not_calibrating`); with enough counted approving reviews and "
                "more approvals "
                "than rejections (409 `quorum_not_met`), the candidate still at the "
                "level they were "
                "nominated from (409 `level_changed`) and the move still active (409 "
                "`move_inactive`). `effective_on`: the cycle's date for a promotion in a cycle "
                "(sending one is 400 `effective_on_set_by_cycle`), else the date sent, default "
                "today, never in the past (400 `effective_on_past`). On or before today, the level "
                "and career history change in the same transaction; later, the promotion is "
                "approved and the level changes on that day (`level_applied` turns true). "
                "Candidate, nominator and manager are notified. "
                "The committee's approval of a move to a level with `executive_approval` moves "
                "it to `awaiting_executive` instead (the quorum checked then; no level change, "
                "no `decided_at`; the Executives are notified): an Executive then approves it "
                "(not one who voted on it or approved it as the committee: 403). "
                "From `appealed`, for the appeal panel: committee members and HR who neither "
                "voted on the promotion before the appeal nor decided it (403 otherwise); the "
                "quorum counts the votes cast on the appeal; the cycle's state does not matter."
            ),
            sources=APPROVABLE,
            target=None,  # from in_review: approved, or awaiting_executive by the target level
            returns=(S.APPROVED, S.AWAITING_EXECUTIVE),
            target_words="`approved`, or `awaiting_executive` where the target level has "
            "`executive_approval`",
            work=Work.COMMITTEE,
            legs=(
                Leg(S.AWAITING_EXECUTIVE, Work.EXECUTIVE, targets=(S.APPROVED,)),
                Leg(S.APPEALED, Work.APPEAL_PANEL, targets=(S.APPROVED,)),
            ),
            outcomes=(
                Outcome(
                    S.AWAITING_EXECUTIVE,
                    notification="awaiting_executive",
                    headline="The committee approved {name}'s promotion to {level}: it awaits "
                    "an executive's approval.",
                    webhook_event=Event.PROMOTION_AWAITING_EXECUTIVE,
                    decides=False,
                ),
            ),
            note_required=False,
            notification="approved",
            headline="Approved: {name} is now {level}.",
            webhook_event=Event.PROMOTION_APPROVED,
            decides=True,
            cannot="be approved",
        ),
        Transition(
            "reject",
            summary="Reject a promotion in review or awaiting an executive, with a note.",
            api_details=(
                "A promotion in a cycle only while the cycle is `calibrating` (409 "
                "`cycle_not_calibrating`). Candidate and nominator are notified; the "
                "note stays the "
                "committee's. From `awaiting_executive`, for an Executive (not one who voted on "
                "it or approved it as the committee: 403)."
            ),
            sources=(S.IN_REVIEW, S.AWAITING_EXECUTIVE),
            target=S.REJECTED,
            work=Work.COMMITTEE,
            legs=(Leg(S.AWAITING_EXECUTIVE, Work.EXECUTIVE),),
            note_required=True,
            notification="rejected",
            headline="The committee did not approve {name}'s promotion to {level}.",
            webhook_event=Event.PROMOTION_REJECTED,
            decides=True,
            cannot="be rejected",
            note_prompt="A note is required to reject.",
        ),
        Transition(
            "withdraw",
            summary="Withdraw a nomination.",
            sources=OPEN_STATES,
            target=S.WITHDRAWN,
            work=Work.NOMINATOR,
            note_required=False,
            notification="withdrawn",
            headline="{name}'s nomination for {level} was withdrawn.",
            webhook_event=Event.PROMOTION_WITHDRAWN,
            decides=True,
            cannot="be withdrawn",
        ),
        Transition(
            "request-changes",
            summary="Send a promotion in review back to its nominator, saying what to change.",
            api_details=(
                "The nominator reads the note (in their notification and as "
                "`changes_requested_note`); the candidate and their manager see the state only."
            ),
            sources=(S.IN_REVIEW,),
            target=S.CHANGES_REQUESTED,
            work=Work.COMMITTEE,
            note_required=True,
            notification="changes_requested",
            # To the candidate and their manager; the nominator's message holds the note.
            headline="The committee has asked for changes to {name}'s case.",
            webhook_event=Event.PROMOTION_CHANGES_REQUESTED,
            decides=False,
            cannot="be sent back for changes",
            note_prompt="Say what to change: a note is required.",
        ),
        Transition(
            "resubmit",
            summary="Send a reworked promotion back to review.",
            api_details=(
                "Once a new packet version was submitted since changes were requested (409 "
                "`packet_unchanged`). Votes on older versions stay on record as stale "
                "and no longer "
                "count; the committee, and each reviewer whose vote went stale, are told to look "
                "again."
            ),
            sources=(S.CHANGES_REQUESTED,),
            target=S.IN_REVIEW,
            work=Work.NOMINATOR,
            note_required=False,
            notification="resubmitted",
            # To the committee, and each reviewer whose vote went stale.
            headline="A new version of the packet (v{version}) is back in review: please look "
            "again. Votes on older versions no longer count.",
            webhook_event=Event.PROMOTION_RESUBMITTED,
            decides=False,
            cannot="be resubmitted",
        ),
        Transition(
            "hold",
            summary="Put a promotion on hold, saying why.",
            api_details=(
                "The note is the committee's: the candidate, the nominator and the manager see the "
                "state, not the note. On hold the case stays open (a cycle cannot close with it), "
                "is never overdue and waits on nobody's vote."
            ),
            sources=HOLDABLE,
            target=S.ON_HOLD,
            work=Work.COMMITTEE,
            note_required=True,
            notification="held",
            headline="The committee has put {name}'s promotion on hold for now.",
            webhook_event=Event.PROMOTION_HELD,
            decides=False,
            cannot="be put on hold",
            note_prompt="Say why: a note is required to hold.",
        ),
        Transition(
            "resume",
            summary="Resume a promotion on hold: back to the state it was held from.",
            api_details=(
                "The people involved hear that the work resumed (not that a review started again)."
            ),
            sources=(S.ON_HOLD,),
            target=None,  # back to the state it was held from
            returns=HOLDABLE,
            work=Work.COMMITTEE,
            note_required=False,
            notification="resumed",
            headline="The committee has resumed its work on {name}'s promotion.",
            webhook_event=Event.PROMOTION_RESUMED,
            decides=False,
            cannot="resume",
        ),
        Transition(
            "release",
            summary="Release a decision held for the cycle's release date: the candidate hears of "
            "it now.",
            api_details=(
                "Before a cycle's `release_on`, a decision on one of its promotions is held: the "
                "candidate reads the promotion as `in_review`, with no decision, `decided_at` or "
                "`effective_on`, and hears of it when it is released (`released` is false until "
                "then). The nominator or the candidate's manager releases it once they have told "
                "the candidate; on the date a periodic task releases the rest. Only a held "
                "decision (409 `already_released` once released, or never held). Leaves the state "
                "as it is; appends a `released` event and tells the candidate. Webhooks were not "
                "held: they carried the decision at once."
            ),
            sources=RELEASABLE,
            target=None,  # stays where it is
            returns=RELEASABLE,
            target_words="the state it is in (unchanged)",
            stays=True,
            work=Work.RELEASER,
            note_required=False,
            notification="released",
            headline="The committee's decision on {name}'s promotion to {level} is released.",
            webhook_event=Event.PROMOTION_RELEASED,
            decides=False,
            cannot="be released",
        ),
        Transition(
            "appeal",
            summary="Appeal a rejection, with a statement.",
            api_details=(
                "For the candidate or the nominator (403 otherwise), within "
                "`APPEAL_WINDOW_DAYS` (30) of the rejection, or of its release when it was held "
                "for a release date (409 `appeal_window_closed`); "
                "`statement` is required, at most 4,000 characters (400 "
                "`statement_required`, `statement_too_long`). One appeal per promotion. Refused "
                "while the candidate has another open promotion (409 `open_promotion`). The "
                "nominator may submit a new packet version while it is appealed; committee "
                "members who neither voted on it nor decided it review it."
            ),
            sources=(S.REJECTED,),
            target=S.APPEALED,
            work=Work.APPELLANT,
            note_required=False,
            notification="appealed",
            headline="{name}'s promotion to {level} was appealed: committee members who did "
            "not decide it before will review it.",
            webhook_event=Event.PROMOTION_APPEALED,
            decides=False,
            cannot="be appealed",
        ),
        Transition(
            "uphold",
            summary="Uphold the rejection of an appealed promotion, with a note.",
            api_details=(
                "For the appeal panel: committee members and HR who neither voted on the "
                "promotion before the appeal nor decided it (403 otherwise). Candidate, "
                "nominator and manager are notified; the note stays the committee's."
            ),
            sources=(S.APPEALED,),
            target=S.UPHELD,
            work=Work.APPEAL_PANEL,
            note_required=True,
            notification="upheld",
            headline="The appeal of {name}'s promotion to {level} was heard: the rejection stands.",
            webhook_event=Event.PROMOTION_UPHELD,
            decides=True,
            cannot="have its rejection upheld",
            note_prompt="A note is required to uphold a rejection.",
        ),
    )
}


def transition_of(method: str) -> Transition:
    """The table's row of the model's transition method `method` (e.g. "start_review")."""
    return TRANSITIONS[method.replace("_", "-")]


WHO_MAY = {
    Work.COMMITTEE: "For committee members and HR who are not involved in it (involved: the "
    "candidate, the nominator, the candidate's manager; 403 otherwise).",
    Work.NOMINATOR: "For the nominator, and for HR unless they are the candidate (403 otherwise); "
    "a superuser's promotion for superusers only (403 `superuser_protected`).",
    Work.EXECUTIVE: "For Executives who are not involved in it, did not vote on it and did not "
    "approve it as the committee (403 otherwise).",
    Work.APPEAL_PANEL: "For committee members and HR who are not involved in it and neither voted "
    "on it before its appeal nor decided it (403 otherwise).",
    Work.APPELLANT: "For the candidate and the nominator (403 otherwise).",
    Work.RELEASER: "For the nominator and the candidate's manager, who tell the candidate (403 "
    "otherwise, the candidate, HR and the committee included).",
}


def api_description(transition: Transition) -> str:
    """The API operation's description: its summary, who may, from which states, the note, and
    its further rules."""
    named = [f"`{state}`" for state in transition.sources]
    sources = " or ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
    note = (
        "A `note` is required (400 `note_required`)."
        if transition.note_required
        else "An optional `note` is kept in the timeline."
    )
    rules = f"{WHO_MAY[transition.work]} From {sources} (409 `invalid_state` otherwise). {note}"
    legs = " ".join(
        f"From `{leg.source}`: {WHO_MAY[leg.work][0].lower()}{WHO_MAY[leg.work][1:]}"
        for leg in transition.legs
    )
    parts = (transition.summary, rules, legs, transition.api_details)
    return "\n\n".join(part for part in parts if part)


def actions_of(work: Work) -> tuple[str, ...]:
    """The actions that are `work` from some state."""
    return tuple(t.action for t in TRANSITIONS.values() if work in t.works)


def transition_table() -> str:
    """docs/workflow.md's table of transitions, in Markdown (manage.py workflow_docs writes it)."""
    rows = [
        "| Action | From | To | Who | Note | Notification | Webhook event | Decides |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in TRANSITIONS.values():
        for work in t.works:  # one line per whose work it is (a row's legs)
            starts = [state for state in t.sources if t.work_from(state) == work]
            sources = ", ".join(f"`{state}`" for state in starts)
            ends = [t.taken(end) for end in t.targets_from(starts[0])]
            target = f"`{ends[0].target}`" if len(ends) == 1 and t.target else t.target_words
            if len(ends) == 1 and t.target is None and t.legs:
                target = f"`{t.targets_from(starts[0])[0]}`"
            notifications = ", ".join(dict.fromkeys(f"`{end.notification}`" for end in ends))
            events = ", ".join(dict.fromkeys(f"`{end.webhook_event}`" for end in ends))
            decisions = {
                into: "yes" if end.decides else "no"
                for into, end in zip(t.targets_from(starts[0]), ends, strict=True)
            }
            decides = (
                decisions.popitem()[1]
                if len(set(decisions.values())) == 1
                else ", ".join(f"{word} (into `{into}`)" for into, word in decisions.items())
            )
            rows.append(
                f"| `{t.action}` | {sources} | {target} | {WHO[work]} | "
                f"{'required' if t.note_required else 'optional'} | {notifications} | "
                f"{events} | {decides} |"
            )
    rows += ["", "| State | Open | New packet version | The candidate reads |", "|---|---|---|---|"]
    for facts in STATES.values():
        rows.append(
            f"| `{facts.state}` | {'yes' if facts.is_open else 'no'} | "
            f"{'yes' if facts.accepts_packets else 'no'} | {facts.candidate_label} |"
        )
    return "\n".join(rows) + "\n"


# Votes are cast where `approve` is a vote's work: the committee's and an appeal panel's.
VOTING_STATES = tuple(
    state
    for state in TRANSITIONS["approve"].sources
    if TRANSITIONS["approve"].work_from(state) in (Work.COMMITTEE, Work.APPEAL_PANEL)
)
