import django_filters

from core.ids import IdFilter
from promotions import blind, release
from promotions.models import Promotion, PromotionState


class PromotionFilter(django_filters.FilterSet):
    # As the viewer sees the states: their own decision held for a release date is in the state
    # it was decided from (promotions/release.py).
    state = django_filters.ChoiceFilter(choices=PromotionState.choices, method="filter_state")
    candidate = IdFilter(
        field_name="candidate_id",
        method="filter_candidate",
        help_text="a member id (never finds a case you read blind)",
    )
    to_level = django_filters.CharFilter(field_name="to_level__code", max_length=40)
    cycle = IdFilter(field_name="cycle_id", help_text="a cycle id")
    mine = django_filters.ChoiceFilter(
        choices=[("nominated", "nominated")],
        method="filter_mine",
        help_text="`nominated`: only the promotions you nominated",
    )

    class Meta:
        model = Promotion
        fields = ["state", "candidate", "to_level", "cycle", "mine"]

    def filter_state(self, queryset, name, value):
        return release.filter_state(queryset, state=value, user=self.request.user)

    def filter_candidate(self, queryset, name, value):
        # A blind case is not found by who its candidate is (promotions/blind.py).
        return queryset.filter(candidate_id=value).exclude(blind.blind_to(self.request.user))

    def filter_mine(self, queryset, name, value):
        return queryset.filter(nominated_by=self.request.user)
