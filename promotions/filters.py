import django_filters

from core.ids import IdFilter
from promotions.models import Promotion, PromotionState


class PromotionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=PromotionState.choices)
    candidate = IdFilter(field_name="candidate_id", help_text="a member id")
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

    def filter_mine(self, queryset, name, value):
        return queryset.filter(nominated_by=self.request.user)
