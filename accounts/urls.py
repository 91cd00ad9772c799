"""The invitation page, a page of the member site (at the site root, before the portal's)."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("invite/<str:token>/", views.invitation, name="invitation"),
]
