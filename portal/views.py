"""The member site's pages: thin views over the apps' selectors and services. What a viewer may
see is the selectors' answer (404 for anything else), what they may do the services' (a refused
form keeps what was typed and says why in words)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts import sso
from core import roles
from core.errors import DomainError, NotFound
from ladder.selectors import (
    level_criteria,
    level_get,
    levels_criteria,
    member_has_reports,
    member_me,
    member_of,
)
from ladder.services import PASSWORD_CHANGED, member_change_record
from notifications.models import Channel
from notifications.selectors import notification_get_for, notification_inbox, slack_for
from notifications.services import channel_turn, notification_mark_read
from portal.appeal_forms import appeal_context
from portal.delegation_forms import me_delegations_context
from portal.forms import NoteForm, PacketForm
from portal.request_forms import me_requests_context, team_requests_context
from portal.words import candidate_event_label, candidate_state, nominator_next
from promotions import own, permissions, release, selectors, services
from promotions.eligibility import members_eligibility, months_between
from promotions.models import OPEN_STATES, PromotionState
from promotions.packets import services as packets
from promotions.requests.selectors import requests_pending_for

INBOX_PAGE_SIZE = 25


def render_page(request: HttpRequest, template: str, context: dict, *, section: str = ""):
    """A page of the site, with what its header shows: two small queries."""
    me = member_of(request.user)
    nav = {
        "is_member": me is not None,
        "manages": me is not None and member_has_reports(member=me),
        "unread": notification_inbox(user=request.user, unread_only=True).count(),
    }
    return render(request, template, {**context, "nav": nav, "section": section})


def _found(read, **kwargs):
    """A selector's answer, its not-found as the site's 404 page."""
    try:
        return read(**kwargs)
    except NotFound:
        raise Http404 from None


class SignInView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **sso.button_context()}


class PasswordChangeView(auth_views.PasswordChangeView):
    """One's own password change, kept in the audit trail of people's records as the admin's is
    (older API tokens stop working by themselves: they were issued under the old password)."""

    template_name = "portal/password_change.html"
    success_url = reverse_lazy("portal:password_change_done")

    def form_valid(self, form):
        with transaction.atomic():  # the new password and its record, or neither
            response = super().form_valid(form)
            member_change_record(
                actor=self.request.user,
                user=self.request.user,
                changes=PASSWORD_CHANGED,
                route="site",
            )
        return response


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # Each as the candidate may see it: a decision held for a release date is not told yet.
    promotions = [
        release.as_seen_by(request.user, promotion)
        for promotion in own.candidate_promotions(user=request.user)[:1]
    ]
    latest = promotions[0] if promotions else None
    nominations = own.nominations_by(user=request.user)
    context = {
        "member": member_of(request.user),
        "latest": latest,
        "latest_words": candidate_state(latest.state) if latest else None,
        # What waits: every open nomination, then the five latest decided.
        "open_nominations": list(nominations.filter(state__in=OPEN_STATES)),
        "decided_nominations": list(nominations.exclude(state__in=OPEN_STATES)[:5]),
        "requests_waiting": len(requests_pending_for(user=request.user)),
    }
    return render_page(request, "portal/home.html", context, section="home")


@login_required
@require_safe
def me(request: HttpRequest) -> HttpResponse:
    context = {**me_context(request), **me_delegations_context(request.user)}
    return render_page(request, "portal/me.html", context, section="me")


def me_context(request: HttpRequest) -> dict:
    """What /me/ shows (its delegations apart: portal/delegation_forms.py); 404 for a user with no
    member record."""
    member = _found(member_me, user=request.user)
    today = timezone.localdate()
    next_levels = members_eligibility(members=[member], today=today)[member.pk]
    criteria = levels_criteria(levels=[blockers.level for blockers in next_levels])
    return {
        "member": member,
        "months_in_level": months_between(member.level_since, today),
        "next_levels": [(blockers, criteria[blockers.level.pk]) for blockers in next_levels],
        "history": own.level_history(member=member),
        "promotions": [
            release.as_seen_by(request.user, promotion)
            for promotion in own.candidate_promotions(user=request.user)
        ],
        "slack": slack_for(user=request.user),
        **me_requests_context(member),
    }


@login_required
@require_POST
def me_slack(request: HttpRequest) -> HttpResponse:
    """Turn one's own Slack messages on or off (`slack`: "on" or "off"); e-mail stays on."""
    _found(member_me, user=request.user)
    if slack_for(user=request.user) is None:
        raise Http404("This site sends no Slack messages.")
    choice = request.POST.get("slack")
    if choice not in ("on", "off"):
        messages.error(request, "Choose whether to receive Slack messages.")
        return redirect("portal:me")
    channel_turn(user=request.user, channel=Channel.SLACK, on=choice == "on")
    messages.success(
        request,
        "Slack messages are on." if choice == "on" else "Slack messages are off; e-mail stays on.",
    )
    return redirect(reverse("portal:me") + "#notifications")


