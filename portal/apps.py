from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The member site: pages over the apps' services and selectors, holding no rule of its own."""

    name = "portal"
    verbose_name = "Member site"
