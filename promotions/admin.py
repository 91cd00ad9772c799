"""The committee's daily tool. Every button calls the same service as the API, so recusal, quorum,
the stale-level guard and the audit trail hold here exactly as there. (django-fsm-2's
FSMAdminMixin would call the model's transitions directly and skip all of that.)"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from ladder.admin import ReadOnlyAdminMixin
from ladder.errors import DomainError
from ladder.models import Track
from promotions import permissions, selectors, services
from promotions.models import Decision, Promotion, PromotionEvent, Review


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ["reviewer", "decision", "comment", "updated_at"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = PromotionEvent
    verbose_name = "event"
    verbose_name_plural = "timeline"
    fields = ["at", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields


class CandidateOnlyEventInline(EventInline):
    """What the candidate or manager may see: no actors, no notes."""

    fields = ["at", "from_state", "to_state"]
    readonly_fields = fields


class TrackFilter(admin.SimpleListFilter):
    title = "track"
    parameter_name = "track"

    def lookups(self, request, model_admin):
        return Track.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(to_level__track=self.value())
        return queryset


@admin.register(Promotion)
class PromotionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: nominations come from managers over the API, and the state changes only
    through the buttons of the change page (act_view)."""

    change_form_template = "admin/promotions/promotion/change_form.html"
    list_display = ["id", "candidate", "move", "state", "nominated_by", "days_open", "votes"]
    list_display_links = ["id", "candidate"]
    list_filter = ["state", "to_level", TrackFilter]
    search_fields = [
        "candidate__user__username",
        "candidate__user__first_name",
        "candidate__user__last_name",
    ]
    list_per_page = 50
    fields = [
        "candidate",
        "candidate_level",
        "move",
        "state",
        "nominated_by",
        "justification",
        "created_at",
        "decided_at",
        "votes",
        "career_history",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        promotions = (
            super()
            .get_queryset(request)
            .select_related(
                "candidate__user",
                "candidate__level",
                "candidate__manager",
                "from_level",
                "to_level",
                "nominated_by",
            )
        )
        # A recused viewer sees their own promotion without its votes (as in the API).
        involved = ExpressionWrapper(selectors.involving(request.user), BooleanField())
        return selectors.with_vote_counts(promotions).annotate(viewer_involved=involved)

    def get_inlines(self, request, obj):
        if obj is not None and permissions.sees_committee_work(request.user, obj):
            return [ReviewInline, EventInline]
        return [CandidateOnlyEventInline]

    def get_fields(self, request, obj=None):
        if obj is not None and not permissions.sees_committee_work(request.user, obj):
            return [f for f in self.fields if f != "votes"]
        return self.fields

    @admin.display(description="move", ordering="to_level__rank")
    def move(self, promotion):
        return f"{promotion.from_level.code} → {promotion.to_level.code}"

    @admin.display(description="days open")
    def days_open(self, promotion):
        end = promotion.decided_at or timezone.now()
        return (end - promotion.created_at).days

    @admin.display(description="votes recorded (approve / reject)")
    def votes(self, promotion):
        if promotion.viewer_involved:
            return "—"
        return f"{promotion.approvals} / {promotion.rejections}"

    @admin.display(description="candidate's current level")
    def candidate_level(self, promotion):
        return promotion.candidate.level

    @admin.display(description="career history")
    def career_history(self, promotion):
        changes = promotion.candidate.level_changes.select_related("from_level", "to_level")
        rows = format_html_join(
            "",
            "{}: {} → {}<br>",
            ((c.effective_date, c.from_level.code, c.to_level.code) for c in changes),
        )
        member = promotion.candidate
        return format_html("{}at {} since {}", rows, member.level.code, member.level_since)

    # --- the committee's buttons ---------------------------------------------------------------

    def get_urls(self):
        act = self.admin_site.admin_view(self.act_view)
        return [
            path("<path:object_id>/act/", act, name="promotions_promotion_act"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        promotion = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if promotion is not None:
            selectors.with_available_transitions(user=request.user, promotions=[promotion])
            extra_context.update(
                available_transitions=promotion.available_transitions,
                may_review=permissions.allows(request.user, permissions.REVIEW, promotion),
                decisions=Decision.choices,
                my_review=promotion.reviews.filter(reviewer=request.user).first(),
                act_url=reverse("admin:promotions_promotion_act", args=[promotion.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def act_view(self, request, object_id):
        """Runs one transition or records the user's review, through the services."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        promotion = self.get_object(request, object_id)
        if promotion is None or not self.has_view_permission(request, promotion):
            raise PermissionDenied
        change_url = reverse("admin:promotions_promotion_change", args=[promotion.pk])
        action = request.POST.get("action", "")
        note = request.POST.get("note", "")[:5000]
        try:
            if action == permissions.REVIEW:
                services.promotion_review(
                    promotion=promotion,
                    reviewer=request.user,
                    decision=request.POST.get("decision", ""),
                    comment=request.POST.get("comment", "")[:5000],
                )
                messages.success(request, "Your review is recorded.")
            elif action in services.TRANSITION_SERVICES:
                services.TRANSITION_SERVICES[action](
                    promotion=promotion, actor=request.user, note=note
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
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            messages.error(request, f"Refused: {exc.message}")
        return HttpResponseRedirect(change_url)


@admin.register(PromotionEvent)
class PromotionEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: read it, never add, change or delete it."""

    list_display = ["at", "promotion", "from_state", "to_state", "actor"]

    def get_queryset(self, request):
        # Actors and notes are the committee's: not for the candidate, nominator or manager.
        involved = Promotion.objects.filter(selectors.involving(request.user)).values("pk")
        return super().get_queryset(request).exclude(promotion__in=involved)

    list_filter = ["to_state"]
    list_select_related = [
        "promotion__candidate__user",
        "promotion__from_level",
        "promotion__to_level",
        "actor",
    ]