@login_required
@require_safe
def my_promotion(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _found(own.promotion_of_candidate, user=request.user, promotion_id=promotion_id)
    return my_promotion_page(request, promotion)


def my_promotion_page(request: HttpRequest, promotion, *, appeal_form=None) -> HttpResponse:
    """The candidate's page of their promotion (with an appeal form refused, as it was typed)."""
    # A decision held for the cycle's release date: the page as it was before it.
    events = release.timeline_as_seen_by(
        request.user, promotion, list(selectors.promotion_timeline(promotion=promotion))
    )
    promotion = release.as_seen_by(request.user, promotion)
    context = {
        "promotion": promotion,
        "words": candidate_state(promotion.state),
        # States and dates only: the page shows no actor and no note.
        "events": events,
        "packet": packets.packet_current(promotion=promotion),
        **appeal_context(request.user, promotion, appeal_form),
    }
    for event in events:  # as the candidate reads each state (awaiting an executive: in review)
        event.label = candidate_event_label(event)
    return render_page(request, "portal/my_promotion.html", context, section="me")


@login_required
@require_safe
def team(request: HttpRequest) -> HttpResponse:
    context = {**team_context(request.user), **team_requests_context(request.user)}
    return render_page(request, "portal/team.html", context, section="team")


def team_context(user) -> dict:
    """The team page's reports (portal/request_views.py renders it too, with a refused answer)."""
    return {"rows": own.team_of(user=user, today=timezone.localdate())}


@login_required
def nominate(request: HttpRequest, member_id: int, level_code: str) -> HttpResponse:
    try:
        candidate = selectors.candidate_for_nomination(user=request.user, member_id=member_id)
        to_level = level_get(code=level_code)
    except DomainError:  # one the viewer may not see, or no such level
        raise Http404 from None
    if not permissions.may_nominate(request.user, candidate):
        raise Http404  # the committee sees every member, and nominates none
    # Only a move of the ladder from the candidate's level has a form (a deactivated one says so).
    moves = members_eligibility(members=[candidate])[candidate.pk]
    move = next((blockers for blockers in moves if blockers.level.pk == to_level.pk), None)
    if move is None:
        raise Http404
    hr = roles.is_hr(request.user)
    criteria = level_criteria(level=to_level)
    posted = request.POST if request.method == "POST" else None
    form = PacketForm(posted, criteria=criteria, hr=hr)
    reasons: list[dict] = []
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.promotion_nominate(
                candidate=candidate,
                to_level=to_level,
                nominated_by=request.user,
                justification=form.cleaned_data["justification"],
                evidence=form.evidence(),
                off_cycle_reason=form.cleaned_data.get("off_cycle_reason", ""),
                eligibility_override_reason=form.cleaned_data.get(
                    "eligibility_override_reason", ""
                ),
            )
        except DomainError as error:
            reasons = error.extra.get("reasons") or []
            if not reasons:
                form.refuse_whole_packet(error, to_level)
        else:
            messages.success(
                request,
                f"{candidate.name} is nominated for {to_level.title}. The committee has been told.",
            )
            return redirect("portal:nomination", promotion_id=promotion.pk)
    if request.method == "GET":
        reasons = move.reasons
    context = {
        "candidate": candidate,
        "to_level": to_level,
        "form": form,
        "reasons": reasons,
        "hr": hr,
        # The cycle it joins reviews blind: the packet should not name the candidate.
        "blind_cycle": move.cycle is not None and move.cycle.blind_review,
    }
    return render_page(request, "portal/nominate.html", context, section="team")


def _nomination_context(request, promotion, form=None) -> dict:
    user = request.user
    allowed = selectors.available_transitions(user=user, promotions=[promotion])[promotion.pk]
    versions = packets.packet_versions(promotion=promotion)
    editable = permissions.allows(user, permissions.SUBMIT_PACKET, promotion)
    if form is None and editable:
        form = PacketForm(
            initial=PacketForm.initial_from(versions[-1]),
            criteria=level_criteria(level=promotion.to_level),
        )
    return {
        "promotion": promotion,
        "next_step": nominator_next(promotion.state),
        "note": promotion.changes_requested_note
        if permissions.reads_changes_requested_note(user, promotion)
        and promotion.state == PromotionState.CHANGES_REQUESTED
        else "",
        "versions": versions,
        "current": versions[-1],
        # A refused form stays, with what was typed and why, even when the packet may no longer
        # change (the committee started its review meanwhile).
        "form": form if editable or (form is not None and form.is_bound) else None,
        "may_resubmit": permissions.RESUBMIT in allowed,
        "may_withdraw": permissions.WITHDRAW in allowed,
        # A decision held for the cycle's release date: released once the candidate was told.
        "may_release": permissions.RELEASE in allowed,
    }


@login_required
def nomination(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _found(own.promotion_of_nominator, user=request.user, promotion_id=promotion_id)
    return nomination_page(request, promotion)


def nomination_page(request: HttpRequest, promotion, *, appeal_form=None) -> HttpResponse:
    """The nominator's page of their nomination: a new packet version posted here (with an
    appeal form refused, as it was typed)."""
    form = None
    if request.method == "POST":  # a new version of the packet
        form = PacketForm(request.POST, criteria=level_criteria(level=promotion.to_level))
        if form.is_valid():
            try:
                version = packets.packet_submit(
                    promotion=promotion,
                    actor=request.user,
                    justification=form.cleaned_data["justification"],
                    evidence=form.evidence(),
                )
            except DomainError as error:
                form.refuse_whole_packet(error, promotion.to_level)
            else:
                follow = (
                    " Resubmit it to the committee when you are ready."
                    if promotion.state == PromotionState.CHANGES_REQUESTED
                    else ""
                )
                messages.success(request, f"Version {version.number} is saved.{follow}")
                return redirect("portal:nomination", promotion_id=promotion.pk)
    context = {
        **_nomination_context(request, promotion, form),
        **appeal_context(request.user, promotion, appeal_form),
    }
    return render_page(request, "portal/nomination.html", context, section="team")


@login_required
@require_POST
def resubmit(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _found(own.promotion_of_nominator, user=request.user, promotion_id=promotion_id)
    try:
        services.promotion_resubmit(promotion=promotion, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Resubmitted: the committee has been told.")
    return redirect("portal:nomination", promotion_id=promotion.pk)


@login_required
def withdraw(request: HttpRequest, promotion_id: int) -> HttpResponse:
    """Asks first (GET); withdraws on the confirmation (POST)."""
    promotion = _found(own.promotion_of_nominator, user=request.user, promotion_id=promotion_id)
    if request.method == "GET" and not permissions.allows(
        request.user, permissions.WITHDRAW, promotion
    ):
        state = promotion.get_state_display().lower()
        messages.info(request, f"This nomination is {state}: it can no longer be withdrawn.")
        return redirect("portal:nomination", promotion_id=promotion.pk)
    form = NoteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.promotion_withdraw(
                promotion=promotion, actor=request.user, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The nomination is withdrawn.")
        return redirect("portal:nomination", promotion_id=promotion.pk)
    context = {"promotion": promotion, "form": form}
    return render_page(request, "portal/withdraw.html", context, section="team")


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_inbox(user=request.user), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render_page(request, "portal/inbox.html", {"page": page}, section="inbox")


@login_required
@require_POST
def inbox_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = _found(notification_get_for, user=request.user, notification_id=notification_id)
    notification_mark_read(notification=notification)
    return redirect("portal:inbox")
