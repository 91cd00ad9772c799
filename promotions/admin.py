"""The committee's daily tool. Every button calls the same service as the API, so recusal, quorum,
the stale-level guard and the audit trail hold here exactly as there. (django-fsm-2's
FSMAdminMixin would call the model's transitions directly and skip all of that.)"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.html import format_html

from core import roles
from core.admin_mixins import HRExportMixin, ReadOnlyAdminMixin
from core.errors import DomainError
from ladder.models import Track
from promotions import blind, permissions, release, retention, selectors, services
from promotions.cycles import services as cycles
from promotions.cycles.calibration import DECISION_COLUMNS, csv_text, cycle_decisions
from promotions.cycles.page import cycle_page
from promotions.delegations.admin import DelegationAdmin
from promotions.delegations.models import Delegation
from promotions.delegations.selectors import seats_held_today
from promotions.desk import promotion_desk
from promotions.exports import PromotionResource
from promotions.forms import DecisionForm, ReviewForm
from promotions.models import RELEASED, Cycle, CycleState, Promotion, PromotionEvent
from promotions.packets import services as packets
from promotions.requests.admin import NominationRequestAdmin
from promotions.requests.models import NominationRequest


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
class PromotionAdmin(ReadOnlyAdminMixin, HRExportMixin, admin.ModelAdmin):
    """Read-only: nominations come from managers over the API, and the state changes only
    through the desk's forms (act_view), which call the services. HR exports the list as CSV
    (the Export button: the rows of the list as filtered)."""

    resource_classes = [PromotionResource]

    change_form_template = "admin/promotions/promotion/desk.html"
    list_display = ["candidate_shown", "move", "state", "nominator_shown", "days_open", "votes"]
    list_display_links = ["candidate_shown"]
    list_filter = [NeedsMyVoteFilter, OverdueFilter, "state", "to_level", TrackFilter]
    search_fields = [
        "candidate__user__username",
        "candidate__user__first_name",
        "candidate__user__last_name",
    ]
    list_per_page = 50
    # The desk template shows the rest (promotions/desk.py).
    fields = readonly_fields = ("state",)
    # HR's, through promotions/retention.py (docs/data-rights.md); nobody else sees them.
    actions = ["put_on_legal_hold", "clear_legal_hold"]

    def get_actions(self, request):
        return super().get_actions(request) if roles.is_hr(request.user) else {}

    def get_list_filter(self, request):
        # HR finds the promotions on legal hold, to clear them once the matter is over.
        filters = list(super().get_list_filter(request))
        return [*filters, "legal_hold"] if roles.is_hr(request.user) else filters

    @admin.action(description="Put on legal hold (keeps their text past retention)")
    def put_on_legal_hold(self, request, queryset):
        if not roles.is_hr(request.user):
            raise PermissionDenied
        promotions = list(queryset.order_by("id"))
        reason = request.POST.get("legal_hold_reason", "").strip()
        if "apply" not in request.POST or not reason:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "promotions": promotions,
                "reason": reason,
                "error": "Give the reason for the legal hold." if "apply" in request.POST else "",
                "title": "Legal hold",
            }
            return TemplateResponse(request, "admin/promotions/promotion/legal_hold.html", context)
        return self._each(
            request,
            promotions,
            lambda p: retention.promotion_legal_hold_set(
                actor=request.user, promotion=p, reason=reason
            ),
            "on legal hold",
        )

    @admin.action(description="Clear legal hold")
    def clear_legal_hold(self, request, queryset):
        if not roles.is_hr(request.user):
            raise PermissionDenied
        return self._each(
            request,
            list(queryset.order_by("id")),
            lambda p: retention.promotion_legal_hold_clear(actor=request.user, promotion=p),
            "cleared of legal hold",
        )

    def _each(self, request, promotions, change, done: str) -> None:
        changed = 0
        for promotion in promotions:
            try:
                change(promotion)
            except DomainError as exc:
                self.message_user(request, f"#{promotion.pk}: {exc.message}", messages.WARNING)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{changed} promotion(s) {done}.", messages.SUCCESS)

    def get_queryset(self, request):
        promotions = super().get_queryset(request).select_related(*selectors.PROMOTION_WITH_PEOPLE)
        # A recused viewer sees their own promotion without its votes (as in the API).
        involved = ExpressionWrapper(permissions.involving(request.user), BooleanField())
        # Staff who are the candidate of a decision held for its release date do not read it
        # here either (promotions/release.py).
        promotions = promotions.exclude(release.held_from(request.user))
        # The cases the viewer reads blind (promotions/blind.py): in the same query.
        blinded = ExpressionWrapper(blind.blind_to(request.user), BooleanField())
        return selectors.with_vote_counts(promotions).annotate(
            viewer_involved=involved, viewer_blind=blinded
        )

    def get_search_results(self, request, queryset, search_term):
        # Searched by the candidate's name: never a case the viewer reads blind. Nor listed by
        # the admin's autocomplete (for any field naming a promotion), which labels each with
        # its candidate's name (str).
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = request.resolver_match
        if search_term.strip() or (match is not None and match.url_name == "autocomplete"):
            found = found.exclude(blind.blind_to(request.user))
        return found, may_have_duplicates

    # No ordering by these two: sorted by name, a blind list would tell the names' order.
    @admin.display(description="candidate")
    def candidate_shown(self, promotion):
        if getattr(promotion, "viewer_blind", False):
            return blind.pseudonym(promotion.pk)
        return str(promotion.candidate)

    @admin.display(description="nominated by")
    def nominator_shown(self, promotion):
        if getattr(promotion, "viewer_blind", False):
            return "—"
        return str(promotion.nominated_by)

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
            # A form the desk just refused comes back as it was typed, with its errors.
            refused = refused_input(request, promotion)
            typed = {refused["form"]: refused["data"]} if refused else {}
            review_form = ReviewForm(
                typed.get(REVIEW_FORM),
                initial=initial,
                criteria=packets.packet_current(promotion=promotion).evidence,
                seats=seats_held_today(user=request.user),
            )
            decision_form = DecisionForm(typed.get(DECISION_FORM))
            if refused.get("reason"):
                form = review_form if refused["form"] == REVIEW_FORM else decision_form
                form.add_error(refused["field"], refused["reason"])
            if desk.blind:  # the admin's subtitle names the object (str: the candidate's name)
                extra_context.update(subtitle=desk.title)
            extra_context.update(
                desk=desk,
                review_form=review_form,
                decision_form=decision_form,
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
        form: forms.Form | None = None
        try:
            if action == permissions.REVIEW:
                form = ReviewForm(
                    request.POST,
                    criteria=packets.packet_current(promotion=promotion).evidence,
                    seats=seats_held_today(user=request.user),
                )
                if form.is_valid():
                    seat = form.cleaned_data.get("on_behalf_of") or None
                    services.promotion_review(
                        promotion=promotion,
                        reviewer=request.user,
                        decision=form.cleaned_data["decision"],
                        comment=form.cleaned_data["comment"],
                        ratings=form.ratings(),
                        on_behalf_of=seat,
                    )
                    messages.success(
                        request,
                        f"Your review for {seat}'s seat is recorded."
                        if seat
                        else "Your review is recorded.",
                    )
            elif action in services.TRANSITION_SERVICES:
                form = DecisionForm(request.POST)
                if form.is_valid():
                    services.TRANSITION_SERVICES[action](
                        promotion=promotion, actor=request.user, note=form.cleaned_data["note"]
                    )
                    promotion = Promotion.objects.select_related("candidate__level", "cycle").get(
                        pk=promotion.pk
                    )
                    who = (
                        blind.pseudonym(promotion.pk)
                        if blind.is_blind_for(request.user, promotion)
                        else promotion.candidate
                    )
                    messages.success(
                        request,
                        f"Done: the promotion is now {promotion.get_state_display().lower()}; "
                        f"{who} is at {promotion.candidate.level}.",
                    )
            else:
                messages.error(request, "Unknown action.")
            if form is not None and form.errors:
                for errors in form.errors.values():
                    messages.error(request, f"Refused: {' '.join(str(e) for e in errors)}")
                return back_to_refused_form(request, promotion, form)
        except DomainError as exc:
            messages.error(request, f"Refused: {exc.message}")
            if form is not None:
                return back_to_refused_form(request, promotion, form, exc)
        return HttpResponseRedirect(change_url)


# A form the desk refused goes back to the desk as the user typed it: what they typed and why it was
# refused are kept in the session across the redirect (post, redirect, get: a reload never posts
# again), for one showing of that promotion's desk, which opens at that form.
REFUSED_INPUT = "promotions.desk.refused_input"
REVIEW_FORM, DECISION_FORM = "review", "decision"
FORM_ANCHORS = {REVIEW_FORM: "your-review", DECISION_FORM: "transitions"}


def back_to_refused_form(
    request, promotion: Promotion, form: forms.Form, refusal: DomainError | None = None
):
    which = REVIEW_FORM if isinstance(form, ReviewForm) else DECISION_FORM
    typed = {name: request.POST.getlist(name) for name in form.fields if name in request.POST}
    # `refusal`: the service's, of a form that was valid; shown in the form, beside the field its
    # code names ("comment_required": the comment) or above the fields.
    named = [name for name in form.fields if refusal and name in str(refusal.code)]
    request.session[REFUSED_INPUT] = {
        "promotion": promotion.pk,
        "form": which,
        "data": typed,
        "reason": refusal.message if refusal else "",
        "field": named[0] if named else None,
    }
    change_url = reverse("admin:promotions_promotion_change", args=[promotion.pk])
    return HttpResponseRedirect(f"{change_url}#{FORM_ANCHORS[which]}")


def refused_input(request, promotion: Promotion) -> dict:
    """What was typed into the form refused on this promotion's desk, taken out of the session
    (shown once): {"form": REVIEW_FORM or DECISION_FORM, "data", "reason", "field"}, or {}."""
    kept = request.session.pop(REFUSED_INPUT, None) or {}
    if kept.get("promotion") != promotion.pk:
        return {}
    return {**kept, "data": MultiValueDict(kept["data"])}


@admin.register(PromotionEvent)
class PromotionEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: read it, never add, change or delete it. A case the viewer reads blind
    shows its pseudonym and hides its involved actors, in the list and on an event's page."""

    list_display = ["at", "promotion_shown", "from_state", "to_state", "actor_shown"]
    # An event's page: the promotion and the actor as the list shows them (the model's own
    # fields would name the candidate, str(promotion), and the nominator).
    fields = readonly_fields = (
        "promotion_shown",
        "from_state",
        "to_state",
        "actor_shown",
        "note",
        "votes",
        "at",
    )

    def get_queryset(self, request):
        # Actors and notes are the committee's: not for the candidate, nominator or manager.
        involved = Promotion.objects.filter(permissions.involving(request.user)).values("pk")
        # Cases read blind (promotions/blind.py) show their pseudonym, in the same query.
        blinded = Promotion.objects.filter(blind.blind_to(request.user)).values("pk")
        return (
            super()
            .get_queryset(request)
            .exclude(promotion__in=involved)
            .annotate(viewer_blind=ExpressionWrapper(Q(promotion__in=blinded), BooleanField()))
        )

    @admin.display(description="promotion")
    def promotion_shown(self, event):
        if event.viewer_blind:
            return f"{blind.pseudonym(event.promotion_id)}: {event.promotion.to_level.code}"
        return str(event.promotion)

    @admin.display(description="actor")
    def actor_shown(self, event):
        if event.actor is None or (event.viewer_blind and _knows_the_candidate(event)):
            return "—"
        return str(event.actor)

    list_filter = ["to_state"]
    list_select_related = [
        "promotion__candidate__user",
        "promotion__candidate__manager",
        "promotion__from_level",
        "promotion__to_level",
        "actor",
    ]


