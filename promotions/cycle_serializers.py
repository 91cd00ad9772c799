"""Cycles, calibration, statistics and eligibility, as the API shows them. The calibration and
statistics bodies are built by promotions.calibration; these describe them for the schema."""

from rest_framework import serializers

from ladder.models import Track
from ladder.serializers import StrictSerializer
from promotions.eligibility import REASON_CHOICES
from promotions.models import Cycle, PromotionState


class CycleSerializer(serializers.ModelSerializer):
    tracks = serializers.ListField(
        child=serializers.ChoiceField(choices=Track.choices),
        read_only=True,
        help_text="The tracks of the target levels it takes; empty: both.",
    )

    class Meta:
        model = Cycle
        fields = [
            "id",
            "name",
            "tracks",
            "nominations_open_on",
            "nominations_close_on",
            "decisions_due_on",
            "effective_on",
            "state",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CycleInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120)
    tracks = serializers.ListField(
        child=serializers.ChoiceField(choices=Track.choices),
        max_length=len(Track.values),
        required=False,
        default=list,
        help_text="The tracks of the target levels it takes; empty or absent: both.",
    )
    nominations_open_on = serializers.DateField()
    nominations_close_on = serializers.DateField()
    decisions_due_on = serializers.DateField()
    effective_on = serializers.DateField()


class CandidateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()


class VoteCountsSerializer(serializers.Serializer):
    approve = serializers.IntegerField(help_text="Votes to approve on the current version.")
    reject = serializers.IntegerField(help_text="Votes to reject on the current version.")
    stale = serializers.IntegerField(help_text="Votes on older versions: shown, not counted.")


class RatingCountsSerializer(serializers.Serializer):
    not_yet = serializers.IntegerField()
    meets = serializers.IntegerField()
    exceeds = serializers.IntegerField()


class CalibrationRowSerializer(serializers.Serializer):
    promotion = serializers.IntegerField()
    candidate = CandidateRefSerializer()
    from_level = serializers.CharField()
    months_in_level = serializers.IntegerField()
    nominated_by = serializers.CharField()
    state = serializers.ChoiceField(choices=PromotionState.choices)
    packet_version = serializers.IntegerField()
    votes = VoteCountsSerializer(allow_null=True, help_text="Null where you are recused.")
    ratings = serializers.DictField(
        child=RatingCountsSerializer(),
        allow_null=True,
        help_text="Per criterion code of the current version; null where you are recused.",
    )


class CalibrationGroupSerializer(serializers.Serializer):
    to_level = serializers.CharField()
    track = serializers.ChoiceField(choices=Track.choices)
    candidates = CalibrationRowSerializer(many=True)


class CalibrationSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    groups = CalibrationGroupSerializer(many=True)


class StatsCellsSerializer(serializers.Serializer):
    """Null, every one, in a suppressed group."""

    candidates = serializers.IntegerField(allow_null=True)
    nominated = serializers.IntegerField(allow_null=True)
    approved = serializers.IntegerField(allow_null=True)
    rejected = serializers.IntegerField(allow_null=True)
    withdrawn = serializers.IntegerField(allow_null=True)
    open = serializers.IntegerField(allow_null=True)
    approval_rate = serializers.FloatField(
        allow_null=True, help_text="approved / (approved + rejected); null with no decision."
    )
    median_days_to_decision = serializers.FloatField(allow_null=True)
    suppressed = serializers.BooleanField()


class LevelStatsSerializer(StatsCellsSerializer):
    level = serializers.CharField()


class TrackStatsSerializer(StatsCellsSerializer):
    track = serializers.ChoiceField(choices=Track.choices)


class OrganisationStatsSerializer(StatsCellsSerializer):
    organisation = serializers.CharField(
        help_text="The name of the highest manager below the top of the reporting tree."
    )


class StatsSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    min_group = serializers.IntegerField()
    totals = StatsCellsSerializer()
    by_level = LevelStatsSerializer(many=True)
    by_track = TrackStatsSerializer(many=True)
    by_organisation = OrganisationStatsSerializer(many=True)


class ReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=REASON_CHOICES)
    detail = serializers.CharField()


class NextLevelEligibilitySerializer(serializers.Serializer):
    code = serializers.CharField()
    eligible = serializers.BooleanField()
    reasons = ReasonSerializer(many=True)


class EligibilitySerializer(serializers.Serializer):
    member = serializers.IntegerField()
    level = serializers.CharField()
    months_in_level = serializers.IntegerField()
    next_levels = NextLevelEligibilitySerializer(many=True)
