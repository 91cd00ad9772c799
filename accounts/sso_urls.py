"""Single sign-on (accounts.sso_views): 404 unless OIDC_ISSUER is set."""

from django.urls import path

from accounts import sso_views

app_name = "sso"

urlpatterns = [
    path("login/", sso_views.sso_login, name="login"),
    path("callback/", sso_views.sso_callback, name="callback"),
]
