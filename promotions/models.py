from typing import cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import RETURN_VALUE, FSMField, transition

from audit.models import ChainedRecord
from core.records import AppendOnlyModel, append_only_trigger
from core.validators import refuse_control_characters
from ladder.models import Level, Member, Track
from promotions.workflow import APPROVABLE, HOLDABLE, STATES, VOTING_STATES

# The states and their facts are declared in the one table of transitions; re-exported here.
from promotions.workflow import OPEN_STATES as OPEN_STATES
from promotions.workflow import PromotionState as PromotionState

# The longest justification, comment or note: the models, the API and the admin's forms all take
# it from here.
TEXT_LIMIT = 5000


class CycleState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for nominations"
    CALIBRATING = "calibrating", "Calibrating"
    CLOSED = "closed", "Closed"


# Approved, with the level change still to come on `effective_on` (Promotion.is_pending, as a
# filter).
PENDING = Q(state=PromotionState.APPROVED, level_applied=False)
# Not settled yet: open, or pending. A member with such a promotion is not nominated again, nor
# erased; a promotion settled (not this) is closed, and its text goes by retention in time.
UNSETTLED = Q(state__in=OPEN_STATES) | PENDING

# A cycle in these states owns its tracks: nominations attach to it, or are refused by it.
ACTIVE_CYCLE_STATES = (CycleState.OPEN, CycleState.CALIBRATING)


class Cycle(models.Model):
    """A promotion round run by HR: nominations while open, then calibration (candidates compared
    and decided side by side), closed once none of its promotions is open. Its promotions take
    effect on `effective_on`."""

    name = models.CharField(max_length=120, validators=[refuse_control_characters])
    # The tracks of the target levels it takes; empty: both.
    tracks = models.JSONField(default=list, blank=True)
    nominations_open_on = models.DateField()
    nominations_close_on = models.DateField()
    decisions_due_on = models.DateField()
    effective_on = models.DateField()
    # Optional: until this day its decisions are held from the candidates (promotions/release.py).
    release_on = models.DateField(null=True, blank=True)
    # A blind first pass (promotions/blind.py): the committee reads its candidates under a
    # pseudonym until each has voted on the current packet version. Set while a draft only.
    blind_review = models.BooleanField(default=False)
    # protected: the state changes only through the transitions below.
    state = FSMField(default=CycleState.DRAFT, choices=CycleState.choices, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-nominations_open_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nominations_open_on__lte=models.F("nominations_close_on"))
                & Q(nominations_close_on__lte=models.F("decisions_due_on"))
                & Q(decisions_due_on__lte=models.F("effective_on")),
                name="cycle_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(release_on__isnull=True)
                | (
                    Q(decisions_due_on__lte=models.F("release_on"))
                    & Q(release_on__lte=models.F("effective_on"))
                ),
                name="cycle_release_on_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def track_list(self) -> list[str]:
        """The tracks it takes, both when none is named."""
        return list(self.tracks) or list(Track.values)

    def takes(self, track: str) -> bool:
        return track in self.track_list

    @transition(field=state, source=CycleState.DRAFT, target=CycleState.OPEN)
    def open(self) -> None:
        pass

    @transition(field=state, source=CycleState.OPEN, target=CycleState.CALIBRATING)
    def calibrate(self) -> None:
        pass

    @transition(field=state, source=CycleState.CALIBRATING, target=CycleState.CLOSED)
    def close(self) -> None:
        pass


