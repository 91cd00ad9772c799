from rest_framework import serializers

from core.serializers import StrictSerializer
from promotions.delegations.models import Delegation


class DelegationSerializer(serializers.ModelSerializer):
    delegator = serializers.CharField(source="delegator.username", read_only=True)
    delegate = serializers.CharField(source="delegate.username", read_only=True)

    class Meta:
        model = Delegation
        fields = ["id", "delegator", "delegate", "starts_on", "ends_on"]
        read_only_fields = fields


class DelegationInputSerializer(StrictSerializer):
    delegator = serializers.CharField(
        max_length=150,
        required=False,
        default=None,
        allow_null=True,
        help_text="Whose seat (a username): yours when absent; HR may name anyone's.",
    )
    delegate = serializers.CharField(
        max_length=150, help_text="Who holds the seat meanwhile (a username): the same role."
    )
    starts_on = serializers.DateField(help_text="The first day, today or later.")
    ends_on = serializers.DateField(help_text="The last day, on or after `starts_on`.")
