"""The promotions app's part of a member's data rights (core.personal_data; docs/data-rights.md).

Export: the member's own promotions as their candidate reads them, the nominations they made as
their nominator reads them, their nomination requests, their appeals and their delegations, each
read through the selectors and serializers of the API (the release date's hold and the rule that
the people involved see no committee work hold here as there). Erasure: decisions stay (the
case, its votes and its events are the organisation's record of them), and an open promotion of
the member's own blocks it (`open_promotion`)."""

import json

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from audit.models import ConfigChange
from core import personal_data
from ladder.erasure import ERASED, pseudonym_of, register_erasure_blocker, rewrite_audited
from ladder.models import Member
from promotions import permissions, release, selectors
from promotions.appeals.models import Appeal
from promotions.delegations.selectors import delegations_visible_to
from promotions.delegations.serializers import DelegationSerializer
from promotions.errors import ErrorCode
from promotions.models import (
    UNSETTLED,
    NominationKey,
    Promotion,
    PromotionEvent,
)
from promotions.packets import services as packets
from promotions.requests.selectors import request_list_visible_to
from promotions.requests.serializers import NominationRequestSerializer
from promotions.retention import LEGAL_HOLD_ACTIONS, legal_hold_reason_replaced
from promotions.serializers import EventSerializer, PacketVersionSerializer, PromotionSerializer


def promotion_as_seen_by(user, promotion_id: int) -> dict:
    """One promotion as `user` reads it over the API: its detail, timeline and packet versions."""
    row = selectors.promotion_row_visible_to(user=user, promotion_id=promotion_id)
    allowed = selectors.available_transitions(user=user, promotions=[row])
    detail = PromotionSerializer(
        row, context={"available_transitions": allowed, "viewer": user}
    ).data
    promotion, events = selectors.promotion_timeline_visible_to(
        user=user, promotion_id=promotion_id
    )
    committee_view = permissions.sees_committee_work(user, promotion)
    events = release.timeline_as_seen_by(user, promotion, events)
    access = selectors.promotion_for_access_check(user=user, promotion_id=promotion_id)
    return {
        **detail,
        "timeline": EventSerializer(
            events, many=True, context={"committee_view": committee_view}
        ).data,
        "packet_versions": PacketVersionSerializer(
            packets.packet_versions(promotion=access), many=True
        ).data,
    }


def _ids(promotions) -> list[int]:
    return list(promotions.order_by("created_at", "id").values_list("pk", flat=True))


def export_promotions(member: Member) -> list[dict]:
    user = member.user
    return [
        promotion_as_seen_by(user, pk) for pk in _ids(Promotion.objects.filter(candidate=member))
    ]


def export_nominations(member: Member) -> list[dict]:
    user = member.user
    nominated = Promotion.objects.filter(nominated_by=user).exclude(candidate=member)
    return [promotion_as_seen_by(user, pk) for pk in _ids(nominated)]


def export_nomination_requests(member: Member) -> list[dict]:
    """The member's own requests, with the packet they wrote."""
    requests = request_list_visible_to(user=member.user).filter(member=member).order_by("id")
    return [
        {
            **NominationRequestSerializer(request).data,
            "justification": request.justification,
            "evidence": request.evidence,
        }
        for request in requests
    ]


def export_appeals(member: Member) -> list[dict]:
    """The appeals the member filed: the statement is theirs."""
    appeals = Appeal.objects.filter(appellant=member.user).order_by("id")
    return [
        {
            "promotion": appeal.promotion_id,
            "statement": appeal.statement,
            "created_at": appeal.created_at.isoformat(),
        }
        for appeal in appeals
    ]


def export_delegations(member: Member) -> list[dict]:
    user = member.user
    rows = delegations_visible_to(user=user).filter(Q(delegator=user) | Q(delegate=user))
    return list(DelegationSerializer(rows, many=True).data)


def erase_names_in_votes(member: Member) -> None:
    """A decision's event records the votes then on record with their reviewers' usernames: the
    person's becomes their pseudonym (the votes and their decisions stay)."""
    old, pseudonym = member.user.get_username(), pseudonym_of(member)
    # A text search first (JSON containment is PostgreSQL's only; SQLite keeps non-ASCII
    # escaped), then each vote compared.
    events = (
        PromotionEvent.objects.annotate(text=Cast("votes", TextField()))
        .filter(Q(text__contains=old) | Q(text__contains=json.dumps(old)[1:-1]))
        .order_by("id")
    )
    for event in events:
        votes = [
            {
                **vote,
                "reviewer": pseudonym if vote.get("reviewer") == old else vote.get("reviewer"),
                "cast_by": pseudonym if vote.get("cast_by") == old else vote.get("cast_by"),
            }
            for vote in event.votes or []
        ]
        if votes != event.votes:
            rewrite_audited(event, trigger="promotion_event_append_only", votes=votes)


def erase_names_in_targets(member: Member) -> None:
    """The configuration's trail names a promotion by its __str__, "<candidate's name>: <from> →
    <to> (<state>)" (a legal hold set or cleared, retention): in the rows about the person's own
    promotions the name becomes their pseudonym (the rest stays). A legal hold's reason there is
    free text HR wrote about the case (it may name the person): it reads ERASED, in the rows and
    on a hold still in force (the hold itself stays)."""
    name, pseudonym = f"{member.name}: ", f"{pseudonym_of(member)}: "
    own = Promotion.objects.filter(candidate=member)
    ids = [str(pk) for pk in own.values_list("pk", flat=True)]
    rows = ConfigChange.objects.filter(
        target_type=Promotion._meta.label_lower, target_id__in=ids
    ).order_by("id")
    for row in rows:
        values: dict[str, object] = {}
        if row.target.startswith(name):
            values["target"] = (pseudonym + row.target[len(name) :])[:200]
        if row.action in LEGAL_HOLD_ACTIONS:
            changes = legal_hold_reason_replaced(row.changes, ERASED)
            if changes != row.changes:
                values["changes"] = changes
        if values:
            rewrite_audited(row, trigger="config_change_append_only", **values)
    own.exclude(legal_hold_reason="").update(legal_hold_reason=ERASED)


def erase_nomination_keys(member: Member) -> None:
    """The `Idempotency-Key`s of nominations of the person (as candidate) or by them (as
    nominator) keep the response sent, which names the candidate and quotes the case's text:
    they are deleted (a key sent again is a new request)."""
    NominationKey.objects.filter(Q(promotion__candidate=member) | Q(user=member.user)).delete()


def erase_names(member: Member) -> None:
    erase_names_in_votes(member)
    erase_names_in_targets(member)
    erase_nomination_keys(member)


def _keeps(member: Member) -> None:
    """Nothing to erase: these rows name the person by their user account, which the erasure
    pseudonymises; their texts go by retention (promotions/retention.py)."""


def open_promotion_blocks_erasure(member: Member) -> tuple[str, str] | None:
    if Promotion.objects.filter(UNSETTLED, candidate=member).exists():
        return (
            ErrorCode.OPEN_PROMOTION,
            "The member has an open promotion (or one not yet effective): close it first.",
        )
    return None


def register() -> None:
    personal_data.register("promotions", export=export_promotions, erase=erase_names)
    personal_data.register("nominations", export=export_nominations, erase=_keeps)
    personal_data.register("nomination_requests", export=export_nomination_requests, erase=_keeps)
    personal_data.register("appeals", export=export_appeals, erase=_keeps)
    personal_data.register("delegations", export=export_delegations, erase=_keeps)
    register_erasure_blocker(open_promotion_blocks_erasure)
