"""HR's list of nomination requests in the admin: every request, how long its answer took, a
filter by state. Read-only, but for what HR must be able to do: answer a request (accept, which
nominates the member with their packet, or decline with a reason) where the manager cannot."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin_mixins import ReadOnlyAdminMixin, log_time
from core.errors import DomainError
from promotions.requests import selectors, services
from promotions.requests.models import TEXT_LIMIT, NominationRequest, RequestState


def duration(span: timedelta) -> str:
    """A span as HR reads it: '3 days 4 h', '5 h 12 min', 'under a minute'."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "under a minute"


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the member reads it)",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class NominationRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    change_form_template = "admin/promotions/nominationrequest/change_form.html"
    list_display = [
        "member_name",
        "to_level",
        "state",
        "asked",
        "answered",
        "answer_took",
        "promotion_link",
    ]
    list_filter = ["state"]
    list_select_related = ["member__user", "to_level", "promotion"]
    search_fields = [
        "member__user__username",
        "member__user__first_name",
        "member__user__last_name",
    ]
    fields = readonly_fields = (
        "member",
        "to_level",
        "state",
        "asked",
        "answered",
        "answer_took",
        "answered_by",
        "reason",
        "justification",
        "packet",
        "promotion_link",
    )

    @admin.display(description="Member", ordering="member__user__last_name")
    def member_name(self, obj: NominationRequest) -> str:
        return obj.member.name

    @admin.display(description="Asked", ordering="created_at")
    def asked(self, obj: NominationRequest) -> str:
        return log_time(obj.created_at)

    @admin.display(description="Answered", ordering="answered_at")
    def answered(self, obj: NominationRequest) -> str:
        return log_time(obj.answered_at) if obj.answered_at else "—"

    @admin.display(description="Answer took")
    def answer_took(self, obj: NominationRequest) -> str:
        if obj.answered_at is None:
            return f"waiting {duration(timezone.now() - obj.created_at)}"
        return duration(obj.answered_at - obj.created_at)

    @admin.display(description="Nomination")
    def promotion_link(self, obj: NominationRequest) -> str:
        if obj.promotion_id is None:
            return "—"
        url = reverse("admin:promotions_promotion_change", args=[obj.promotion_id])
        return format_html('<a href="{}">Promotion {}</a>', url, obj.promotion_id)

    @admin.display(description="Packet")
    def packet(self, obj: NominationRequest) -> str:
        return format_html_join(
            "",
            "<p><strong>{}</strong><br>{}</p>",
            ((item.get("title", item["criterion"]), item["text"]) for item in obj.evidence),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/answer/",
                view(self.answer_view),
                name="promotions_nominationrequest_answer",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        found = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if (
            found is not None
            and found.state == RequestState.PENDING
            and selectors.may_answer(request.user, found)
        ):
            extra_context.update(
                answer_url=reverse("admin:promotions_nominationrequest_answer", args=[found.pk]),
                decline_form=DeclineForm(),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def answer_view(self, request, object_id):
        """Accept or decline (with a reason), through the request's services."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        found = self.get_object(request, object_id)
        if found is None or not self.has_view_permission(request, found):
            raise PermissionDenied
        here = reverse("admin:promotions_nominationrequest_change", args=[found.pk])
        try:
            if request.POST.get("action") == "accept":
                found = services.nomination_request_accept(request=found, actor=request.user)
                messages.success(request, f"{found.member.name} is nominated with their packet.")
                assert found.promotion_id is not None
                return HttpResponseRedirect(
                    reverse("admin:promotions_promotion_change", args=[found.promotion_id])
                )
            form = DeclineForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Refused: say why you decline; the member reads it.")
                return HttpResponseRedirect(here)
            services.nomination_request_decline(
                request=found, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            reasons = exc.extra.get("reasons") or []
            detail = " ".join(reason["detail"] for reason in reasons)
            messages.error(request, f"Refused: {exc.message} {detail}".strip())
            return HttpResponseRedirect(here)
        messages.success(request, "Declined: the member has been told why.")
        return HttpResponseRedirect(here)
