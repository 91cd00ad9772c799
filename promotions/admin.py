"""The committee's daily tool. Every button calls the same service as the API, so recusal, quorum,
the stale-level guard and the audit trail hold here exactly as there. (django-fsm-2's
FSMAdminMixin would call the model's transitions directly and skip all of that.)"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.services import tokens_revoke_for
from ladder import roles
from ladder import services as ladder_services
from ladder.admin import ReadOnlyAdminMixin
from ladder.errors import DomainError
from ladder.models import Track
from ladder.validators import refuse_control_characters
from promotions import permissions, selectors, services
from promotions.models import Decision, Promotion, PromotionEvent, Review

User = get_user_model()


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
    fields = ["at", "from_state", "to_state", "actor", "note", "votes_at_decision"]
    readonly_fields = fields

    @admin.display(description="votes at the decision")
    def votes_at_decision(self, event):
        if not event.votes:
            return "—"
        return format_html_join(
            "",
            "{}: {} ({})<br>",
            (
                (v["reviewer"], v["decision"], "counted" if v["counted"] else v["why_not"])
                for v in event.votes
            ),
        )


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


class LadderUserAdmin(UserAdmin):
    """User accounts. HR manages them and grants committee membership (the groups); superusers'
    accounts are for superusers alone, and so are superuser status and raw permissions. It lives
    with the promotions because committee membership decides who votes: while HR's own promotion
    is open, this page is read-only for them (permissions.may_administer_accounts). Every change
    is kept in the audit trail of people's records, and a deactivation or a new password revokes
    the user's API tokens."""

    def get_queryset(self, request):
        users = super().get_queryset(request)
        return users if request.user.is_superuser else users.filter(is_superuser=False)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=roles.ROLE_GROUPS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name in ("first_name", "last_name"):
            if name in form.base_fields:
                form.base_fields[name].validators.append(refuse_control_characters)
        return form

    def has_add_permission(self, request):
        return super().has_add_permission(request) and permissions.may_administer_accounts(
            request.user
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and permissions.may_administer_accounts(
            request.user
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and permissions.may_administer_accounts(
            request.user
        )

    def user_change_password(self, request, id, form_url=""):
        if not self.has_change_permission(request):
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # the form was saved
            user = self.get_object(request, id)
            ladder_services.member_change_record(
                actor=request.user,
                user=user,
                changes={"password": {"from": None, "to": "changed"}},
                route="admin",
            )
            tokens_revoke_for(user=user)
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        request._account_changes = _account_changes(form)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        ladder_services.user_grant_staff_for_roles(user=user)
        changes = {**getattr(request, "_account_changes", {}), **_group_changes(form)}
        ladder_services.member_change_record(
            actor=request.user, user=user, changes=changes, route="admin"
        )
        if not user.is_active or "password" in changes:
            tokens_revoke_for(user=user)


ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff")


def _account_changes(form) -> dict:
    changes = {
        field: {"from": form.initial.get(field), "to": form.cleaned_data.get(field)}
        for field in ACCOUNT_FIELDS
        if field in form.changed_data
    }
    if "password1" in form.changed_data:  # the add form: a first password
        changes["password"] = {"from": None, "to": "set"}
    return changes


def _group_changes(form) -> dict:
    if "groups" not in form.changed_data:
        return {}
    before = sorted(group.name for group in form.initial.get("groups", []))
    after = sorted(group.name for group in form.cleaned_data.get("groups", []))
    return {"groups": {"from": before, "to": after}}


admin.site.unregister(User)
admin.site.register(User, LadderUserAdmin)
