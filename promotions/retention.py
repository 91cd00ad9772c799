"""Retention of promotions' free text, and HR's legal hold (docs/data-rights.md).

A promotion closed (approved and effective, rejected, upheld or withdrawn) more than
`RETENTION_YEARS` ago loses its free text: what people wrote about the candidate. What it
decided stays: states, dates, levels, votes' decisions and ratings, the career history, every
event's row. A promotion on legal hold (HR, with a reason) keeps its text until the hold is
cleared. Every promotion cleaned is audited (a configuration change, action
`retention_text_removed`); the append-only rows rewritten (packet versions, events) are recorded
as erased in the audit chain, whose content hashes keep it verifying. A packet version keeps its
`sha256`: the proof of what was submitted, though no longer the text it was computed from."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit.models import ConfigChange
from audit.services import config_change_record
from core import roles
from core.errors import Conflict, InvalidInput, NotAllowed
from ladder.erasure import rewrite_audited
from notifications.services import notifications_text_replace
from promotions.appeals.models import Appeal
from promotions.errors import ErrorCode
from promotions.models import (
    TEXT_LIMIT,
    UNSETTLED,
    NominationKey,
    Promotion,
    PromotionEvent,
    Review,
)
from promotions.requests.models import NominationRequest
from promotions.requests.notify import ANSWERED, REMINDER, REQUESTED

# What the text reads in its place, wherever it is shown (the API, the member site, the desk).
REMOVED = "Removed under the retention policy."
BATCH = 100
# The messages of a nomination request (they quote its justification and decline reason).
REQUEST_KINDS = (REQUESTED, ANSWERED, REMINDER)
# The configuration trail's actions of a legal hold, whose `changes` hold its reason.
LEGAL_HOLD_ACTIONS = ("legal_hold_set", "legal_hold_cleared")


def due_for_retention(*, now=None):
    """Closed promotions (settled: not UNSETTLED) whose last event is older than RETENTION_YEARS,
    not on legal hold and not cleaned yet."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=round(365.25 * settings.RETENTION_YEARS))
    recent = PromotionEvent.objects.filter(promotion=OuterRef("pk"), at__gte=cutoff)
    return Promotion.objects.filter(
        ~UNSETTLED, ~Exists(recent), legal_hold=False, text_removed_at__isnull=True
    )


def legal_hold_reason_replaced(changes: dict, text: str) -> dict:
    """A legal hold's audit row (set or cleared) with its reason, on either side where it has
    one, reading `text`; every other value as it was."""
    reason = changes.get("reason")
    if not isinstance(reason, dict):
        return changes
    return {**changes, "reason": {side: text if v else v for side, v in reason.items()}}


def _evidence_removed(evidence: list) -> list:
    return [{**item, "text": REMOVED, "links": []} for item in evidence]


def _remove_text(promotion: Promotion, *, now) -> None:
    for version in promotion.packet_versions.order_by("number"):
        rewrite_audited(
            version,
            trigger="packet_version_append_only",
            justification=REMOVED,
            evidence=_evidence_removed(version.evidence),
        )
    for event in promotion.events.exclude(note="").order_by("id"):
        rewrite_audited(event, trigger="promotion_event_append_only", note=REMOVED)
    # The messages about it quote its text (a justification, a note, a request's reason): each
    # reads the notice, the subject too (kind, time, recipient and link stay).
    requests = NominationRequest.objects.filter(promotion=promotion)
    quoted = [
        text
        for request in requests
        for text in (request.justification, request.reason)
        if text and text != REMOVED
    ]
    messages = notifications_text_replace(
        promotion_id=promotion.pk, notice=REMOVED, quoting=quoted, kinds=REQUEST_KINDS
    )
    # A legal hold's reason, in the trail of its setting and clearing (a cleaned case is on hold
    # no more), is text about the case too; the `Idempotency-Key` of its nomination keeps the
    # response sent, with the case's text: deleted.
    holds = ConfigChange.objects.filter(
        target_type=Promotion._meta.label_lower,
        target_id=str(promotion.pk),
        action__in=LEGAL_HOLD_ACTIONS,
    ).order_by("id")
    for row in holds:
        changes = legal_hold_reason_replaced(row.changes, REMOVED)
        if changes != row.changes:
            rewrite_audited(row, trigger="config_change_append_only", changes=changes)
    NominationKey.objects.filter(promotion=promotion).delete()
    Review.objects.filter(promotion=promotion).exclude(comment="").update(comment=REMOVED)
    Appeal.objects.filter(promotion=promotion).update(statement=REMOVED)
    NominationRequest.objects.filter(promotion=promotion).update(justification=REMOVED, evidence=[])
    NominationRequest.objects.filter(promotion=promotion).exclude(reason="").update(reason=REMOVED)
    texts = ("changes_requested_note", "eligibility_override_reason", "off_cycle_reason")
    promotion.justification = REMOVED
    for field in texts:
        if getattr(promotion, field):
            setattr(promotion, field, REMOVED)
    promotion.text_removed_at = now
    promotion.save(update_fields=["justification", *texts, "text_removed_at", "updated_at"])
    config_change_record(
        actor=None,
        action="retention_text_removed",
        target=promotion,
        changes={
            "text_removed_at": {"from": None, "to": now.isoformat()},
            "notifications_text_removed": {"from": None, "to": messages},
        },
    )


