from django.utils import timezone
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from core.serializers import ProseField, StrictSerializer
from core.validators import DATE_HORIZON, DateBound
from ladder.serializers import LevelCodeField
from promotions import blind, release
from promotions.errors import ErrorCode
from promotions.models import (
    TEXT_LIMIT,
    Decision,
    PacketVersion,
    Promotion,
    PromotionEvent,
    Rating,
    Review,
)
from promotions.packets.services import EVIDENCE_LINKS_LIMIT, EVIDENCE_TEXT_LIMIT
from promotions.permissions import (
    TRANSITIONS,
    is_nominator,
    reads_changes_requested_note,
    sees_committee_work,
)

_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()


def _datetime(value, zone) -> str | None:
    """What DateTimeField answers (ISO 8601 in the current time zone, UTC as Z), without its
    lookups of settings and the zone for every value: a page of the list has 150 of them."""
    if value is None or value.tzinfo is None:
        return _DATETIME.to_representation(value)
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null while you read it blind.")
    username = serializers.CharField(
        source="user.username", allow_null=True, help_text="Null while you read it blind."
    )
    name = serializers.CharField(
        help_text="The candidate's name, or `Candidate <pseudonym>` while you read it blind "
        "(stable per promotion)."
    )


class PromotionSerializer(serializers.ModelSerializer):
    candidate = CandidateSerializer(read_only=True)
    from_level = serializers.CharField(source="from_level.code", read_only=True)
    to_level = serializers.CharField(source="to_level.code", read_only=True)
    nominated_by = serializers.CharField(
        source="nominated_by.username",
        read_only=True,
        allow_null=True,
        help_text="The nominator's username; null while you read it blind.",
    )
    blind = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()
    changes_requested_note = serializers.SerializerMethodField()
    eligibility_override_reason = serializers.SerializerMethodField()
    off_cycle_reason = serializers.SerializerMethodField()
    released = serializers.SerializerMethodField()

    class Meta:
        model = Promotion
        fields = [
            "id",
            "candidate",
            "from_level",
            "to_level",
            "state",
            "nominated_by",
            "justification",
            "packet_version",
            "created_at",
            "updated_at",
            "decided_at",
            "cycle",
            "effective_on",
            "level_applied",
            "changes_requested_note",
            "eligibility_override_reason",
            "off_cycle_reason",
            "released",
            "blind",
            "available_transitions",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "cycle": {"help_text": "The cycle it was nominated in (null: none)."},
            "effective_on": {
                "help_text": "Set on approval: the day the level changes (null before)."
            },
            "level_applied": {
                "help_text": "Whether the level has changed (false while approved for a later "
                "date)."
            },
        }

    def to_representation(self, promotion) -> dict:
        """The declared fields, built by hand: DRF's generic path (a field object per value)
        was a fifth of the committee's list. The declarations stay the schema;
        tests/promotions/test_serializer_fast_path.py holds the two to one answer."""
        # The candidate of a decision held for the cycle's release date reads it as before it.
        promotion = release.as_seen_by(self.context.get("viewer"), promotion)
        candidate = promotion.candidate
        user = candidate.user
        reads_reasons = self._reads_hr_reasons(promotion)
        is_blind = self.get_blind(promotion)
        return {
            "id": promotion.pk,
            "candidate": {"id": None, "username": None, "name": blind.pseudonym(promotion.pk)}
            if is_blind
            else {"id": candidate.pk, "username": user.username, "name": candidate.name},
            "from_level": promotion.from_level.code,
            "to_level": promotion.to_level.code,
            "state": promotion.state,
            "nominated_by": None if is_blind else promotion.nominated_by.username,
            "justification": promotion.justification,
            "packet_version": promotion.packet_version,
            "created_at": _datetime(promotion.created_at, self._zone),
            "updated_at": _datetime(promotion.updated_at, self._zone),
            "decided_at": _datetime(promotion.decided_at, self._zone),
            "cycle": promotion.cycle_id,
            "effective_on": _DATE.to_representation(promotion.effective_on)
            if promotion.effective_on
            else None,
            "level_applied": promotion.level_applied,
            "changes_requested_note": self.get_changes_requested_note(promotion),
            "eligibility_override_reason": (promotion.eligibility_override_reason or None)
            if reads_reasons
            else None,
            "off_cycle_reason": (promotion.off_cycle_reason or None) if reads_reasons else None,
            "released": self.get_released(promotion),
            "blind": is_blind,
            "available_transitions": self.get_available_transitions(promotion),
        }

    @cached_property
    def _zone(self):
        return timezone.get_current_timezone()

    def _reads_hr_reasons(self, promotion) -> bool:
        """HR's reasons: for the committee and HR at work on it, and for HR who gave them."""
        viewer = self.context.get("viewer")
        return viewer is not None and (
            sees_committee_work(viewer, promotion) or is_nominator(viewer, promotion)
        )

    def get_eligibility_override_reason(self, promotion) -> str | None:
        """Why HR waived time in level: for the committee and HR (null for others, or none)."""
        if not self._reads_hr_reasons(promotion):
            return None
        return promotion.eligibility_override_reason or None

    def get_off_cycle_reason(self, promotion) -> str | None:
        """Why HR nominated outside a cycle: for the committee and HR (null for others, or none)."""
        if not self._reads_hr_reasons(promotion):
            return None
        return promotion.off_cycle_reason or None

    def get_changes_requested_note(self, promotion) -> str | None:
        """What the committee asked to change: for the nominator only (the committee reads it
        in the timeline; the candidate and their manager see the state, not the note)."""
        viewer = self.context.get("viewer")
        if viewer is None or not reads_changes_requested_note(viewer, promotion):
            return None
        return promotion.changes_requested_note or None

    def get_blind(self, promotion) -> bool:
        """You read this case blind: a blind cycle's first pass, before your vote on its current
        packet version (the candidate as `Candidate <pseudonym>`, no id, username or nominator)."""
        blind_ids = self.context.get("blind_ids")
        if blind_ids is not None:  # the page's, worked out at once (blind.blind_ids_for)
            return promotion.pk in blind_ids
        viewer = self.context.get("viewer")
        return viewer is not None and blind.is_blind_for(viewer, promotion)

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_released(self, promotion) -> bool | None:
        """Whether the candidate may read the decision: false while it is held for the cycle's
        release date (the nominator or the manager releases it), null while nothing is decided
        (so, for the candidate, until it is released)."""
        return release.released(promotion)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TRANSITIONS)))
    def get_available_transitions(self, promotion) -> list[str]:
        """The actions of the URLs the viewer may call now (selectors.available_transitions)."""
        return self.context["available_transitions"][promotion.pk]


