"""SCIM 2.0 (RFC 7644) at /scim/v2/: discovery, Users and the role Groups."""

from django.urls import re_path

from accounts.scim import views

app_name = "scim"

urlpatterns = [
    re_path(
        r"^ServiceProviderConfig/?$",
        views.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    re_path(r"^ResourceTypes/?$", views.ResourceTypesView.as_view(), name="resource-types"),
    re_path(
        r"^ResourceTypes/(?P<name>[^/]+)/?$",
        views.ResourceTypesView.as_view(),
        name="resource-type",
    ),
    re_path(r"^Schemas/?$", views.SchemasView.as_view(), name="schemas"),
    re_path(r"^Schemas/(?P<urn>[^/]+)/?$", views.SchemasView.as_view(), name="schema"),
    re_path(r"^Users/?$", views.UsersView.as_view(), name="users"),
    re_path(r"^Users/(?P<scim_id>[^/]+)/?$", views.UserView.as_view(), name="user"),
    re_path(r"^Groups/?$", views.GroupsView.as_view(), name="groups"),
    re_path(r"^Groups/(?P<scim_id>[^/]+)/?$", views.GroupView.as_view(), name="group"),
    # Anything else under /scim/v2/: a SCIM 404, not the site's page.
    re_path(r"^(?P<path>.*)$", views.NoSuchEndpointView.as_view(), name="no-such-endpoint"),
]
