"""Cycles, calibration, statistics and eligibility, as the API shows them. The calibration and
statistics bodies are built by promotions.cycles.calibration; these describe them for the schema."""

from rest_framework import serializers

from core.serializers import StrictSerializer
from ladder.models import Track
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
            "release_on",
            "blind_review",
            "state",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "nominations_open_on": {
                "help_text": "When nominations open, as announced (the cycle takes them from the "
                "moment HR opens it)."
            },
            "nominations_close_on": {
                "help_text": "The last day of nominations (included); the next day the cycle "
                "moves to calibration."
            },
            "decisions_due_on": {"help_text": "When the committee should have decided."},
            "effective_on": {
                "help_text": "The day the cycle's approved promotions change the members' levels."
            },
            "release_on": {
                "help_text": "Optional: until this day the committee's decisions are held from "
                "the candidates (the nominator or the manager may release one sooner); null: "
                "none, decisions go out at once."
            },
            "blind_review": {
                "help_text": "A blind first pass: the committee reads each candidate as "
                "`Candidate <pseudonym>`, without name, username, nominator or career, until they "
                "have voted on the current packet version; HR reads all. Set while a draft."
            },
        }


class JSONBooleanField(serializers.BooleanField):
    """true or false, as the schema says (DRF would also take "yes", 1, "off"...)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class CycleInputSerializer(StrictSerializer):
    """A cycle's plan: its dates go in order, equal allowed (nominations open ≤ close ≤ decisions
    due ≤ effective), each at most a year ahead (StrictSerializer)."""

    name = serializers.CharField(max_length=120)  # one line (StrictSerializer)
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
    release_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Optional, between `decisions_due_on` and `effective_on` (equal allowed): until "
        "then the committee's decisions are held from the candidates; null: none.",
    )
    blind_review = JSONBooleanField(
        required=False,
        default=False,
        help_text="A blind first pass (see the cycle's `blind_review`); default false. Changed "
        "only while the cycle is a draft, as the rest of its plan.",
    )


class CandidateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null while you read it blind.")
    username = serializers.CharField(allow_null=True, help_text="Null while you read it blind.")
    name = serializers.CharField(
        help_text="The candidate's name, or `Candidate <pseudonym>` while you read it blind."
    )


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
    blind = serializers.BooleanField(
        help_text="You read this case blind (a blind cycle, before your vote on its current "
        "version): the candidate under a pseudonym, no username, id or nominator."
    )
    from_level = serializers.CharField(help_text="The level nominated from (a code).")
    months_in_level = serializers.IntegerField(
        allow_null=True,
        help_text="Whole months at the level nominated from: until today, or until the decision. "
        "Null while you read the case blind (career history).",
    )
    nominated_by = serializers.CharField(
        allow_null=True, help_text="The nominator's username; null while you read it blind."
    )
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

    candidates = serializers.IntegerField(
        allow_null=True, help_text="Distinct people nominated (one nominated twice counts once)."
    )
    nominated = serializers.IntegerField(allow_null=True, help_text="Nominations.")
    approved = serializers.IntegerField(allow_null=True)
    rejected = serializers.IntegerField(allow_null=True)
    withdrawn = serializers.IntegerField(allow_null=True)
    open = serializers.IntegerField(allow_null=True)
    approval_rate = serializers.FloatField(
        allow_null=True, help_text="approved / (approved + rejected); null with no decision."
    )
    median_days_to_decision = serializers.FloatField(
        allow_null=True,
        help_text="Days from nomination to approval or rejection (median, one decimal).",
    )
    appealed = serializers.IntegerField(
        allow_null=True, help_text="Rejections appealed (promotions/{id}/appeal/)."
    )
    overturned = serializers.IntegerField(
        allow_null=True, help_text="Appealed rejections approved on appeal."
    )
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
    min_group = serializers.IntegerField(
        help_text="ANALYTICS_MIN_GROUP: groups of fewer candidates are suppressed."
    )
    totals = StatsCellsSerializer()
    by_level = LevelStatsSerializer(many=True)
    by_track = TrackStatsSerializer(many=True)
    by_organisation = OrganisationStatsSerializer(many=True)


class ReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=REASON_CHOICES)
    detail = serializers.CharField(help_text="The reason, for people (with its numbers).")


class NextLevelEligibilitySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A level one move up (a deactivated move too).")
    eligible = serializers.BooleanField()
    reasons = ReasonSerializer(many=True, help_text="Every reason against; empty when eligible.")


class EligibilitySerializer(serializers.Serializer):
    member = serializers.IntegerField()
    level = serializers.CharField(help_text="The member's level (a code).")
    months_in_level = serializers.IntegerField(help_text="Whole months at it (since level_since).")
    next_levels = NextLevelEligibilitySerializer(many=True)
