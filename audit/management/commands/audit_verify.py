"""`manage.py audit_verify`: check the whole audit chain against the database (docs/audit.md);
`--bundle FILE`: check an exported bundle offline, with no database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.bundle import BundleBroken, bundle_verify, signing_key
from audit.chain import ChainBroken, chain_check


class Command(BaseCommand):
    help = (
        "Recompute every audited row's content hash and every link of the audit chain; print "
        "'OK <n> rows, head <hash>' or the first broken row and exit 1. With --bundle FILE, "
        "check an export of audit_export offline instead (no database)."
    )
    requires_system_checks: list = []  # a bundle is checked where no database answers

    def add_arguments(self, parser):
        parser.add_argument("--bundle", type=Path, help="a file written by audit_export")
        parser.add_argument(
            "--head",
            metavar="SEQ:HASH",
            help="a head published earlier (audit/head/): the chain must still hold it",
        )

    def handle(self, *args, bundle: Path | None = None, head: str | None = None, **options):
        if bundle is not None:
            return self._bundle(bundle)
        try:
            published = _published(head) if head else None
            checked = chain_check(published=published)
        except ChainBroken as broken:
            raise CommandError(f"BROKEN {broken}") from None
        erased = f" ({checked.erased} erased)" if checked.erased else ""
        self.stdout.write(f"OK {checked.rows} rows, head {checked.head}{erased}")

    def _bundle(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"BROKEN cannot read {path}: {error.strerror}") from None
        try:
            checked = bundle_verify(data, key=signing_key())
        except BundleBroken as broken:
            raise CommandError(f"BROKEN {broken}") from None
        erased = f" ({checked.erased} erased)" if checked.erased else ""
        self.stdout.write(f"OK {checked.rows} rows, head {checked.head}{erased}")


def _published(head: str) -> tuple[int, str]:
    seq, _, hash_ = head.partition(":")
    if not seq.isdigit() or len(hash_) != 64:
        raise CommandError("--head takes SEQ:HASH, as audit/head/ gives them.")
    return int(seq), hash_.lower()
