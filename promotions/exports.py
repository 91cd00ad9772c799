"""The promotions export of the admin (HR): one row per promotion, people by username."""

from import_export import fields, resources

from core.spreadsheets import spreadsheet_timestamp
from promotions.models import Promotion

COLUMNS = (
    "id",
    "candidate",
    "from_level",
    "to_level",
    "state",
    "nominated_by",
    "created_at",
    "decided_at",
    "effective_on",
    "cycle",
)


class PromotionResource(resources.ModelResource):
    id = fields.Field(attribute="id", column_name="id")
    candidate = fields.Field(attribute="candidate__user__username", column_name="candidate")
    from_level = fields.Field(attribute="from_level__code", column_name="from_level")
    to_level = fields.Field(attribute="to_level__code", column_name="to_level")
    state = fields.Field(attribute="state", column_name="state")
    nominated_by = fields.Field(attribute="nominated_by__username", column_name="nominated_by")
    created_at = fields.Field(column_name="created_at")
    decided_at = fields.Field(column_name="decided_at")
    effective_on = fields.Field(column_name="effective_on")
    cycle = fields.Field(attribute="cycle__name", column_name="cycle")

    class Meta:
        model = Promotion
        fields = COLUMNS
        export_order = COLUMNS

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(
            "candidate__user", "from_level", "to_level", "nominated_by", "cycle"
        )

    def dehydrate_created_at(self, promotion: Promotion) -> str:
        return spreadsheet_timestamp(promotion.created_at)

    def dehydrate_decided_at(self, promotion: Promotion) -> str:
        return spreadsheet_timestamp(promotion.decided_at)

    def dehydrate_effective_on(self, promotion: Promotion) -> str:
        return spreadsheet_timestamp(promotion.effective_on)
