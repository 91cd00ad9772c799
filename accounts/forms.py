"""The forms of the member site's password pages: the invitation's, and Django's reset forms with
what this site adds (the reset done by a worker, the e-mail through the outbox, the audit trail)."""

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from audit.routes import current_route
from core.client_address import client_address
from ladder.services import member_change_record


class InvitationPasswordForm(auth_forms.SetPasswordForm):
    """The invited person's first password, checked by the password validators (as Django's
    reset form does); the invitation service sets it."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "The same password again"
        self.fields["new_password1"].widget.attrs["autofocus"] = True

    def save(self, commit=True):
        raise NotImplementedError("ladder.invitations.invitation_accept sets the password")


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset request, with the same work for every address: the request only queues a
    task with the address typed (ladder.password_resets finds whose it is, queues the e-mail and
    audits it), so neither the answer nor its timing says whether an account exists. One client
    address asks at most PASSWORD_RESET_REQUESTS_PER_HOUR times an hour; further requests get
    the same page and queue nothing."""

    def save(self, *args, request=None, **kwargs):
        from ladder.tasks import password_reset_requested  # the ladder stands on accounts

        if request is not None and not _client_may_ask(request):
            return
        email, route = self.cleaned_data["email"], current_route()
        transaction.on_commit(lambda: password_reset_requested.delay(email, route))


def _client_may_ask(request) -> bool:
    """A counter per client address and hour in the shared cache (Redis where configured)."""
    key = f"password-reset:{client_address(request)}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= settings.PASSWORD_RESET_REQUESTS_PER_HOUR
    except ValueError:  # the cache lost the key meanwhile: let this one through
        return True


class ResetPasswordForm(auth_forms.SetPasswordForm):
    """Django's form behind a reset link, with the new password recorded in the audit trail."""

    def save(self, commit=True):
        with transaction.atomic():
            user = super().save(commit=commit)
            member_change_record(
                actor=user,
                user=user,
                changes={"password": {"from": None, "to": "reset by e-mail link"}},
                route=current_route(),
            )
        return user
