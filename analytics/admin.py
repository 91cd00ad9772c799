"""People analytics in the admin (docs/analytics.md): the choices offered in each demographic
category (People analytics edits them; "prefer not to say" can be neither deactivated nor
deleted) and the adverse-impact page with its CSV. No page lists anyone's own values."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from analytics import adverse_impact
from analytics.errors import InvalidCycles, UnknownCategory
from analytics.forms import ReportForm
from analytics.models import PREFER_NOT_TO_SAY, DemographicChoice, DemographicValue
from analytics.page import report_csv, stage_views
from core import roles


@admin.register(DemographicChoice)
class DemographicChoiceAdmin(admin.ModelAdmin):
    list_display = ("category", "code", "label", "order", "is_active")
    list_filter = ("category", "is_active")
    ordering = ("category", "order", "code")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.code == PREFER_NOT_TO_SAY:
            return ("category", "code", "is_active")
        if obj is not None:
            return ("category", "code")  # members' values refer to them
        return ()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (
            obj.code == PREFER_NOT_TO_SAY or DemographicValue.objects.filter(choice=obj).exists()
        ):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, where nobody chose it
        return actions

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if roles.is_people_analytics(request.user):
            extra_context["report_url"] = reverse("admin:analytics_adverse_impact")
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("adverse-impact/", view(self.report_view), name="analytics_adverse_impact"),
            path(
                "adverse-impact.csv",
                view(self.report_csv_view),
                name="analytics_adverse_impact_csv",
            ),
            *super().get_urls(),
        ]

    def _report(self, request):
        if not roles.is_people_analytics(request.user):
            raise PermissionDenied
        form = ReportForm(request.GET or None)
        report = None
        if form.is_valid():
            try:
                cycles = adverse_impact.cycles_chosen(form.cleaned_data["cycles"])
                report = adverse_impact.adverse_impact(
                    category=adverse_impact.category_checked(form.cleaned_data["category"]),
                    cycles=cycles,
                )
            except (InvalidCycles, UnknownCategory) as error:
                form.add_error(None, error.message)
        return form, report

    def report_view(self, request):
        """Adverse impact by stage, for the category and cycles chosen (People analytics)."""
        form, report = self._report(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Adverse impact",
            "form": form,
            "report": report,
            "stages": stage_views(report) if report else [],
            "csv_query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/analytics/adverse_impact.html", context)

    def report_csv_view(self, request):
        form, report = self._report(request)
        if report is None:
            return HttpResponse(
                "Choose a category and cycles.", status=400, content_type="text/plain"
            )
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="adverse-impact-{report["category"]}.csv"'
        )
        return response
