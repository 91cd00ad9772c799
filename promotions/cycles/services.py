"""Writes to promotion cycles (docs/design.md, "Cycles"): HR creates a draft, edits it while it is
a draft, opens it, moves it to calibration (or the beat task does, the day after nominations
close) and closes it once none of its promotions is open."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import can_proceed

from audit.services import config_change_record, diff, snapshot
from core import roles
from core.errors import ErrorCode as CoreErrorCode
from core.errors import InvalidInput
from core.validators import FAR_DATES, refuse_control_characters
from ladder.models import Track
from promotions import notify, webhook_events
from promotions.errors import ActionNotAllowed, ErrorCode, TransitionConflict
from promotions.models import ACTIVE_CYCLE_STATES, OPEN_STATES, Cycle, CycleState

DATE_FIELDS = ("nominations_open_on", "nominations_close_on", "decisions_due_on", "effective_on")
# Optional: until then the cycle's decisions are held from the candidates (promotions/release.py).
RELEASE_ON = "release_on"
# Whether its committee reviews blind (promotions/blind.py): set while a draft, like the rest.
BLIND_REVIEW = "blind_review"
EDITABLE_FIELDS = ("name", "tracks", *DATE_FIELDS, RELEASE_ON, BLIND_REVIEW)
# Opening a cycle takes this lock, so two cycles opened at once cannot both claim a track.
CYCLE_TRACKS_LOCK = 7_340_211


def ensure_hr(actor) -> None:
    if not roles.is_hr(actor):
        raise ActionNotAllowed("Only HR runs promotion cycles.")


def ensure_valid_plan(*, name: str, tracks: list[str], dates: dict[str, date]) -> None:
    """A name, known tracks, and the four dates in order (equal is fine); a release date, if any,
    between the decisions' due date and the effective date."""
    if not name.strip():
        raise InvalidInput("A cycle needs a name.")
    try:
        refuse_control_characters(name)  # it heads e-mails and pages
    except ValidationError as exc:
        code = exc.error_list[0].code or CoreErrorCode.CONTROL_CHARACTER
        raise InvalidInput(exc.messages[0], code=code) from None
    unknown = [track for track in tracks if track not in Track.values]
    if unknown or len(set(tracks)) != len(tracks):
        raise InvalidInput(f"Tracks are distinct values of: {', '.join(Track.values)}.")
    for field in (*DATE_FIELDS, RELEASE_ON):
        if dates.get(field) is None:
            continue  # only the release date is optional: the serializers require the others
        try:
            FAR_DATES(dates[field])  # a typo (9999) would leave its approvals pending for ever
        except ValidationError as exc:
            raise InvalidInput(
                f"{field}: {exc.messages[0]}", code=CoreErrorCode.DATE_TOO_FAR
            ) from None
    ordered = [dates[name] for name in DATE_FIELDS]
    if ordered != sorted(ordered):
        raise InvalidInput(
            "The dates go in order (equal is fine): nominations open, nominations close, "
            "decisions due, effective.",
            code=ErrorCode.CYCLE_DATES_OUT_OF_ORDER,
        )
    release_on = dates.get(RELEASE_ON)
    if release_on is not None and not (
        dates["decisions_due_on"] <= release_on <= dates["effective_on"]
    ):
        raise InvalidInput(
            "The release date falls between the decisions' due date and the effective date "
            "(equal is fine).",
            code=ErrorCode.CYCLE_DATES_OUT_OF_ORDER,
        )


@transaction.atomic
def cycle_create(
    *, actor, name: str, tracks: list[str], blind_review: bool = False, **dates: date
) -> Cycle:
    ensure_hr(actor)
    ensure_valid_plan(name=name, tracks=tracks, dates=dates)
    cycle = Cycle.objects.create(
        name=name.strip(), tracks=sorted(tracks), blind_review=blind_review, **dates
    )
    config_change_record(
        actor=actor, action="created", target=cycle, changes=diff({}, _plan(cycle))
    )
    return cycle


def _plan(cycle: Cycle) -> dict:
    return snapshot(cycle, EDITABLE_FIELDS)


def _locked(cycle: Cycle) -> Cycle:
    return Cycle.objects.select_for_update().get(pk=cycle.pk)


def ensure_draft(cycle: Cycle) -> None:
    """Only a draft is edited (409): asked before the body is read, in the documented order."""
    if cycle.state != CycleState.DRAFT:
        raise TransitionConflict(
            "Only a draft cycle is edited; this one is " + cycle.state + ".",
            code=ErrorCode.CYCLE_NOT_DRAFT,
        )


