from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.auth_views import TokenView
from config.errors import api_not_found
from config.health import healthz


class DocsView(SpectacularSwaggerView):
    # An HTML page: OPTIONS has nothing to describe (DRF's answer to it cannot be rendered as HTML).
    http_method_names = ["get", "head"]


api_v1 = [
    re_path(r"^auth/token/?$", TokenView.as_view(), name="auth-token"),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", DocsView.as_view(url_name="schema"), name="docs"),
    path("", include("ladder.urls")),
    path("", include("promotions.urls")),
    path("", include("notifications.urls")),
]

urlpatterns = [
    re_path(r"^healthz/?$", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # Any other /api/ path: a JSON 404 in every mode (DEBUG's HTML page lists every route).
    re_path(r"^api/", api_not_found),
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
