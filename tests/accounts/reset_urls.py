"""The site's URLs with the member site's two reset routes given accounts' forms (the reset e-mail
through the outbox, the audit trail), as portal/urls.py is to pass them: the tests of those forms
drive Django's own views through the same paths and templates."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts.forms import PasswordResetForm, ResetPasswordForm
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetForm,
            template_name="portal/password_reset.html",
            email_template_name="portal/email/password_reset.txt",
            subject_template_name="portal/email/password_reset_subject.txt",
            success_url=reverse_lazy("portal:password_reset_done"),
        ),
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=ResetPasswordForm,
            template_name="portal/password_reset_confirm.html",
            success_url=reverse_lazy("portal:password_reset_complete"),
        ),
    ),
    *site_urlpatterns,
]
