from rest_framework import serializers


class AuditHeadSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The last link's place in the chain (0: empty).")
    hash = serializers.CharField(help_text="The last link's hash, 64 hex digits.")
    at = serializers.DateTimeField(
        allow_null=True, help_text="When the last link was appended (null: empty)."
    )
