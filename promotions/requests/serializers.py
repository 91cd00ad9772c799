"""The API's shapes of nomination requests."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.serializers import ProseField, StrictSerializer
from ladder.serializers import LevelCodeField
from promotions.requests.models import TEXT_LIMIT, NominationRequest
from promotions.serializers import CandidateSerializer, PacketInputSerializer


# Named apart from the nomination's body (NominationSerializer as a request: "NominationRequest").
@extend_schema_serializer(component_name="NominationRequestRecord")
class NominationRequestSerializer(serializers.ModelSerializer):
    member = CandidateSerializer(read_only=True)
    to_level = serializers.CharField(source="to_level.code", read_only=True)

    class Meta:
        model = NominationRequest
        fields = [
            "id",
            "member",
            "to_level",
            "state",
            "reason",
            "promotion",
            "created_at",
            "answered_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "reason": {"help_text": "Why it was declined (empty otherwise): the member reads it."},
            "promotion": {"help_text": "The nomination it became, once accepted (null before)."},
            "answered_at": {"help_text": "When it was accepted or declined (null while pending)."},
        }


class NominationRequestInputSerializer(PacketInputSerializer):
    to_level = LevelCodeField(help_text="The level to be nominated for: a move up from yours.")


class AcceptSerializer(StrictSerializer):
    """No fields: the packet is the request's."""


class DeclineSerializer(StrictSerializer):
    reason = ProseField(
        max_length=TEXT_LIMIT,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why: the member reads it (400 `reason_required` without one).",
    )