class Promotion(models.Model):
    candidate = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="promotions")
    from_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    to_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    # protected: the state changes only through the transitions below, never by assignment.
    state = FSMField(
        default=PromotionState.NOMINATED, choices=PromotionState.choices, protected=True
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="nominations"
    )
    # The current packet's summary (its version is `packet_version`; every version is kept).
    justification = models.TextField(max_length=TEXT_LIMIT)
    packet_version = models.PositiveIntegerField(default=1)
    # Everyone who submitted a version of the packet (user ids): the nominator, and HR where HR
    # rewrote it. An author is recused from the committee's work on it (permissions._may).
    packet_authors = models.JSONField(default=list, blank=True)
    # What the committee asked the nominator to change, and on which packet version.
    changes_requested_note = models.TextField(max_length=TEXT_LIMIT, blank=True)
    changes_requested_version = models.PositiveIntegerField(null=True, blank=True)
    # While on hold: the state it was held from, and returns to on resume.
    held_from = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The round it was nominated in (null: off-cycle, or no cycles in use).
    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, null=True, blank=True, related_name="promotions"
    )
    # Since when the candidate was at from_level when nominated: their time in that level, for
    # calibration, also once the level has changed.
    from_level_since = models.DateField(null=True, blank=True)
    # Set on approval; the level changes on that day (level_applied), at once or by a task.
    effective_on = models.DateField(null=True, blank=True)
    level_applied = models.BooleanField(default=False)
    # A decision held from the candidate until its cycle's release_on, or until the nominator or
    # the candidate's manager releases it (promotions/release.py); released_at: when it was.
    release_held = models.BooleanField(default=False)
    released_at = models.DateTimeField(null=True, blank=True)
    # HR's reasons for overriding time in level, and for nominating outside a cycle.
    eligibility_override_reason = models.TextField(max_length=TEXT_LIMIT, blank=True)
    off_cycle_reason = models.TextField(max_length=TEXT_LIMIT, blank=True)
    # Retention (promotions/retention.py): HR's legal hold keeps the free text past
    # RETENTION_YEARS; text_removed_at: when the retention task removed it.
    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.TextField(max_length=TEXT_LIMIT, blank=True)
    text_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate"],
                condition=Q(state__in=OPEN_STATES),
                name="one_open_promotion_per_candidate",
            ),
        ]
        # One index per filter the API offers, each ending in the list's order (newest first,
        # id breaking ties) so a page is read straight off the index, without a sort.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="promotion_created"),
            models.Index(fields=["state", "-created_at", "-id"], name="promotion_state_created"),
            models.Index(
                fields=["candidate", "-created_at", "-id"], name="promotion_candidate_created"
            ),
            models.Index(
                fields=["nominated_by", "-created_at", "-id"], name="promotion_nominator_created"
            ),
            models.Index(
                fields=["to_level", "-created_at", "-id"], name="promotion_to_level_created"
            ),
            models.Index(fields=["cycle", "to_level"], name="promotion_cycle_level"),
            # What the effective-date task looks for: approved, level not yet changed.
            models.Index(
                fields=["effective_on"],
                condition=PENDING,
                name="promotion_pending",
            ),
            # What the release task looks for: decisions still held.
            models.Index(fields=["cycle"], condition=Q(release_held=True), name="promotion_held"),
        ]

    def __str__(self) -> str:
        move = f"{self.from_level.code} → {self.to_level.code}"
        return f"{self.candidate}: {move} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_pending(self) -> bool:
        """Approved, with the level change still to come on `effective_on`."""
        return self.state == PromotionState.APPROVED and not self.level_applied

    @classmethod
    def source_states(cls, transition: str) -> set[str]:
        """The states `transition` may start from, as the state machine declares them."""
        field = cast(FSMField, cls._meta.get_field("state"))
        return {str(t.source) for t in field.get_all_transitions(cls) if t.name == transition}

    @classmethod
    def states_accepting_votes(cls) -> set[str]:
        """Votes are cast while the committee (or an appeal's panel) can decide: where `approve`
        may start as their work (an Executive approves without a vote)."""
        return set(VOTING_STATES)

    @property
    def accepts_votes(self) -> bool:
        return self.state in self.states_accepting_votes()

    @property
    def accepts_packets(self) -> bool:
        """A new packet version: before review starts, or when changes were requested."""
        return STATES[PromotionState(self.state)].accepts_packets

    # Transitions touch only this row; services add events, level changes and notifications.
    @transition(field=state, source=PromotionState.NOMINATED, target=PromotionState.IN_REVIEW)
    def start_review(self) -> None:
        pass

    # From in_review, approved or awaiting_executive (by the target level); from the Executive's
    # step and an appeal, approved.
    @transition(
        field=state,
        source=PromotionState.IN_REVIEW,
        target=RETURN_VALUE(PromotionState.APPROVED, PromotionState.AWAITING_EXECUTIVE),
    )
    @transition(
        field=state,
        source=[s for s in APPROVABLE if s != PromotionState.IN_REVIEW],
        target=PromotionState.APPROVED,
    )
    def approve(self) -> str:
        """Approved; the committee's approval of a move to a level needing an executive's
        approval waits for one (no decision yet)."""
        if self.needs_executive:
            return PromotionState.AWAITING_EXECUTIVE
        self.decided_at = timezone.now()
        return PromotionState.APPROVED

    @property
    def needs_executive(self) -> bool:
        """The committee approves it now, and its target level needs an executive's approval."""
        return self.state == PromotionState.IN_REVIEW and self.to_level.executive_approval

    @transition(
        field=state,
        source=[PromotionState.IN_REVIEW, PromotionState.AWAITING_EXECUTIVE],
        target=PromotionState.REJECTED,
    )
    def reject(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=state, source=PromotionState.REJECTED, target=PromotionState.APPEALED)
    def appeal(self) -> None:
        """Open again, to be decided by the appeal panel (decided_at: the rejection's, kept until
        the appeal is decided)."""

    @transition(field=state, source=PromotionState.APPEALED, target=PromotionState.UPHELD)
    def uphold(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state, source=PromotionState.IN_REVIEW, target=PromotionState.CHANGES_REQUESTED
    )
    def request_changes(self) -> None:
        self.changes_requested_version = self.packet_version

    @transition(
        field=state, source=PromotionState.CHANGES_REQUESTED, target=PromotionState.IN_REVIEW
    )
    def resubmit(self) -> None:
        pass

    @transition(field=state, source=list(OPEN_STATES), target=PromotionState.WITHDRAWN)
    def withdraw(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=state, source=list(HOLDABLE), target=PromotionState.ON_HOLD)
    def hold(self) -> None:
        self.held_from = self.state

    @transition(field=state, source=PromotionState.ON_HOLD, target=RETURN_VALUE(*HOLDABLE))
    def resume(self) -> str:
        """Back to the state it was held from."""
        held_from, self.held_from = self.held_from, ""
        return held_from

    # A held decision goes out to the candidate: from each releasable state to itself.
    @transition(field=state, source=PromotionState.APPROVED, target=PromotionState.APPROVED)
    @transition(field=state, source=PromotionState.REJECTED, target=PromotionState.REJECTED)
    @transition(field=state, source=PromotionState.UPHELD, target=PromotionState.UPHELD)
    def release(self) -> None:
        self.release_held = False
        self.released_at = timezone.now()


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class PacketVersion(AppendOnlyModel):
    """One submission of a promotion's packet: the justification and, for every criterion of the
    target level active then, the evidence (text and links) with the criterion's code, title and
    expectation as they were. Numbered from 1, never edited or deleted (nor by SQL)."""

    promotion = models.ForeignKey(
        Promotion, on_delete=models.PROTECT, related_name="packet_versions"
    )
    number = models.PositiveIntegerField()
    justification = models.TextField(max_length=TEXT_LIMIT)
    # [{"criterion", "title", "expectation", "text", "links": [...]}], in the criteria's order.
    evidence = models.JSONField(default=list)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["promotion", "number"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "number"], name="one_packet_number")
        ]
        triggers = [append_only_trigger("packet_version_append_only")]

    def __str__(self) -> str:
        return f"#{self.promotion_id} packet v{self.number}"

    @property
    def criteria(self) -> list[str]:
        return [item["criterion"] for item in self.evidence]


