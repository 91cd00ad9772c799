import threading

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from analytics.site_views import my_demographics
from config.auth_views import TokenView
from config.errors import api_not_found
from config.health import healthz, readyz


class SchemaView(SpectacularAPIView):
    """drf-spectacular's generator is not thread-safe (two threads generating at once fail with
    an AttributeError, a 500): one generation at a time per process."""

    _generating = threading.Lock()
    schema = None  # the schema's own endpoint is not part of the document

    def get(self, request, *args, **kwargs):
        with self._generating:
            return super().get(request, *args, **kwargs)


class DocsView(SpectacularSwaggerView):
    # An HTML page: OPTIONS has nothing to describe (DRF's answer to it cannot be rendered as HTML).
    http_method_names = ["get", "head"]


@extend_schema(exclude=True)  # a map for people browsing the API, not an operation of it
class ApiRootView(APIView):
    """The API's collections. Signed in to the admin, open this page in the browser and follow
    the links; everyone else gets them as JSON. The reference is at `docs/` (the OpenAPI
    schema at `schema/`)."""

    name = "PM Ladder API"
    http_method_names = ["get", "head", "options"]

    LINKS = {
        "ladder/levels": "level-list",
        "ladder/transitions": "level-transition-list",
        "members": "member-list",
        "members/me": "member-me",
        "promotions": "promotion-list",
        "notifications": "notification-list",
        "webhooks": "webhook-list",
        "auth/token": "auth-token",
        "schema": "schema",
        "docs": "docs",
    }

    def get(self, request):
        return Response(
            {label: reverse(name, request=request) for label, name in self.LINKS.items()}
        )


api_v1: list[URLPattern | URLResolver] = [
    re_path(r"^$", ApiRootView.as_view(), name="api-root"),
    re_path(r"^auth/token/?$", TokenView.as_view(), name="auth-token"),
    re_path(r"^schema/?$", SchemaView.as_view(), name="schema"),
    re_path(r"^docs/?$", DocsView.as_view(url_name="schema"), name="docs"),
    path("", include("analytics.urls")),  # members/me/demographics/ before members/
    path("", include("ladder.urls")),
    path("", include("promotions.urls")),
    path("", include("notifications.urls")),
    path("", include("webhooks.urls")),
    path("", include("audit.urls")),
]

urlpatterns = [
    re_path(r"^healthz/?$", healthz, name="healthz"),
    re_path(r"^readyz/?$", readyz, name="readyz"),
    # The admin's "Forgotten your password?" (shown where this name exists): the member site's
    # reset, the one way to reset a password by e-mail.
    path(
        "admin/password_reset/",
        RedirectView.as_view(pattern_name="portal:password_reset"),
        name="admin_password_reset",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # Any other /api/ path: a JSON 404 in every mode (DEBUG's HTML page lists every route).
    re_path(r"^api/", api_not_found),
    # SCIM 2.0 provisioning, for the identity provider (docs/scim.md).
    path("scim/v2/", include("accounts.scim.urls")),
    path("sso/", include("accounts.sso_urls")),
    path("", include("accounts.urls")),  # the invitation page
    # A member's own demographics on the member site (analytics: nothing else imports it).
    path("me/demographics/", my_demographics, name="me-demographics"),
    path("", include("portal.urls")),  # the member site
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
