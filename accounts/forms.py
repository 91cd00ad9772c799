"""The forms of the member site's password pages: the invitation's, and Django's reset forms with
what this site adds (the reset e-mail through the outbox, and the audit trail)."""

from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from accounts.passwords import password_reset_mail
from audit.routes import current_route
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
    """Django's reset request (an active user with a usable password, matched by address, gets
    a link; anyone else nothing, and every answer is the same page), with the e-mail queued in
    the notifications outbox rather than sent while the request waits (accounts.passwords), and
    each e-mail recorded in the audit trail of people's records (never the link)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context["user"]
        with transaction.atomic():
            if password_reset_mail(user=user) is None:
                return  # enough e-mails this hour (accounts.passwords.RESET_MAILS_PER_HOUR)
            member_change_record(
                actor=AnonymousUser(),  # whoever typed the address: recorded with no actor
                user=user,
                changes={"password_reset": {"from": None, "to": "link e-mailed"}},
                route=current_route(),
            )


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
