"""A password reset asked for by address, done away from the request that asked: the reset page
answers every address alike and in the same time (it only queues this), and a worker finds who
the address belongs to, queues their e-mail (accounts.passwords) and records it in the audit trail
of people's records. At most RESET_MAILS_PER_HOUR e-mails to one person an hour, counted under a
lock on their row so parallel requests cannot pass it together."""

from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from accounts.passwords import password_reset_mail
from ladder.services import member_change_record


def password_reset_request(*, email: str, route: str) -> int:
    """Queue a reset e-mail for each active user with a usable password at `email` (Django's
    rule, `PasswordResetForm.get_users`), within the hourly cap; the number queued."""
    queued = 0
    for user in auth_forms.PasswordResetForm().get_users(email):
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
            if password_reset_mail(user=user) is None:
                continue  # enough e-mails this hour
            member_change_record(
                actor=AnonymousUser(),  # whoever typed the address: recorded with no actor
                user=user,
                changes={"password_reset": {"from": None, "to": "link e-mailed"}},
                route=route,
            )
            queued += 1
    return queued
