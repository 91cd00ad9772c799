from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from promotions import permissions, selectors, services
from promotions.filters import PromotionFilter
from promotions.serializers import (
    CommitteeEventSerializer,
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
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.promotion_list_visible_to(user=self.request.user)

    def _visible(self, pk):
        return selectors.promotion_get_visible_to(user=self.request.user, promotion_id=pk)

    def _respond(self, promotion, status_code=status.HTTP_200_OK):
        # Re-read through the selector: fresh state, vote counts and related rows.
        promotion = self._visible(promotion.pk)
        selectors.with_available_transitions(user=self.request.user, promotions=[promotion])
        return Response(PromotionSerializer(promotion).data, status=status_code)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.with_available_transitions(user=request.user, promotions=page)
        return self.get_paginated_response(PromotionSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self._respond(self._visible(pk))

    @extend_schema(request=NominationSerializer, responses={201: PromotionSerializer})
    def create(self, request):
        permissions.ensure_can_nominate(request.user)
        serializer = NominationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        promotion = services.promotion_nominate(
            candidate=selectors.candidate_for_nomination(
                user=request.user, member_id=data["candidate"]
            ),
            to_level=data["to_level"],
            nominated_by=request.user,
            justification=data["justification"],
        )
        return self._respond(promotion, status.HTTP_201_CREATED)

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

    @extend_schema(methods=["GET"], request=None, responses={200: ReviewSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=ReviewInputSerializer,
        responses={200: ReviewSerializer, 201: ReviewSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def reviews(self, request, pk=None):
        promotion = self._visible(pk)
        if request.method == "GET":
            reviews = selectors.promotion_reviews(user=request.user, promotion=promotion)
            return Response(ReviewSerializer(reviews, many=True).data)
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

    @extend_schema(responses={200: CommitteeEventSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def timeline(self, request, pk=None):
        promotion = self._visible(pk)
        events = selectors.promotion_timeline(promotion=promotion)
        if permissions.sees_committee_work(request.user, promotion):
            return Response(CommitteeEventSerializer(events, many=True).data)
        return Response(EventSerializer(events, many=True).data)
