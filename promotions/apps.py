from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "promotions"

    def ready(self) -> None:
        from ladder import roles
        from promotions.permissions import open_promotion_conflict

        roles.register_account_conflict_check(open_promotion_conflict)
