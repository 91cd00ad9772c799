"""The API of webhooks: HR's endpoints and their delivery logs."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.ids import ID_PATTERN
from webhooks import selectors, services
from webhooks.models import DeliveryStatus, Endpoint
from webhooks.serializers import (
    DeliverySerializer,
    EndpointCreatedSerializer,
    EndpointInputSerializer,
    EndpointSerializer,
)


class DeliveryFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=DeliveryStatus.choices, help_text="Only these.")


@extend_schema(tags=["webhooks"])
class WebhookViewSet(viewsets.GenericViewSet):
    serializer_class = EndpointSerializer
    queryset = Endpoint.objects.none()  # for the schema: reads go through the selectors
    filterset_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = ID_PATTERN
    # HR only: 403 on the collection; an endpoint is 404 to anyone else.
    extra_error_statuses_by_action = {"list": [403], "redeliver": [409]}

    def _endpoint(self, pk):
        return selectors.endpoint_get(user=self.request.user, endpoint_id=pk)

    def list(self, request):
        """List the webhook endpoints (HR).

        Each endpoint's URL, description, events (empty: all), whether it is active and its
        failures in a row. Never the secret. 403 `hr_only` for anyone but HR. Paginated."""
        page = self.paginate_queryset(selectors.endpoint_list(user=request.user))
        return self.get_paginated_response(EndpointSerializer(page, many=True).data)

    @extend_schema(request=EndpointInputSerializer, responses={201: EndpointCreatedSerializer})
    def create(self, request):
        """Register a webhook endpoint (HR).

        `url` must be https at a public address (400 `webhook_url_refused` for loopback,
        private, link-local or reserved addresses, checked on every address the host resolves
        to). `events`: the events to send (empty or absent: all; 400 for an unknown one). The
        answer carries the signing `secret`, this once. 403 `hr_only` for anyone but HR."""
        services.ensure_hr(request.user)
        serializer = EndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(actor=request.user, **serializer.validated_data)
        return Response(EndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        """Get one webhook endpoint (HR).

        Its URL, description, events, whether it is active and its failures in a row; never the
        secret. 404 `no_such_webhook` for anyone but HR."""
        return Response(EndpointSerializer(self._endpoint(pk)).data)

    @extend_schema(
        request=EndpointInputSerializer(partial=True), responses={200: EndpointSerializer}
    )
    def partial_update(self, request, pk=None):
        """Change an endpoint's URL, events, description, or turn it off or on (HR).

        A new URL is checked as on creation. Turning it off holds its deliveries (events are
        still written, as `held`); turning it on again clears its failures and sends every held
        delivery, oldest first."""
        endpoint = self._endpoint(pk)
        serializer = EndpointInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(
            actor=request.user, endpoint=endpoint, changes=serializer.validated_data
        )
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        """Delete an endpoint and its delivery log (HR).

        Nothing more is sent to it, pending deliveries included; 404 `no_such_webhook` for
        anyone but HR."""
        services.endpoint_delete(actor=request.user, endpoint=self._endpoint(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: DeliverySerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=DeliveryFilter)
    def deliveries(self, request, pk=None):
        """List an endpoint's deliveries, newest first (HR).

        Each with its event, `webhook_id` (the same on every attempt), status (`pending`,
        `delivered`, `failed`, `held` while the endpoint is disabled, `expired` when held too
        long), attempts, the last answer's status code and error, and when it is tried next.
        `status=` keeps one status. Paginated."""
        endpoint = self._endpoint(pk)
        deliveries = self.filter_queryset(selectors.delivery_list(endpoint=endpoint))
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"deliveries/(?P<delivery_id>{ID_PATTERN})/redeliver",
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        """Send a delivery again (HR).

        Whatever its status (`expired` included), with the same `webhook-id`, retried for
        another 24 hours. 202: it is on its way. 409 `webhook_inactive` while the endpoint is
        disabled."""
        endpoint = self._endpoint(pk)
        delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id)
        delivery = services.delivery_redeliver(actor=request.user, delivery=delivery)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
