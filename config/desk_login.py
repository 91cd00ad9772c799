from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.urls import reverse
from django.utils.html import format_html

from accounts import sso
from accounts.errors import SsoRequired


class DeskLoginForm(AdminAuthenticationForm):
    """The admin's sign-in. A member who is not staff and gives the right password is sent to
    their own pages instead of being told to find "a staff account"."""

    def confirm_login_allowed(self, user):
        if user.is_active and user.is_staff and sso.staff_must_use_sso():
            raise forms.ValidationError(sso.password_refused_message(), code=SsoRequired.code)
        if user.is_active and not user.is_staff:
            raise forms.ValidationError(
                format_html(
                    "This desk is for the committee and HR. Your own pages are on the "
                    '<a href="{}">member site</a>: sign in there with the same password.',
                    reverse("portal:login"),
                )
            )
        super().confirm_login_allowed(user)
