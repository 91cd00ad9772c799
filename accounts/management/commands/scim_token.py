from django.core.management.base import BaseCommand, CommandError

from accounts.models import ScimToken
from accounts.scim import tokens
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "SCIM tokens for the identity provider's provisioning (`Authorization: Bearer <token>` "
        "at /scim/v2/): `create NAME` prints a new token once, `list` shows them, `revoke NAME`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("create", help="make a token and print it (once)").add_argument("name")
        actions.add_parser("list", help="the tokens: name, made, last used, revoked")
        actions.add_parser("revoke", help="stop a token at once").add_argument("name")

    def handle(self, *args, action: str, **options):
        try:
            if action == "create":
                row, token = tokens.scim_token_create(actor=None, name=options["name"])
                self.stderr.write(f"SCIM token {row.name!r} (shown only now):")
                self.stdout.write(token)
            elif action == "revoke":
                row = tokens.scim_token_revoke_named(actor=None, name=options["name"])
                self.stdout.write(f"Revoked {row.name!r} at {row.revoked_at:%Y-%m-%d %H:%M}.")
            else:
                self._list()
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _list(self) -> None:
        for row in ScimToken.objects.all():
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
            self.stdout.write(
                f"{row.name}\tmade {row.created_at:%Y-%m-%d %H:%M}\tlast used {used}\t{state}"
            )