class EvidenceInputSerializer(StrictSerializer):
    criterion = serializers.CharField(max_length=60, help_text="A criterion code of the level.")
    text = ProseField(max_length=EVIDENCE_TEXT_LIMIT)
    links = serializers.ListField(
        # What a link may be (http(s), no user info, a real port) is the packet service's
        # (400 `evidence_invalid`), the one home of that rule (validators.refuse_unsafe_links).
        child=serializers.URLField(max_length=2000),
        max_length=EVIDENCE_LINKS_LIMIT,
        required=False,
        default=list,
        help_text="Absolute http(s) URLs, at most five, without a user name or password.",
    )


class PerCriterionList(serializers.ListSerializer):
    """A list with an entry per criterion (a packet's evidence, a review's ratings). Required, as
    the schema says, but an absent one is read as empty: the rule that needs the entries
    (packets.packet_evidence, packets.packet_ratings) then answers, naming every criterion it
    needs (`evidence_missing`, `ratings_missing`), where DRF would say "This field is
    required."."""

    def validate_empty_values(self, data):
        if data is empty and not getattr(self.root, "partial", False):
            return (True, [])
        return super().validate_empty_values(data)


class PacketInputSerializer(StrictSerializer):
    justification = ProseField(max_length=TEXT_LIMIT)
    evidence = PerCriterionList(
        child=EvidenceInputSerializer(),
        help_text="One entry for every active criterion of the target level "
        "(GET ladder/levels/{code}/ lists them); 400 `evidence_missing` names those without one.",
    )


