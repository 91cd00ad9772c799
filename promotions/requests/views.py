"""The API of nomination requests."""

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.ids import ID_PATTERN
from promotions.requests import selectors, services
from promotions.requests.serializers import (
    AcceptSerializer,
    DeclineSerializer,
    NominationRequestInputSerializer,
    NominationRequestSerializer,
)


@extend_schema(tags=["nomination-requests"])
class NominationRequestViewSet(viewsets.GenericViewSet):
    serializer_class = NominationRequestSerializer
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = ID_PATTERN
    # 409 where the member's situation or the request's state decides.
    extra_error_statuses_by_action = {"create": [409], "accept": [409], "decline": [409]}

    def get_queryset(self):
        return selectors.request_list_visible_to(user=self.request.user)

    def list(self, request):
        """List the nomination requests you may see, newest first.

        A member sees their own, a manager those of their direct reports, HR every request.
        Paginated."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(NominationRequestSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        """Get one nomination request.

        For the member, their manager and HR; anyone else gets 404
        `no_such_nomination_request`, as for one that does not exist."""
        nomination_request = selectors.request_get_visible_to(user=request.user, request_id=pk)
        return Response(NominationRequestSerializer(nomination_request).data)

    @extend_schema(
        request=NominationRequestInputSerializer, responses={201: NominationRequestSerializer}
    )
    def create(self, request):
        """Ask your manager to nominate you.

        For members of the ladder (403 otherwise) who have an active manager (409 `no_manager`:
        ask HR to record who manages you). One pending request at a time (409
        `nomination_request_pending`). The move must be one of the ladder's from your level (400
        `invalid_move`) and you must be eligible now, as for a nomination (409 `not_eligible`
        with every reason in `reasons`). `justification` and `evidence` are a packet, as a
        nomination's (400 `justification_required`, `evidence_missing`, `unknown_criterion`,
        `evidence_invalid`): accepted, it becomes version 1 of the nomination's packet. Your
        manager is notified. Only managers and HR nominate: a request creates no promotion."""
        services.ensure_may_ask(request.user)  # 403/409 before the body is read
        serializer = NominationRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        nomination_request = services.nomination_request_create(
            user=request.user, **serializer.validated_data
        )
        return Response(
            NominationRequestSerializer(nomination_request).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=AcceptSerializer, responses={200: NominationRequestSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept a nomination request: nominate the member with their packet.

        For the member's manager or HR (403 otherwise; 404 for those who may not see it), while
        it is pending (409 `nomination_request_answered`). The nomination is created as by
        POST promotions/, nominated by you, with the request's packet as version 1, under the
        nomination's rules as they are now (409 `not_eligible`, 400 `evidence_missing` if the
        level's criteria changed since). The member is notified; `promotion` is the new
        nomination's id."""
        nomination_request = selectors.request_get_visible_to(user=request.user, request_id=pk)
        services.ensure_may_answer(request.user, nomination_request)
        AcceptSerializer(data=request.data).is_valid(raise_exception=True)
        nomination_request = services.nomination_request_accept(
            request=nomination_request, actor=request.user
        )
        return Response(NominationRequestSerializer(nomination_request).data)

    @extend_schema(request=DeclineSerializer, responses={200: NominationRequestSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline a nomination request, saying why.

        For the member's manager or HR (403 otherwise; 404 for those who may not see it), while
        it is pending (409 `nomination_request_answered`). `reason` is required (400
        `reason_required`) and shown to the member, who is notified."""
        nomination_request = selectors.request_get_visible_to(user=request.user, request_id=pk)
        services.ensure_may_answer(request.user, nomination_request)
        serializer = DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        nomination_request = services.nomination_request_decline(
            request=nomination_request, actor=request.user, **serializer.validated_data
        )
        return Response(NominationRequestSerializer(nomination_request).data)