def _knows_the_candidate(event: PromotionEvent) -> bool:
    """Whether the event's actor is one the timeline hides while blind (blind.hidden_actor_ids):
    someone involved, or whoever released a decision."""
    return event.to_state == RELEASED or event.actor_id in blind.involved_actor_ids(event.promotion)


# --- Promotion cycles ----------------------------------------------------------------------------


# A cycle's plan after its name and tracks: its dates, then whether it reviews blind.
CYCLE_PLAN = (*cycles.DATE_FIELDS, cycles.RELEASE_ON, cycles.BLIND_REVIEW)


class CycleForm(forms.ModelForm):
    """HR's plan of a cycle. The service validates and saves it (cycles.cycle_create, or
    cycle_update while a draft) when the form validates: the one moment the admin can still show a
    refusal (dates out of order, not a draft) as a form error, beside what HR typed."""

    actor = None  # the user, set per request by CycleAdmin.get_form
    tracks = forms.MultipleChoiceField(
        choices=Track.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The tracks of the target levels it takes. None ticked: both.",
    )

    class Meta:
        model = Cycle
        fields = ["name", "tracks", *CYCLE_PLAN]
        help_texts = {
            cycles.RELEASE_ON: "Optional, between decisions due and effective: until then the "
            "committee's decisions are held from the candidates (the nominator or their manager "
            "may release one sooner, once they have told them).",
            cycles.BLIND_REVIEW: "A blind first pass: committee members read each candidate under "
            "a pseudonym, without name, nominator or career, until they have voted on the current "
            "packet; HR reads all. Fixed once the cycle opens.",
        }

    def _post_clean(self):
        # Instead of the model's own validation: the service's, which also saves.
        if self.errors:
            return
        plan = {name: self.cleaned_data[name] for name in cycles.EDITABLE_FIELDS}
        try:
            if self.instance.pk is None:
                self.instance = cycles.cycle_create(actor=self.actor, **plan)
            else:
                self.instance = cycles.cycle_update(
                    actor=self.actor, cycle=self.instance, changes=plan
                )
        except DomainError as exc:
            self.add_error(None, exc.message)


