"""The member site's pages: thin views over the apps' selectors and services. What a viewer may
see is the selectors' answer (404 for anything else), what they may do the services' (a refused
form keeps what was typed and says why in words)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ladder.selectors import member_has_reports, member_of
from notifications.selectors import notification_inbox


def render_page(request: HttpRequest, template: str, context: dict, *, section: str = ""):
    """A page of the site, with what its header shows: two small queries."""
    me = member_of(request.user)
    nav = {
        "is_member": me is not None,
        "manages": me is not None and member_has_reports(member=me),
        "unread": notification_inbox(user=request.user, unread_only=True).count(),
    }
    return render(request, template, {**context, "nav": nav, "section": section})


class SignInView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portal/home.html", {}, section="home")


@login_required
def me(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portal/home.html", {}, section="me")


@login_required
def my_promotion(request: HttpRequest, promotion_id: int) -> HttpResponse:
    return render_page(request, "portal/home.html", {}, section="me")


@login_required
def team(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portal/home.html", {}, section="team")


@login_required
def nominate(request: HttpRequest, member_id: int, level_code: str) -> HttpResponse:
    return render_page(request, "portal/home.html", {}, section="team")


@login_required
def nomination(request: HttpRequest, promotion_id: int) -> HttpResponse:
    return render_page(request, "portal/home.html", {}, section="team")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portal/home.html", {}, section="inbox")