class NominationSerializer(PacketInputSerializer):
    candidate = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    to_level = LevelCodeField()
    off_cycle_reason = ProseField(
        max_length=TEXT_LIMIT,
        required=False,
        default="",
        allow_blank=True,
        help_text="HR only: nominate outside any cycle, saying why (the committee reads it).",
    )
    eligibility_override_reason = ProseField(
        max_length=TEXT_LIMIT,
        required=False,
        default="",
        allow_blank=True,
        help_text="HR only: waive the time-in-level rule, saying why (the committee reads it).",
    )


class EvidenceSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    title = serializers.CharField(help_text="The criterion's title when this version was written.")
    expectation = serializers.CharField(help_text="What the ladder definition asks for.")
    text = serializers.CharField()
    links = serializers.ListField(child=serializers.URLField())


class PacketVersionSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="number", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    submitted_by = serializers.CharField(
        source="submitted_by.username",
        read_only=True,
        allow_null=True,
        help_text="Who submitted it (the nominator, or HR); null while you read the case blind.",
    )

    class Meta:
        model = PacketVersion
        fields = ["version", "justification", "evidence", "submitted_by", "submitted_at", "sha256"]
        read_only_fields = fields

    def to_representation(self, version) -> dict:
        """Built by hand, as PromotionSerializer's (a field object per evidence value was a
        fifth of the packet's read); tests/promotions/test_serializer_fast_path.py holds it to
        DRF's generic answer."""
        return {
            "version": version.number,
            "justification": version.justification,
            "evidence": [
                {
                    "criterion": item["criterion"],
                    "title": item["title"],
                    "expectation": item["expectation"],
                    "text": item["text"],
                    "links": list(item["links"]),
                }
                for item in version.evidence
            ],
            "submitted_by": None if self.context.get("blind") else version.submitted_by.username,
            "submitted_at": _DATETIME.to_representation(version.submitted_at),
            "sha256": version.sha256,
        }


class TransitionNoteSerializer(StrictSerializer):
    note = ProseField(max_length=TEXT_LIMIT, required=False, allow_blank=True, default="")


class ApprovalSerializer(TransitionNoteSerializer):
    effective_on = serializers.DateField(
        required=False,
        default=None,
        allow_null=True,
        validators=[
            DateBound(
                DATE_HORIZON,
                code=ErrorCode.EFFECTIVE_ON_TOO_FAR,
                message=f"The effective date is at most {DATE_HORIZON.days} days ahead.",
            )
        ],
        help_text="Only for a promotion in no cycle (a cycle's promotions take its date): the "
        "day the level changes; default today, never in the past, at most "
        f"{DATE_HORIZON.days} days ahead.",
    )


class AppealSerializer(StrictSerializer):
    statement = ProseField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the decision should change: required, at most 4,000 characters (400 "
        "`statement_required`, `statement_too_long`).",
    )


class RatingSerializer(StrictSerializer):
    criterion = serializers.CharField(max_length=60)
    rating = serializers.ChoiceField(choices=Rating.choices)


class ReviewInputSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = ProseField(max_length=TEXT_LIMIT, required=False, allow_blank=True, default="")
    ratings = PerCriterionList(
        child=RatingSerializer(),
        help_text="A rating for every criterion of the current packet version (GET "
        "promotions/{id}/packet/ lists them); 400 `ratings_missing` names those without one.",
    )
    on_behalf_of = serializers.CharField(
        max_length=150,
        required=False,
        default=None,
        allow_null=True,
        help_text="The username of a committee member whose seat you hold today by a delegation "
        "(GET delegations/): the vote is their seat's, cast by you (403 `no_delegation` without "
        "one in force, 403 `seat_recused` where they may not review this promotion).",
    )

    def validate_ratings(self, value) -> dict[str, str]:
        codes = [item["criterion"] for item in value]
        if len(codes) != len(set(codes)):
            raise serializers.ValidationError("One rating per criterion.", code="duplicate")
        return {item["criterion"]: item["rating"] for item in value}


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    cast_by = serializers.CharField(
        source="cast_by_username",
        read_only=True,
        help_text="Who cast the vote: the reviewer, or a delegate holding the reviewer's seat.",
    )
    stale = serializers.SerializerMethodField()
    ratings = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "reviewer",
            "cast_by",
            "decision",
            "comment",
            "packet_version",
            "stale",
            "ratings",
            "blind",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "blind": {
                "help_text": "Whoever cast it read the case blind then (a blind cycle's first "
                "pass)."
            }
        }

    def get_stale(self, review) -> bool:
        """Cast on an older packet version: kept, not counted."""
        return review.packet_version != review.promotion.packet_version

    @extend_schema_field(RatingSerializer(many=True))
    def get_ratings(self, review):
        return [{"criterion": code, "rating": rating} for code, rating in review.ratings.items()]


class RecordedVoteSerializer(serializers.Serializer):
    reviewer = serializers.CharField()
    cast_by = serializers.CharField(
        required=False, help_text="Who cast it: the reviewer, or a delegate for their seat."
    )
    decision = serializers.ChoiceField(choices=Decision.choices)
    counted = serializers.BooleanField()
    why_not = serializers.CharField(allow_null=True)
    blind = serializers.BooleanField(
        required=False,
        help_text="true: cast reading the case blind (a blind cycle's first pass); absent "
        "otherwise.",
    )


class EventSerializer(serializers.ModelSerializer):
    """`actor`, `note` and `votes` are the committee's: null for the candidate and the manager
    (context `committee_view`). `votes`, on a decision: the votes on record then, counted or not."""

    actor = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()
    votes = serializers.SerializerMethodField()

    class Meta:
        model = PromotionEvent
        fields = ["from_state", "to_state", "at", "actor", "note", "votes"]
        read_only_fields = fields

    def to_representation(self, event) -> dict:
        """Built by hand, as PromotionSerializer's; held to DRF's generic answer by
        tests/promotions/test_serializer_fast_path.py."""
        return {
            "from_state": event.from_state,
            "to_state": event.to_state,
            "at": _DATETIME.to_representation(event.at),
            "actor": self.get_actor(event),
            "note": self.get_note(event),
            "votes": self.get_votes(event),
        }

    def get_actor(self, event) -> str | None:
        """Who made the change; null for the candidate, the nominator and the manager, and, while
        you read the case blind, where it was one of the people involved."""
        if not self.context.get("committee_view") or event.actor is None:
            return None
        if event.actor.pk in self.context.get("hidden_actor_ids", ()):
            return None
        return event.actor.get_username()

    def get_note(self, event) -> str | None:
        return event.note if self.context.get("committee_view") else None

    @extend_schema_field(RecordedVoteSerializer(many=True, allow_null=True))
    def get_votes(self, event):
        return event.votes if self.context.get("committee_view") else None


# HR's legal hold (promotions/retention_views.py).
class LegalHoldInputSerializer(StrictSerializer):
    reason = ProseField(max_length=TEXT_LIMIT, required=False, allow_blank=True, default="")


class LegalHoldSerializer(serializers.Serializer):
    promotion = serializers.IntegerField(source="pk")
    legal_hold = serializers.BooleanField()
    reason = serializers.CharField(source="legal_hold_reason")
    text_removed_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the retention policy removed the promotion's free text (null: kept).",
    )
