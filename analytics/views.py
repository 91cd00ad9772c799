"""The analytics API (docs/analytics.md): the demographic categories, a member's own values, and
the adverse-impact report for People analytics. Thin views over analytics.demographics and
analytics.adverse_impact."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from analytics import adverse_impact, demographics
from analytics.errors import PeopleAnalyticsOnly
from analytics.serializers import (
    VALUES_SCHEMA,
    AdverseImpactSerializer,
    CategoriesSerializer,
    ValuesSerializer,
)
from core import roles
from core.errors import DomainError, InvalidInput
from ladder.selectors import member_me


def ensure_people_analytics(user) -> None:
    if not roles.is_people_analytics(user):
        raise PeopleAnalyticsOnly()


@extend_schema(tags=["analytics"])
class CategoryViewSet(viewsets.GenericViewSet):
    http_method_names = ["get", "head", "options"]
    serializer_class = CategoriesSerializer
    pagination_class = None
    filter_backends: list = []

    def retrieve(self, request):
        """List the demographic categories and the choices each offers.

        For any signed-in user: each category of this site (`code`, `label`) with its active
        choices in order, `prefer-not-to-say` always last. The codes are what
        `members/me/demographics/` takes."""
        return Response({"categories": demographics.categories()})


@extend_schema(tags=["analytics"])
class MyDemographicsViewSet(viewsets.GenericViewSet):
    http_method_names = ["get", "put", "head", "options"]
    pagination_class = None
    filter_backends: list = []
    serializer_class = ValuesSerializer  # OPTIONS' description of the body; no rules in it

    def get_object(self):
        """The requesting member (OPTIONS asks for it before describing PUT)."""
        try:
            return member_me(user=self.request.user)
        except DomainError:
            raise Http404 from None

    @extend_schema(responses={200: VALUES_SCHEMA})
    def retrieve(self, request):
        """Get your own self-reported demographics.

        For a signed-in user with a member record (404 `no_member_record` otherwise): every
        category, your choice code or null where you gave none. Nobody else reads these values:
        People analytics sees only counts of groups large enough to publish."""
        member = member_me(user=request.user)
        return Response(demographics.member_values(member=member))

    @extend_schema(request={"application/json": VALUES_SCHEMA}, responses={200: VALUES_SCHEMA})
    def update(self, request):
        """Give, change or withdraw your own demographics.

        A JSON object `{"<category>": "<choice code>" | null}`: a code gives or changes your
        value, null withdraws it; categories left out stay as they are. All optional and
        self-reported. An unknown category is 400 `unknown_category`, a code that is not an
        active choice of it 400 `unknown_choice`; a body that is not an object 400 `invalid`.
        Answers every category with your values now."""
        member = member_me(user=request.user)
        if not isinstance(request.data, dict):
            raise InvalidInput("Send a JSON object of category codes.")
        return Response(demographics.member_values_set(member=member, values=request.data))


@extend_schema(tags=["analytics"])
class AdverseImpactViewSet(viewsets.GenericViewSet):
    http_method_names = ["get", "head", "options"]
    serializer_class = AdverseImpactSerializer
    pagination_class = None
    filter_backends: list = []
    extra_error_statuses = [403]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "category",
                OpenApiTypes.STR,
                required=True,
                description="A demographic category code (`demographics/categories/`).",
            ),
            OpenApiParameter(
                "cycles",
                OpenApiTypes.STR,
                required=True,
                description="Cycle ids separated by commas (at most 20), or `last:N`.",
            ),
        ]
    )
    def retrieve(self, request):
        """The adverse impact of promotion cycles on the groups of a demographic category.

        People analytics only (403 `people_analytics_only`). Per group (a choice code) and
        stage (`nomination`: nominated / eligible, `approval`: approved / decided, `overall`:
        approved / eligible), summed over the cycles: `selected`, `pool`, `rate`,
        `impact_ratio` (over the highest published rate), `four_fifths` (under 0.8),
        `fisher_p` (Fisher's exact two-sided, the group against all others) and `shortfall`.
        Groups of fewer than `min_group` people are suppressed (every cell null), with as many
        more as stop their recovery by subtraction; a group hidden in one stage is hidden in
        every stage. Members who gave no value are in no group. 400
        `unknown_category`, `invalid_cycles`."""
        ensure_people_analytics(request.user)
        params = request.query_params
        category = adverse_impact.category_checked(params.get("category"))
        cycles = adverse_impact.cycles_chosen(params.get("cycles"))
        return Response(adverse_impact.adverse_impact(category=category, cycles=cycles))
