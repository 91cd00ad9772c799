"""The member site's release of a decision held for its cycle's release date
(promotions/release.py): the nominator, on their nomination's page, and the candidate's manager, on
/team/, release it once they have told the candidate. A thin view over the release service, as
the API's `POST promotions/{id}/release/`."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from portal.views import _found
from promotions import release, selectors
from promotions.pages import promotion_page_for


@login_required
@require_POST
def release_decision(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _found(
        selectors.promotion_get_visible_to, user=request.user, promotion_id=promotion_id
    )
    try:
        promotion = release.promotion_release(promotion=promotion, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Released: {promotion.candidate.name} can now read the committee's decision."
        )
    user_id = cast(int, request.user.pk)  # signed in (login_required)
    return redirect(promotion_page_for(promotion, user_id=user_id))