def promotions_retention_run(*, now=None, batch: int = BATCH) -> int:
    """Remove the free text of the promotions due (see due_for_retention), a batch at a time,
    each batch one transaction over rows locked with SKIP LOCKED (a second worker takes others).
    Idempotent: a cleaned promotion is never due again. Returns how many were cleaned."""
    now = now or timezone.now()
    cleaned = 0
    while True:
        with transaction.atomic():
            promotions = list(
                due_for_retention(now=now)
                .select_for_update(of=("self",), skip_locked=True)
                .order_by("id")[:batch]
            )
            for promotion in promotions:
                _remove_text(promotion, now=now)
        cleaned += len(promotions)
        if len(promotions) < batch:
            return cleaned


def _ensure_hr(actor) -> None:
    if not roles.is_hr(actor):
        raise NotAllowed("Only HR may set or clear a legal hold.")


def _locked(promotion: Promotion) -> Promotion:
    return Promotion.objects.select_for_update(of=("self",)).get(pk=promotion.pk)


@transaction.atomic
def promotion_legal_hold_set(*, actor, promotion: Promotion, reason: str) -> Promotion:
    """Put a promotion on legal hold (HR): retention keeps its text until the hold is cleared.
    400 `reason_required`; 409 `legal_hold_set` when it is on hold already."""
    _ensure_hr(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give the reason for the legal hold.", code=ErrorCode.REASON_REQUIRED)
    if len(reason) > TEXT_LIMIT:
        raise InvalidInput(f"At most {TEXT_LIMIT} characters.")
    promotion = _locked(promotion)
    if promotion.legal_hold:
        raise Conflict("This promotion is on legal hold already.", code=ErrorCode.LEGAL_HOLD_SET)
    promotion.legal_hold, promotion.legal_hold_reason = True, reason
    promotion.save(update_fields=["legal_hold", "legal_hold_reason", "updated_at"])
    config_change_record(
        actor=actor,
        action="legal_hold_set",
        target=promotion,
        changes={"legal_hold": {"from": False, "to": True}, "reason": {"from": "", "to": reason}},
    )
    return promotion


@transaction.atomic
def promotion_legal_hold_clear(*, actor, promotion: Promotion) -> Promotion:
    """Clear a promotion's legal hold (HR); the audit row keeps the reason it was held for.
    409 `no_legal_hold` when it has none."""
    _ensure_hr(actor)
    promotion = _locked(promotion)
    if not promotion.legal_hold:
        raise Conflict("This promotion is not on legal hold.", code=ErrorCode.NO_LEGAL_HOLD)
    previous = promotion.legal_hold_reason
    promotion.legal_hold, promotion.legal_hold_reason = False, ""
    promotion.save(update_fields=["legal_hold", "legal_hold_reason", "updated_at"])
    config_change_record(
        actor=actor,
        action="legal_hold_cleared",
        target=promotion,
        changes={
            "legal_hold": {"from": True, "to": False},
            "reason": {"from": previous, "to": ""},
        },
    )
    return promotion
