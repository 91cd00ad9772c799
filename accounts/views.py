"""The invitation page of the member site: the invited person chooses a password, is signed in and
lands on the site's home. As Django's password-reset confirmation does, a working link's token is
moved into the session and the browser sent on to `/invite/set-password/`, so the token does not
stay in the address bar, the history or a Referer header."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.errors import InvitationInvalid
from accounts.forms import InvitationPasswordForm
from accounts.invitations import invitation_open
from core.errors import DomainError
from ladder.invitations import invitation_accept

SESSION_KEY = "_invitation_token"
URL_TOKEN = "set-password"  # the address once the token is in the session
TEMPLATE = "accounts/invitation.html"
# Signing in after the password is set: the password itself was just proven by the link.
BACKEND = "django.contrib.auth.backends.ModelBackend"


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    if token != URL_TOKEN:
        if invitation_open(token=token) is None:
            return _no_longer_works(request)
        request.session[SESSION_KEY] = token
        return redirect("accounts:invitation", token=URL_TOKEN)
    token = request.session.get(SESSION_KEY, "")
    open_invitation = invitation_open(token=token)
    if open_invitation is None:
        return _no_longer_works(request)
    user = open_invitation.user
    form = InvitationPasswordForm(user, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except InvitationInvalid:  # used or replaced while the form was open
            return _no_longer_works(request)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.pop(SESSION_KEY, None)
            login(request, user, backend=BACKEND)
            messages.success(request, "Your password is set and you are signed in. Welcome.")
            return redirect("portal:home")
    return render(request, TEMPLATE, {"form": form, "invited": user, "valid": True})


def _no_longer_works(request: HttpRequest) -> HttpResponse:
    """The same calm page for every link that does not work: it says nothing of any account."""
    request.session.pop(SESSION_KEY, None)
    return render(request, TEMPLATE, {"valid": False})
