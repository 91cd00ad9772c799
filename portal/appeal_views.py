"""The member site's appeal of a rejection (promotions/appeals/): the candidate on
/me/promotions/<id>/, the nominator on /nominations/<id>/, a statement within APPEAL_WINDOW_DAYS.
A thin view over the appeal service, as the API's `POST promotions/{id}/appeal/`; a refusal shows
the page again with what was typed and why, in words."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.validators import GuardedForm
from promotions import permissions, selectors
from promotions.appeals import services as appeals
from promotions.appeals.models import STATEMENT_LIMIT
from promotions.models import PromotionState
from promotions.pages import promotion_page_for


class AppealForm(GuardedForm):
    statement = forms.CharField(
        label="Why the decision should change",
        max_length=STATEMENT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Committee members who did not decide it before read it, with the packet.",
        error_messages={
            "required": "Say why the decision should change: a statement is required.",
            "max_length": f"A statement is at most {STATEMENT_LIMIT:,} characters.",
        },
    )


def appeal_context(user, promotion, form: AppealForm | None = None) -> dict:
    """What a rejected case's page shows of an appeal: the deadline, and the form while the
    window is open (a refused form stays, as typed, with why, whatever the state now)."""
    if form is not None and form.is_bound:
        return {"appeal_deadline": appeals.appeal_deadline(promotion), "appeal_form": form}
    if promotion.state != PromotionState.REJECTED or not (
        permissions.is_candidate(user, promotion) or permissions.is_nominator(user, promotion)
    ):
        return {}
    deadline = appeals.appeal_deadline(promotion)
    is_open = deadline is not None and timezone.now() <= deadline
    if form is None and is_open:
        form = AppealForm()
    return {"appeal_deadline": deadline, "appeal_open": is_open, "appeal_form": form}


@login_required
@require_POST
def appeal(request: HttpRequest, promotion_id: int) -> HttpResponse:
    from portal.views import _found, my_promotion_page, nomination_page

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
            appeals.promotion_appeal(
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
            return redirect(promotion_page_for(promotion, user_id=request.user.pk))
    if permissions.is_candidate(request.user, promotion):
        return my_promotion_page(request, promotion, appeal_form=form)
    return nomination_page(request, promotion, appeal_form=form)
