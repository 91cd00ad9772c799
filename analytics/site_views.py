"""The member site's page of one's own demographics (/me/demographics/, docs/analytics.md):
optional, self-reported, given, changed or withdrawn here or over the API. Thin over
analytics.demographics."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from analytics import demographics
from analytics.forms import MyDemographicsForm
from core.errors import DomainError, NotFound
from ladder.selectors import member_me
from portal.views import render_page


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_demographics(request: HttpRequest) -> HttpResponse:
    try:
        member = member_me(user=request.user)
    except NotFound:
        raise Http404("You have no member record.") from None
    current = demographics.member_choices(member=member)
    if request.method == "POST":
        form = MyDemographicsForm(request.POST, current=current)
        if form.is_valid():
            try:
                demographics.member_values_set(member=member, values=form.values())
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Your answers are saved.")
                return redirect("me-demographics")
    else:
        form = MyDemographicsForm(
            initial=demographics.member_values(member=member), current=current
        )
    return render_page(request, "analytics/my_demographics.html", {"form": form}, section="me")
