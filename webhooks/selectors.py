from django.db.models import QuerySet

from webhooks.errors import DeliveryNotFound, HROnly, WebhookNotFound
from webhooks.models import Delivery, Endpoint
from webhooks.services import ensure_hr


def endpoint_list(*, user) -> QuerySet[Endpoint]:
    """HR's endpoints (403 `hr_only` for anyone else)."""
    ensure_hr(user)
    return Endpoint.objects.order_by("id")


def endpoint_get(*, user, endpoint_id) -> Endpoint:
    """One endpoint, for HR; for anyone else 404, as if it did not exist."""
    try:
        return endpoint_list(user=user).get(pk=endpoint_id)
    except (HROnly, Endpoint.DoesNotExist, ValueError, TypeError):  # the same 404
        raise WebhookNotFound() from None


def delivery_list(*, endpoint: Endpoint, status: str | None = None) -> QuerySet[Delivery]:
    """An endpoint's delivery log, newest first."""
    deliveries = Delivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
    return deliveries.filter(status=status) if status else deliveries


def delivery_get(*, endpoint: Endpoint, delivery_id) -> Delivery:
    try:
        return delivery_list(endpoint=endpoint).get(pk=delivery_id)
    except (Delivery.DoesNotExist, ValueError, TypeError):
        raise DeliveryNotFound() from None
