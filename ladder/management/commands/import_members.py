from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core import roles
from core.errors import DomainError
from ladder.imports import members_import


class Command(BaseCommand):
    help = (
        "Import members from a CSV or XLSX file (username, email, first_name, last_name, level, "
        "manager, level_since, is_active; header names matched loosely): all or nothing, as the "
        "HR user named by --actor. Every error is listed with its line as a spreadsheet shows it "
        "(the header is line 1) and the command exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="the file: .xlsx, or CSV in UTF-8 or Windows-1252 separated by commas, "
            "semicolons or tabs (told apart by themselves)",
        )
        parser.add_argument(
            "--actor",
            required=True,
            help="username of the HR user (or superuser) the import is made by, as the audit "
            "trail records it",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check everything and report what would change; write nothing",
        )
        parser.add_argument(
            "--date-format",
            default="",
            help="how level_since is written when not YYYY-MM-DD, a strftime pattern such as "
            "%%d/%%m/%%Y (without it, a date that could be read two ways is an error)",
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help="e-mail each member created (not those updated) an invitation to choose their "
            "password, in the import's transaction",
        )

    def handle(
        self, *args, file: str, actor: str, dry_run: bool, invite: bool, date_format: str, **options
    ):
        if date_format and "%" not in date_format:
            raise CommandError(
                f"--date-format {date_format}: a strftime pattern, such as %d/%m/%Y."
            )
        user = get_user_model().objects.filter(username__iexact=actor).first()
        if user is None or not roles.is_hr(user):
            raise CommandError(f"--actor {actor}: no active HR user or superuser of that name.")
        try:
            content = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from None

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"\r{done}/{total} rows", ending="" if done < total else "\n")
            self.stderr.flush()

        try:
            result = members_import(
                actor=user,
                content=content,
                filename=file,
                date_format=date_format,
                dry_run=dry_run,
                progress=progress,
                invite=invite,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(result.errors)} error(s): nothing was imported (fix them and run again)."
            )
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{'Dry run: ' if dry_run else ''}{len(result.created)} created, "
            f"{len(result.updated)} updated, {result.unchanged} unchanged "
            f"({'nothing written' if dry_run else 'in one transaction'})."
        )
        if invite and dry_run:
            self.stdout.write(
                f"With --invite, each of the {len(result.created)} would be sent an invitation."
            )
        elif invite:
            self.stdout.write(
                f"{len(result.invited)} invitation(s) sent (e-mailed after commit); "
                f"{len(result.not_invited)} not sent."
            )
            for username, reason in result.not_invited.items():
                self.stdout.write(f"  {username} not invited: {reason}")
        if options["verbosity"] > 1:
            for name in result.created:
                self.stdout.write(f"  {name} {verb} created")
            for name in result.updated:
                self.stdout.write(f"  {name} {verb} updated")
