from rest_framework import serializers

from core.serializers import StrictSerializer
from webhooks.events import Event
from webhooks.models import Delivery, DeliveryStatus, Endpoint

EVENTS_HELP = "The events it hears of; empty: every event (docs/webhooks.md lists them)."


class EventField(serializers.ChoiceField):
    """An event's name. One it does not know is `unknown_event` (as the service has it), naming
    the known ones, rather than DRF's `invalid_choice`."""

    default_error_messages = {
        "invalid": "Give an event's name as text.",
        "unknown_event": "Unknown event: {input}. Known: {known}.",
    }

    def __init__(self, **kwargs):
        super().__init__(choices=Event.choices(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if data not in self.choice_strings_to_values:
            self.fail("unknown_event", input=data[:100], known=", ".join(Event))
        return self.choice_strings_to_values[data]


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices()),
        read_only=True,
        help_text=EVENTS_HELP,
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "consecutive_failures": {
                "help_text": "Failed attempts in a row. An endpoint whose every attempt has failed "
                "for WEBHOOKS_DISABLE_AFTER_HOURS (72) is disabled."
            },
            "disabled_at": {
                "help_text": "When the service disabled it for failing, or null. While it is "
                "disabled (or turned off) its deliveries are held."
            },
        }


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_...`), shown in this answer only: keep it now.",
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class EndpointInputSerializer(StrictSerializer):
    url = serializers.CharField(
        max_length=2000,
        help_text="Where deliveries are POSTed: https, at a public address.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=EventField(),
        required=False,
        max_length=len(Event),
        help_text=EVENTS_HELP,
    )
    is_active = serializers.BooleanField(required=False)


class DeliverySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=DeliveryStatus.choices,
        read_only=True,
        help_text="`held`: written while the endpoint was disabled, sent when it is enabled "
        "again; `expired`: held longer than WEBHOOKS_HOLD_DAYS (7), sent again only by hand.",
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "webhook_id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "webhook_id": {"help_text": "The `webhook-id` header: the same on every attempt."},
            "next_attempt_at": {"help_text": "When it is tried next; null unless pending."},
        }
