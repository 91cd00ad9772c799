from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ladder.serializers import LevelCodeField, StrictSerializer
from promotions.models import TEXT_LIMIT, Decision, Promotion, PromotionEvent, Review
from promotions.permissions import TRANSITIONS


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    name = serializers.CharField()


class PromotionSerializer(serializers.ModelSerializer):
    candidate = CandidateSerializer(read_only=True)
    from_level = serializers.CharField(source="from_level.code", read_only=True)
    to_level = serializers.CharField(source="to_level.code", read_only=True)
    nominated_by = serializers.CharField(source="nominated_by.username", read_only=True)
    available_transitions = serializers.SerializerMethodField()

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
            "created_at",
            "updated_at",
            "decided_at",
            "available_transitions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TRANSITIONS)))
    def get_available_transitions(self, promotion) -> list[str]:
        """The actions of the URLs the viewer may call now (selectors.available_transitions)."""
        return self.context["available_transitions"][promotion.pk]


class NominationSerializer(StrictSerializer):
    candidate = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    to_level = LevelCodeField()
    justification = serializers.CharField(max_length=TEXT_LIMIT)


class TransitionNoteSerializer(StrictSerializer):
    note = serializers.CharField(
        max_length=TEXT_LIMIT, required=False, allow_blank=True, default=""
    )


class ReviewInputSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(
        max_length=TEXT_LIMIT, required=False, allow_blank=True, default=""
    )


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "reviewer", "decision", "comment", "created_at", "updated_at"]
        read_only_fields = fields


class RecordedVoteSerializer(serializers.Serializer):
    reviewer = serializers.CharField()
    decision = serializers.ChoiceField(choices=Decision.choices)
    counted = serializers.BooleanField()
    why_not = serializers.CharField(allow_null=True)


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

    def get_actor(self, event) -> str | None:
        if not self.context.get("committee_view") or event.actor is None:
            return None
        return event.actor.get_username()

    def get_note(self, event) -> str | None:
        return event.note if self.context.get("committee_view") else None

    @extend_schema_field(RecordedVoteSerializer(many=True, allow_null=True))
    def get_votes(self, event):
        return event.votes if self.context.get("committee_view") else None
