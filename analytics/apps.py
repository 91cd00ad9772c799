from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = "People analytics"

    def ready(self) -> None:
        from analytics import demographics
        from core import personal_data

        personal_data.register("demographics", export=demographics.export, erase=demographics.erase)
