"""The committee's daily tool. Every button calls the same service as the API, so recusal, quorum,
the stale-level guard and the audit trail hold here exactly as there. (django-fsm-2's
FSMAdminMixin would call the model's transitions directly and skip all of that.)"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone

from ladder.admin import ReadOnlyAdminMixin
from ladder.errors import DomainError
from ladder.models import Track
from promotions import packets, permissions, selectors, services
from promotions.desk import promotion_desk
from promotions.forms import DecisionForm, ReviewForm
from promotions.models import Promotion, PromotionEvent


class TrackFilter(admin.SimpleListFilter):
    title = "track"
    parameter_name = "track"

    def lookups(self, request, model_admin):
        return Track.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(to_level__track=self.value())
        return queryset


class NeedsMyVoteFilter(admin.SimpleListFilter):
    title = "my vote"
    parameter_name = "needs_my_vote"

    def lookups(self, request, model_admin):
        return [("yes", "Needs my vote")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return selectors.awaiting_vote_of(user=request.user, promotions=queryset)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        days = settings.PROMOTIONS_REVIEW_SLA_DAYS
        return [("yes", f"Overdue (open over {days} days)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return selectors.overdue(promotions=queryset)
        return queryset


@admin.register(Promotion)
class PromotionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: nominations come from managers over the API, and the state changes only
    through the desk's forms (act_view), which call the services."""

    change_form_template = "admin/promotions/promotion/desk.html"
    list_display = ["candidate", "move", "state", "nominated_by", "days_open", "votes"]
    list_display_links = ["candidate"]
    list_filter = [NeedsMyVoteFilter, OverdueFilter, "state", "to_level", TrackFilter]
    search_fields = [
        "candidate__user__username",
        "candidate__user__first_name",
        "candidate__user__last_name",
    ]
    list_per_page = 50
    # The desk template shows the rest (promotions/desk.py).
    fields = readonly_fields = ("state",)

    def get_queryset(self, request):
        promotions = super().get_queryset(request).select_related(*selectors.PROMOTION_WITH_PEOPLE)
        # A recused viewer sees their own promotion without its votes (as in the API).
        involved = ExpressionWrapper(permissions.involving(request.user), BooleanField())
        return selectors.with_vote_counts(promotions).annotate(viewer_involved=involved)

    @admin.display(description="move", ordering="to_level__rank")
    def move(self, promotion):
        return f"{promotion.from_level.code} → {promotion.to_level.code}"

    @admin.display(description="days open")
    def days_open(self, promotion):
        end = promotion.decided_at or timezone.now()
        return (end - promotion.created_at).days

    @admin.display(description="votes (for / against)")
    def votes(self, promotion):
        if promotion.viewer_involved:
            return "—"
        return f"{promotion.approvals} / {promotion.rejections}"

    # --- the committee's desk ------------------------------------------------------------------

    def get_urls(self):
        act = self.admin_site.admin_view(self.act_view)
        return [
            path("<path:object_id>/act/", act, name="promotions_promotion_act"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        promotion = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if promotion is not None and self.has_view_permission(request, promotion):
            desk = promotion_desk(
                user=request.user,
                promotion=promotion,
                version=request.GET.get("version"),
                compare=request.GET.get("compare"),
            )
            my_review = desk.my_review
            initial = None
            if my_review:
                initial = {"decision": my_review.decision, "comment": my_review.comment}
                initial.update({f"rating_{c}": r for c, r in my_review.ratings.items()})
            extra_context.update(
                desk=desk,
                review_form=ReviewForm(
                    initial=initial,
                    criteria=packets.packet_current(promotion=promotion).evidence,
                ),
                decision_form=DecisionForm(),
                decide_buttons=[
                    (action, action.replace("-", " ").capitalize())
                    for action in desk.available_transitions
                ],
                act_url=reverse("admin:promotions_promotion_act", args=[promotion.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def act_view(self, request, object_id):
        """Records the user's review or runs one transition, through the services."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        promotion = self.get_object(request, object_id)
        if promotion is None or not self.has_view_permission(request, promotion):
            raise PermissionDenied
        change_url = reverse("admin:promotions_promotion_change", args=[promotion.pk])
        action = request.POST.get("action", "")
        try:
            form: forms.Form | None
            if action == permissions.REVIEW:
                form = ReviewForm(
                    request.POST, criteria=packets.packet_current(promotion=promotion).evidence
                )
                if form.is_valid():
                    services.promotion_review(
                        promotion=promotion,
                        reviewer=request.user,
                        decision=form.cleaned_data["decision"],
                        comment=form.cleaned_data["comment"],
                        ratings=form.ratings(),
                    )
                    messages.success(request, "Your review is recorded.")
            elif action in services.TRANSITION_SERVICES:
                form = DecisionForm(request.POST)
                if form.is_valid():
                    services.TRANSITION_SERVICES[action](
                        promotion=promotion, actor=request.user, note=form.cleaned_data["note"]
                    )
                    promotion = Promotion.objects.select_related("candidate__level").get(
                        pk=promotion.pk
                    )
                    messages.success(
                        request,
                        f"Done: the promotion is now {promotion.get_state_display().lower()}; "
                        f"{promotion.candidate} is at {promotion.candidate.level}.",
                    )
            else:
                form = None
                messages.error(request, "Unknown action.")
            if form is not None and form.errors:
                for errors in form.errors.values():
                    messages.error(request, f"Refused: {' '.join(str(e) for e in errors)}")
        except DomainError as exc:
            messages.error(request, f"Refused: {exc.message}")
        return HttpResponseRedirect(change_url)


@admin.register(PromotionEvent)
class PromotionEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: read it, never add, change or delete it."""

    list_display = ["at", "promotion", "from_state", "to_state", "actor"]

    def get_queryset(self, request):
        # Actors and notes are the committee's: not for the candidate, nominator or manager.
        involved = Promotion.objects.filter(permissions.involving(request.user)).values("pk")
        return super().get_queryset(request).exclude(promotion__in=involved)

    list_filter = ["to_state"]
    list_select_related = [
        "promotion__candidate__user",
        "promotion__from_level",
        "promotion__to_level",
        "actor",
    ]
