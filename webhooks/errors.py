"""Webhook errors. Their base is core.errors: this app imports neither the ladder's nor the
promotions' errors. A refused URL is the SSRF guard's: core.errors.DestinationRefused."""

from enum import StrEnum

from core.errors import Conflict, NotAllowed, NotFound


class ErrorCode(StrEnum):
    NO_SUCH_WEBHOOK = "no_such_webhook"
    NO_SUCH_DELIVERY = "no_such_delivery"
    WEBHOOK_INACTIVE = "webhook_inactive"
    UNKNOWN_EVENT = "unknown_event"
    HR_ONLY = "hr_only"


class WebhookNotFound(NotFound):
    code = ErrorCode.NO_SUCH_WEBHOOK
    default_message = "No such webhook."


class DeliveryNotFound(NotFound):
    code = ErrorCode.NO_SUCH_DELIVERY
    default_message = "No such delivery."


class WebhookInactive(Conflict):
    code = ErrorCode.WEBHOOK_INACTIVE
    default_message = "The webhook is disabled: enable it before sending anything again."


class HROnly(NotAllowed):
    code = ErrorCode.HR_ONLY
    default_message = "Only HR manages webhooks."
