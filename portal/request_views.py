"""The member site's pages of nomination requests (docs/member-site.md): a member asks their
manager on /me/request/<level>/; the manager answers on /team/. Thin views over
promotions.requests' selectors and services, as the API's."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotFound
from ladder.selectors import level_criteria, level_get, member_me
from portal.request_forms import DeclineForm, RequestForm, team_requests_context
from portal.views import render_page, team_context
from promotions.eligibility import member_eligibility
from promotions.errors import ErrorCode
from promotions.requests import selectors, services
from promotions.requests.errors import RequestPending
from promotions.requests.models import NominationRequest


@login_required
def request_nomination(request: HttpRequest, level_code: str) -> HttpResponse:
    try:
        member = member_me(user=request.user)
        to_level = level_get(code=level_code)
    except DomainError:  # no member record, or no such level
        raise Http404 from None
    moves = member_eligibility(member=member, today=timezone.localdate())
    move = next((blockers for blockers in moves if blockers.level.pk == to_level.pk), None)
    if move is None:  # only a move of the ladder from the member's level has a form
        raise Http404
    criteria = level_criteria(level=to_level)
    form = RequestForm(request.POST if request.method == "POST" else None, criteria=criteria)
    reasons: list[dict] = []
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.nomination_request_create(
                user=request.user,
                to_level=to_level,
                justification=form.cleaned_data["justification"],
                evidence=form.evidence(),
            )
        except DomainError as error:
            reasons = error.extra.get("reasons") or []  # not eligible: every reason, in words
            if error.code in (ErrorCode.NO_MANAGER, ErrorCode.NOMINATION_REQUEST_PENDING):
                refusal = error.message
            elif not reasons:
                form.refuse_whole_packet(error, to_level)
        else:
            manager = member.manager.name if member.manager else "your manager"
            messages.success(
                request,
                f"Your request for {to_level.title} is with {manager}. "
                "You will hear of the answer here and by e-mail.",
            )
            return redirect(reverse("portal:me") + "#requests")
    if request.method == "GET":
        reasons = move.reasons
        try:
            services.ensure_may_ask(request.user)
        except DomainError as error:
            refusal = error.message
        else:
            if selectors.has_pending_request(member=member):
                refusal = RequestPending.default_message
    context = {
        "member": member,
        "to_level": to_level,
        "form": form,
        "reasons": reasons,
        "refusal": refusal,
    }
    return render_page(request, "portal/request.html", context, section="me")


def _answerable(request: HttpRequest, request_id: int) -> NominationRequest:
    """A request the user may answer (its member's manager, HR), or the site's 404: the member
    sees their own request on /me/ and answers nothing."""
    try:
        found = selectors.request_get_visible_to(user=request.user, request_id=request_id)
    except NotFound:
        raise Http404 from None
    if not selectors.may_answer(request.user, found):
        raise Http404
    return found


def _reasons_in_words(error: DomainError) -> str:
    reasons = error.extra.get("reasons") or []
    if not reasons:
        return error.message
    return error.message + " " + " ".join(reason["detail"] for reason in reasons)


@login_required
@require_POST
def request_accept(request: HttpRequest, request_id: int) -> HttpResponse:
    """Accept: nominate the member with their packet, then open the new nomination."""
    nomination_request = _answerable(request, request_id)
    try:
        nomination_request = services.nomination_request_accept(
            request=nomination_request, actor=request.user
        )
    except DomainError as error:
        messages.error(
            request,
            f"{nomination_request.member.name} was not nominated: {_reasons_in_words(error)}",
        )
        return redirect(reverse("portal:team") + f"#request-{request_id}")
    messages.success(
        request,
        f"{nomination_request.member.name} is nominated for "
        f"{nomination_request.to_level.title} with their packet. The committee has been told.",
    )
    assert nomination_request.promotion_id is not None
    return redirect("portal:nomination", promotion_id=nomination_request.promotion_id)


@login_required
@require_POST
def request_decline(request: HttpRequest, request_id: int) -> HttpResponse:
    """Decline with a reason; a refused form stays on /team/ with what was typed."""
    nomination_request = _answerable(request, request_id)
    form = DeclineForm(request.POST, request=nomination_request)
    if form.is_valid():
        try:
            services.nomination_request_decline(
                request=nomination_request, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            if error.code == ErrorCode.REASON_REQUIRED:
                form.add_error("reason", error.message)
            else:
                messages.error(request, error.message)
                return redirect(reverse("portal:team") + f"#request-{request_id}")
        else:
            messages.success(
                request,
                f"You declined {nomination_request.member.name}'s request; they can read why.",
            )
            return redirect("portal:team")
    context = {
        **team_context(request.user),
        **team_requests_context(request.user, refused=(request_id, form)),
    }
    return render_page(request, "portal/team.html", context, section="team")
