from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "API access and invitations"

    def ready(self) -> None:
        from accounts import invitations, passwords
        from notifications.messages import register_composer

        # These e-mails carry a link that lets one in: composed as they go out, never stored.
        register_composer(invitations.KIND, invitations.invitation_emails)
        register_composer(passwords.KIND, passwords.password_reset_emails)
