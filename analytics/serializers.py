"""Shapes of the analytics API, for the OpenAPI document (no rules here)."""

from rest_framework import serializers


class ChoiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    choices = ChoiceSerializer(many=True)


class CategoriesSerializer(serializers.Serializer):
    categories = CategorySerializer(many=True)


class GroupSerializer(serializers.Serializer):
    group = serializers.CharField(help_text="The choice code.")
    selected = serializers.IntegerField(allow_null=True)
    pool = serializers.IntegerField(allow_null=True)
    rate = serializers.FloatField(allow_null=True)
    impact_ratio = serializers.FloatField(allow_null=True)
    four_fifths = serializers.BooleanField(allow_null=True)
    fisher_p = serializers.FloatField(allow_null=True)
    shortfall = serializers.IntegerField(allow_null=True)
    suppressed = serializers.BooleanField()


class StageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["nomination", "approval", "overall"])
    groups = GroupSerializer(many=True)


class AdverseImpactSerializer(serializers.Serializer):
    category = serializers.CharField()
    cycles = serializers.ListField(child=serializers.IntegerField())
    min_group = serializers.IntegerField()
    stages = StageSerializer(many=True)


class ValuesSerializer(serializers.Serializer):
    """A member's own values: one optional choice code per category (validated by
    analytics.demographics, not here)."""


# The member's own values: {"<category>": "<choice code>" | null}.
VALUES_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "string", "nullable": True},
    "example": {"gender": "woman", "ethnicity": None, "age_band": "prefer-not-to-say"},
}
