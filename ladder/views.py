from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ladder import selectors, services
from ladder.ids import ID_PATTERN
from ladder.serializers import (
    LevelDetailSerializer,
    LevelSerializer,
    LevelTransitionSerializer,
    MemberCreateSerializer,
    MemberMeSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
)


@extend_schema(tags=["ladder"])
class LevelViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    serializer_class = LevelSerializer

    def get_queryset(self):
        return selectors.level_list()

    def get_serializer_class(self):
        return LevelDetailSerializer if self.action == "retrieve" else LevelSerializer

    def retrieve(self, request, code=None):
        return Response(LevelDetailSerializer(selectors.level_get(code=code)).data)


@extend_schema(tags=["ladder"])
class LevelTransitionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = LevelTransitionSerializer

    def get_queryset(self):
        return selectors.level_transition_list()


@extend_schema(tags=["members"])
class MemberViewSet(viewsets.GenericViewSet):
    serializer_class = MemberSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.member_list_visible_to(user=self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        member = selectors.member_get_visible_to(user=request.user, member_id=pk)
        return Response(MemberSerializer(member).data)

    @extend_schema(request=MemberCreateSerializer, responses={201: MemberSerializer})
    def create(self, request):
        services.ensure_can_manage_members(request.user)
        serializer = MemberCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_create(actor=request.user, **serializer.validated_data)
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberUpdateSerializer, responses={200: MemberSerializer})
    def partial_update(self, request, pk=None):
        member = selectors.member_get_visible_to(user=request.user, member_id=pk)
        services.ensure_can_manage_members(request.user)
        serializer = MemberUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        member = services.member_update(
            actor=request.user, member=member, changes=serializer.validated_data
        )
        member = selectors.member_get_visible_to(user=request.user, member_id=member.pk)
        return Response(MemberSerializer(member).data)

    @extend_schema(responses={200: MemberMeSerializer})
    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(MemberMeSerializer(selectors.member_me(user=request.user)).data)