class Rating(models.TextChoices):
    NOT_YET = "not_yet", "Not yet"
    MEETS = "meets", "Meets"
    EXCEEDS = "exceeds", "Exceeds"


class Review(models.Model):
    """A committee member's vote on one packet version of a promotion in review: one per reviewer
    and version, changeable; with a rating per criterion of that version. A vote on an older
    version is stale: kept, shown, not counted."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promotion_reviews"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(max_length=TEXT_LIMIT, blank=True)
    packet_version = models.PositiveIntegerField(default=1)
    # {"<criterion code>": "not_yet" | "meets" | "exceeds"}
    ratings = models.JSONField(default=dict)
    # Who cast it last: a delegate acting for the reviewer's seat (promotions.delegations), else
    # the reviewer (null on votes from before delegation: the reviewer).
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # Whether who cast it was reading the case blind then (a blind cycle's first pass,
    # promotions/blind.py): set by the first cast on its version, kept when the vote changes.
    blind = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "reviewer", "packet_version"],
                name="one_review_per_reviewer_and_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.decision}s #{self.promotion_id}"

    @property
    def cast_by_username(self) -> str:
        return (self.cast_by or self.reviewer).get_username()


# An event's states: the promotion's, plus `effective` (an approved promotion's level change on
# its effective date, which leaves the promotion approved).
EFFECTIVE = "effective"
# A held decision told to the candidate (the promotion stays in its state).
RELEASED = "released"
EVENT_STATE_CHOICES = [*PromotionState.choices, (EFFECTIVE, "Effective"), (RELEASED, "Released")]


class PromotionEvent(ChainedRecord):
    """The audit trail: one row per transition, appended, never updated or deleted."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=20, choices=EVENT_STATE_CHOICES, null=True)
    to_state = models.CharField(max_length=20, choices=EVENT_STATE_CHOICES)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    note = models.TextField(max_length=TEXT_LIMIT, blank=True)
    # On a decision: every vote then on record, each counted or not (and why not).
    votes = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["promotion", "at"], name="event_promotion_at")]
        triggers = [append_only_trigger("promotion_event_append_only")]

    def __str__(self) -> str:
        return f"#{self.promotion_id}: {self.from_state or '∅'} → {self.to_state}"


class NominationKey(models.Model):
    """An `Idempotency-Key` sent with a nomination: the same key and body get the first response
    back instead of a second promotion."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="+")
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_nomination_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


# Appeals, delegations and nomination requests live in their own packages; imported here so the
# app registers their models.
from promotions.appeals.models import Appeal as Appeal  # noqa: E402
from promotions.delegations.models import Delegation as Delegation  # noqa: E402
from promotions.requests.models import NominationRequest as NominationRequest  # noqa: E402
from promotions.requests.models import RequestState as RequestState  # noqa: E402
