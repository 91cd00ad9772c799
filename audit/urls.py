from django.urls import re_path

from audit import views

urlpatterns = [
    re_path(
        r"^audit/head/?$",
        views.AuditHeadViewSet.as_view({"get": "retrieve"}),
        name="audit-head",
    ),
]
