"""The member site's appeal of a rejection (promotions/appeals/): the candidate on
/me/promotions/<id>/, the nominator on /nominations/<id>/, a statement within APPEAL_WINDOW_DAYS.
A thin view over the appeal service, as the API's `POST promotions/{id}/appeal/`; a refusal shows
the page again with what was typed and why, in words."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from portal.appeal_forms import AppealForm
from portal.views import _found, my_promotion_page, nomination_page
from promotions import permissions, selectors, services


@login_required
@require_POST
def appeal(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _found(
        selectors.promotion_get_visible_to, user=request.user, promotion_id=promotion_id
    )
    if not (
        permissions.is_candidate(request.user, promotion)
        or permissions.is_nominator(request.user, promotion)
    ):
        raise Http404
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            services.promotion_appeal(
                promotion=promotion, actor=request.user, statement=form.cleaned_data["statement"]
            )
        except DomainError as error:
            form.add_error("statement", error.message)
        else:
            messages.success(
                request,
                "Your appeal is sent: committee members who did not decide the case before will "
                "review it. You will hear from us when they decide.",
            )
            page = (
                "portal:my-promotion"
                if permissions.is_candidate(request.user, promotion)
                else "portal:nomination"
            )
            return redirect(page, promotion_id=promotion.pk)
    if permissions.is_candidate(request.user, promotion):
        return my_promotion_page(request, promotion, appeal_form=form)
    return nomination_page(request, promotion, appeal_form=form)