@transaction.atomic
def cycle_update(*, actor, cycle: Cycle, changes: dict) -> Cycle:
    """Name, tracks, dates and blind review, while the cycle is a draft."""
    ensure_hr(actor)
    cycle = _locked(cycle)
    ensure_draft(cycle)
    before = _plan(cycle)
    for field in EDITABLE_FIELDS:
        if field in changes:
            setattr(cycle, field, changes[field])
    cycle.name = cycle.name.strip()
    cycle.tracks = sorted(cycle.tracks)
    ensure_valid_plan(
        name=cycle.name,
        tracks=cycle.tracks,
        dates={name: getattr(cycle, name) for name in (*DATE_FIELDS, RELEASE_ON)},
    )
    cycle.save()
    changes = diff(before, _plan(cycle))
    if changes:
        config_change_record(actor=actor, action="changed", target=cycle, changes=changes)
    return cycle


def state_allows(cycle: Cycle, transition: str) -> bool:
    """Whether the cycle's state lets `transition` start, asked of the state machine."""
    return can_proceed(getattr(cycle, transition), check_conditions=False)


def _ensure_state(cycle: Cycle, transition: str) -> None:
    if not state_allows(cycle, transition):
        raise TransitionConflict(f"A cycle that is {cycle.state} cannot {transition}.")


def _moved(*, actor, cycle: Cycle, transition: str) -> None:
    """Run the cycle's transition, save it, and record who moved it."""
    before = cycle.state
    getattr(cycle, transition)()
    cycle.save()
    config_change_record(
        actor=actor,
        action=cycle.state,
        target=cycle,
        changes={"state": {"from": before, "to": cycle.state}},
    )


@transaction.atomic
def cycle_open(*, actor, cycle: Cycle) -> Cycle:
    """Nominations to the cycle's tracks attach to it from now on. No other open or calibrating
    cycle may share a track (400)."""
    ensure_hr(actor)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CYCLE_TRACKS_LOCK])
    cycle = _locked(cycle)
    _ensure_state(cycle, "open")
    for other in Cycle.objects.filter(state__in=ACTIVE_CYCLE_STATES).exclude(pk=cycle.pk):
        shared = sorted(set(other.track_list) & set(cycle.track_list))
        if shared:
            raise InvalidInput(
                f"{other.name} is {other.state} for the {', '.join(shared)} track(s); two "
                "cycles running at once may not share a track.",
                code=ErrorCode.CYCLE_TRACKS_OVERLAP,
            )
    _moved(actor=actor, cycle=cycle, transition="open")
    webhook_events.emit_cycle(cycle=cycle, transition="open")
    return cycle


@transaction.atomic
def cycle_calibrate(*, actor, cycle: Cycle) -> Cycle:
    """Nominations close; the committee may now decide the cycle's promotions, and hears how many
    await a decision."""
    if actor is not None:  # None: the scheduler, the day after nominations close
        ensure_hr(actor)
    cycle = _locked(cycle)
    _ensure_state(cycle, "calibrate")
    _moved(actor=actor, cycle=cycle, transition="calibrate")
    awaiting = cycle.promotions.filter(state__in=OPEN_STATES).count()
    notify.notify_cycle_calibrating(cycle=cycle, awaiting=awaiting)
    webhook_events.emit_cycle(cycle=cycle, transition="calibrate")
    return cycle


@transaction.atomic
def cycle_close(*, actor, cycle: Cycle) -> Cycle:
    """Only once every promotion of the cycle is decided or withdrawn (409 otherwise)."""
    ensure_hr(actor)
    cycle = _locked(cycle)
    _ensure_state(cycle, "close")
    still_open = cycle.promotions.filter(state__in=OPEN_STATES).count()
    if still_open:
        raise TransitionConflict(
            f"{still_open} promotion(s) of this cycle are still open: decide or withdraw them "
            "first.",
            code=ErrorCode.CYCLE_HAS_OPEN_PROMOTIONS,
        )
    _moved(actor=actor, cycle=cycle, transition="close")
    webhook_events.emit_cycle(cycle=cycle, transition="close")
    return cycle


def cycles_calibrate_due(*, today: date | None = None) -> int:
    """The beat task's work: every open cycle whose nominations closed before today moves to
    calibration. Idempotent: a cycle already moved (by HR, or another worker) is skipped."""
    today = today or timezone.localdate()
    moved = 0
    due = Cycle.objects.filter(state=CycleState.OPEN, nominations_close_on__lt=today)
    for cycle_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            cycle = Cycle.objects.select_for_update(skip_locked=True).filter(pk=cycle_id).first()
            if cycle is None or cycle.state != CycleState.OPEN:
                continue
            cycle_calibrate(actor=None, cycle=cycle)
            moved += 1
    return moved
