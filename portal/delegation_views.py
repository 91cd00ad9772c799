"""The member site's pages of delegations (docs/member-site.md): a committee member or an
Executive names a delegate for their seat on /me/, and revokes one. Thin views over
promotions.delegations' services, as the API's; a refusal is said in words on /me/, the form
keeping what was chosen."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotFound
from portal.delegation_forms import DelegationForm, me_delegations_context
from portal.views import me_context, render_page
from promotions.delegations import selectors, services


def _back() -> HttpResponse:
    return redirect(reverse("portal:me") + "#delegations")


@login_required
@require_POST
def delegation_create(request: HttpRequest) -> HttpResponse:
    if not selectors.seat_roles_of(request.user):
        raise Http404
    form = DelegationForm(request.POST, user=request.user)
    delegate = None
    if form.is_valid():
        delegate = get_user_model().objects.filter(username=form.cleaned_data["delegate"]).first()
        if delegate is None:  # gone since the page was drawn
            form.add_error("delegate", "Choose someone holding the same role.")
    if delegate is not None:
        try:
            services.delegation_create(
                actor=request.user,
                delegator=request.user,
                delegate=delegate,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"{delegate.get_full_name() or delegate.get_username()} holds your seat from "
                f"{form.cleaned_data['starts_on']:%-d %B %Y} to "
                f"{form.cleaned_data['ends_on']:%-d %B %Y}.",
            )
            return _back()
    context = {**me_context(request), **me_delegations_context(request.user, form=form)}
    return render_page(request, "portal/me.html", context, section="me")


@login_required
@require_POST
def delegation_revoke(request: HttpRequest, delegation_id: int) -> HttpResponse:
    try:
        delegation = selectors.delegation_get_visible_to(
            user=request.user, delegation_id=delegation_id
        )
        services.delegation_revoke(actor=request.user, delegation=delegation)
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.message)
        return _back()
    messages.success(request, "The delegation is revoked: your seat is yours again.")
    return _back()
