from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ladder.ids import ID_PATTERN
from promotions import permissions, selectors, services
from promotions.filters import PromotionFilter
from promotions.serializers import (
    EventSerializer,
    NominationSerializer,
    PromotionSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
    TransitionNoteSerializer,
)


@extend_schema(tags=["promotions"])
class PromotionViewSet(viewsets.GenericViewSet):
    serializer_class = PromotionSerializer
    filterset_class = PromotionFilter
    extra_error_statuses = [409]
    extra_error_statuses_by_action = {"create": [422]}
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.promotion_list_visible_to(user=self.request.user)

    def _visible(self, pk):
        return selectors.promotion_get_visible_to(user=self.request.user, promotion_id=pk)

    def _represent(self, promotion, *, reread: bool = True) -> dict:
        if reread:  # after a write: fresh state, vote counts and related rows
            promotion = self._visible(promotion.pk)
        selectors.with_available_transitions(user=self.request.user, promotions=[promotion])
        return PromotionSerializer(promotion).data

    def _respond(self, promotion, status_code=status.HTTP_200_OK):
        return Response(self._represent(promotion), status=status_code)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.with_available_transitions(user=request.user, promotions=page)
        return self.get_paginated_response(PromotionSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self._represent(self._visible(pk), reread=False))

    @extend_schema(
        request=NominationSerializer,
        responses={201: PromotionSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Send the same key to retry safely: one promotion, the first "
                "response again. The same key with another body is refused (422).",
            )
        ],
    )
    def create(self, request):
        permissions.ensure_can_nominate(request.user)
        serializer = NominationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        nomination = {
            "candidate": selectors.candidate_for_nomination(
                user=request.user, member_id=data["candidate"]
            ),
            "to_level": data["to_level"],
            "nominated_by": request.user,
            "justification": data["justification"],
        }
        key = request.headers.get("Idempotency-Key")
        if key is None:
            promotion = services.promotion_nominate(**nomination)
            return self._respond(promotion, status.HTTP_201_CREATED)
        body, _ = services.promotion_nominate_once(
            key=key, request_data=request.data, render=self._represent, **nomination
        )
        return Response(body, status=status.HTTP_201_CREATED)

    def _transition(self, request, pk, name):
        promotion = self._visible(pk)
        permissions.ensure_can(request.user, name, promotion)  # 403/409 before 400
        serializer = TransitionNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        promotion = services.TRANSITION_SERVICES[name](
            promotion=promotion, actor=request.user, note=serializer.validated_data["note"]
        )
        return self._respond(promotion)

    @extend_schema(request=TransitionNoteSerializer, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        return self._transition(request, pk, permissions.START_REVIEW)

    @extend_schema(request=TransitionNoteSerializer, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, pk, permissions.APPROVE)

    @extend_schema(request=TransitionNoteSerializer, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(request, pk, permissions.REJECT)

    @extend_schema(request=TransitionNoteSerializer, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(request, pk, permissions.WITHDRAW)

    @extend_schema(request=None, responses={200: ReviewSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def reviews(self, request, pk=None):
        # One handler per method: HEAD runs this one (as GET), never the vote below.
        promotion = selectors.promotion_for_access_check(user=request.user, promotion_id=pk)
        reviews = selectors.promotion_reviews(user=request.user, promotion=promotion)
        return Response(ReviewSerializer(reviews, many=True).data)

    @extend_schema(
        request=ReviewInputSerializer, responses={200: ReviewSerializer, 201: ReviewSerializer}
    )
    @reviews.mapping.post
    def review(self, request, pk=None):
        promotion = self._visible(pk)
        permissions.ensure_can(request.user, permissions.REVIEW, promotion)
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review, created = services.promotion_review(
            promotion=promotion, reviewer=request.user, **serializer.validated_data
        )
        return Response(
            ReviewSerializer(review).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def timeline(self, request, pk=None):
        promotion = selectors.promotion_for_access_check(user=request.user, promotion_id=pk)
        events = selectors.promotion_timeline(promotion=promotion)
        committee_view = permissions.sees_committee_work(request.user, promotion)
        return Response(
            EventSerializer(events, many=True, context={"committee_view": committee_view}).data
        )
