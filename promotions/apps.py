from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "promotions"

    def ready(self) -> None:
        from core import roles
        from ladder import selectors
        from notifications.messages import register_readership_check, register_stand_in_rule
        from promotions import personal_data
        from promotions.delegations.routing import delegates_copied
        from promotions.notify import unreadable_now
        from promotions.permissions import open_promotion_conflict
        from promotions.selectors import pending_promotion_of_member

        roles.register_account_conflict_check(open_promotion_conflict)
        selectors.register_member_annotation("pending_promotion", pending_promotion_of_member)
        register_readership_check(unreadable_now)
        register_stand_in_rule(delegates_copied)
        personal_data.register()
