"""The member site, at the site root (docs/member-site.md)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts.forms import PasswordResetForm, ResetPasswordForm
from portal import (
    appeal_views,
    delegation_views,
    export_views,
    release_views,
    request_views,
    views,
)
from portal.forms import SignInForm

app_name = "portal"

urlpatterns = [
    path(
        "login/",
        views.SignInView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="portal/password_change_done.html"),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetForm,  # the e-mail through the outbox, audited
            template_name="portal/password_reset.html",
            email_template_name="portal/email/password_reset.txt",
            subject_template_name="portal/email/password_reset_subject.txt",
            success_url=reverse_lazy("portal:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=ResetPasswordForm,  # audited
            template_name="portal/password_reset_confirm.html",
            success_url=reverse_lazy("portal:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="portal/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("", views.home, name="home"),
    path("me/", views.me, name="me"),
    path("me/slack/", views.me_slack, name="me-slack"),
    path("me/export/", export_views.me_export, name="me-export"),
    path("me/delegations/", delegation_views.delegation_create, name="delegation-create"),
    path(
        "me/delegations/<int:delegation_id>/revoke/",
        delegation_views.delegation_revoke,
        name="delegation-revoke",
    ),
    path("me/promotions/<int:promotion_id>/", views.my_promotion, name="my-promotion"),
    path("me/request/<slug:level_code>/", request_views.request_nomination, name="request"),
    path("team/", views.team, name="team"),
    path(
        "team/<int:member_id>/nominate/<slug:level_code>/",
        views.nominate,
        name="nominate",
    ),
    path(
        "team/requests/<int:request_id>/accept/",
        request_views.request_accept,
        name="request-accept",
    ),
    path(
        "team/requests/<int:request_id>/decline/",
        request_views.request_decline,
        name="request-decline",
    ),
    path("nominations/<int:promotion_id>/", views.nomination, name="nomination"),
    path("nominations/<int:promotion_id>/resubmit/", views.resubmit, name="resubmit"),
    path("nominations/<int:promotion_id>/withdraw/", views.withdraw, name="withdraw"),
    path("promotions/<int:promotion_id>/release/", release_views.release_decision, name="release"),
    path("promotions/<int:promotion_id>/appeal/", appeal_views.appeal, name="appeal"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", views.inbox_read, name="inbox-read"),
]
