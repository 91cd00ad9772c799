from django.urls import re_path

from analytics import views

urlpatterns = [
    re_path(
        r"^members/me/demographics/?$",
        views.MyDemographicsViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="member-me-demographics",
    ),
    re_path(
        r"^demographics/categories/?$",
        views.CategoryViewSet.as_view({"get": "retrieve"}),
        name="demographic-categories",
    ),
    re_path(
        r"^analytics/adverse-impact/?$",
        views.AdverseImpactViewSet.as_view({"get": "retrieve"}),
        name="adverse-impact",
    ),
]