# The cycle's transitions (the state machine says which start from its state), by button.
CYCLE_TRANSITIONS = {
    "open": ("Open for nominations", cycles.cycle_open),
    "calibrate": ("Close nominations and calibrate", cycles.cycle_calibrate),
    "close": ("Close the cycle", cycles.cycle_close),
}


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    """HR plans cycles (edited while a draft) and moves them on with the buttons of the change
    page; the committee reads them. Every write goes through promotions.cycles.services. Never
    deleted: promotions refer to them."""

    form = CycleForm
    change_form_template = "admin/promotions/cycle/change_form.html"
    list_display = [
        "name",
        "state",
        "calibration_link",
        "candidates",
        "tracks_taken",
        "nominations",
        "decisions_due_on",
        "effective_on",
    ]
    search_fields = ["name"]
    # A few cycles a year, newest first: no filters, so that every column fits beside the menu.
    readonly_fields = ["state", "tracks_taken"]
    actions = ["export_decisions"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(candidate_count=Count("promotions"))

    # --- who may do what (the services check again) ---

    def has_view_permission(self, request, obj=None):
        return roles.sees_everyone(request.user)

    def has_add_permission(self, request):
        return roles.is_hr(request.user)

    def has_change_permission(self, request, obj=None):
        return roles.is_hr(request.user) and (obj is None or obj.state == CycleState.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return roles.is_hr(request.user)

    # --- the form ---

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "tracks", *CYCLE_PLAN]
        if self.has_change_permission(request, obj):
            return ["state", "name", "tracks", *CYCLE_PLAN]
        return ["state", "name", "tracks_taken", *CYCLE_PLAN]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        pass  # saved by the service when the form validated (CycleForm)

    # --- columns ---

    @admin.display(description="tracks")
    def tracks_taken(self, cycle):
        if not cycle.tracks:
            return "Both"
        labels = dict(Track.choices)
        return ", ".join(labels[track] for track in cycle.track_list)

    @admin.display(description="nominations", ordering="nominations_open_on")
    def nominations(self, cycle):
        start, end = (
            date_format(day) for day in (cycle.nominations_open_on, cycle.nominations_close_on)
        )
        return f"{start} – {end}"

    @admin.display(description="candidates", ordering="candidate_count")
    def candidates(self, cycle):
        return cycle.candidate_count

    @admin.display(description="calibration")
    def calibration_link(self, cycle):
        url = reverse("admin:promotions_cycle_calibration", args=[cycle.pk])
        return format_html('<a href="{}">Board and stats</a>', url)

    # --- pages and buttons ---

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/calibration/",
                view(self.calibration_view),
                name="promotions_cycle_calibration",
            ),
            path(
                "<path:object_id>/transition/",
                view(self.transition_view),
                name="promotions_cycle_transition",
            ),
            path(
                "<path:object_id>/decisions.csv",
                view(self.decisions_view),
                name="promotions_cycle_decisions",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        cycle = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if cycle is not None and self.has_view_permission(request, cycle):
            buttons = []
            if roles.is_hr(request.user):
                buttons = [
                    (name, label)
                    for name, (label, _) in CYCLE_TRANSITIONS.items()
                    if cycles.state_allows(cycle, name)
                ]
            extra_context.update(
                transition_buttons=buttons,
                transition_url=reverse("admin:promotions_cycle_transition", args=[cycle.pk]),
                calibration_url=reverse("admin:promotions_cycle_calibration", args=[cycle.pk]),
                decisions_url=reverse("admin:promotions_cycle_decisions", args=[cycle.pk])
                if roles.is_hr(request.user)
                else None,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _cycle_or_redirect(self, request, object_id):
        cycle = self.get_object(request, object_id)
        if cycle is None:  # as the admin's own pages answer
            self.message_user(request, f"No cycle with ID “{object_id}”.", messages.WARNING)
            return None, HttpResponseRedirect(reverse("admin:index"))
        if not self.has_view_permission(request, cycle):
            raise PermissionDenied
        return cycle, None

    def calibration_view(self, request, object_id):
        """The calibration board and the statistics, with charts (committee and HR)."""
        cycle, redirect = self._cycle_or_redirect(request, object_id)
        if redirect:
            return redirect
        is_hr = roles.is_hr(request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{cycle.name}: calibration",
            "page": cycle_page(cycle=cycle, viewer=request.user),
            "change_url": reverse("admin:promotions_cycle_change", args=[cycle.pk]),
            "decisions_url": reverse("admin:promotions_cycle_decisions", args=[cycle.pk])
            if is_hr
            else None,
        }
        return TemplateResponse(request, "admin/promotions/cycle/calibration.html", context)

    def transition_view(self, request, object_id):
        """Runs one of the cycle's transitions (HR), through its service."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        cycle, redirect = self._cycle_or_redirect(request, object_id)
        if redirect:
            return redirect
        if not roles.is_hr(request.user):
            raise PermissionDenied
        name = request.POST.get("action", "")
        if name not in CYCLE_TRANSITIONS:
            messages.error(request, "Unknown action.")
        else:
            label, service = CYCLE_TRANSITIONS[name]
            try:
                cycle = service(actor=request.user, cycle=cycle)
            except DomainError as exc:
                messages.error(request, f"Refused: {exc.message}")
            else:
                messages.success(
                    request, f"Done: {cycle.name} is now {cycle.get_state_display().lower()}."
                )
        return HttpResponseRedirect(reverse("admin:promotions_cycle_change", args=[cycle.pk]))

    def decisions_view(self, request, object_id):
        cycle, redirect = self._cycle_or_redirect(request, object_id)
        if redirect:
            return redirect
        if not self.has_export_permission(request):
            raise PermissionDenied
        return decisions_csv(cycle)

    @admin.action(description="Export decisions (CSV)", permissions=["export"])
    def export_decisions(self, request, queryset):
        if queryset.count() != 1:
            messages.error(request, "Export one cycle at a time: select exactly one.")
            return None
        return decisions_csv(queryset.get())


def decisions_csv(cycle: Cycle) -> HttpResponse:
    """The cycle's decisions as the API exports them (a cell that a spreadsheet would run as a
    formula starts with a quote)."""
    response = HttpResponse(
        csv_text(cycle_decisions(cycle=cycle), DECISION_COLUMNS),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="cycle-{cycle.pk}-decisions.csv"'
    return response


# Delegations: HR's list (promotions/delegations/admin.py).
admin.site.register(Delegation, DelegationAdmin)

# Nomination requests: HR's list (promotions/requests/admin.py).
admin.site.register(NominationRequest, NominationRequestAdmin)
