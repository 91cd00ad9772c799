"""HR's member import from CSV or XLSX (the admin's import page and `manage.py import_members`),
and the member export whose columns it reads back. The file is read by core.spreadsheets (its
encoding, delimiter, loose header names, empty rows, line numbers as a spreadsheet shows them).

Two phases. First every row is checked against the file and the database together (levels,
managers, reporting loops, duplicates, formats, and the services' own permission checks), and
every error is kept with its line (the header is line 1). Only a file without errors is applied:
in one transaction, row by row through `member_create` / `member_update` (so permissions, the
audit trail with route "import" and the loop check hold as for the API), managers before their
reports. A refusal by a service there is an error of its line too, and rolls everything back.
A dry run applies and rolls back: it reports exactly what the import would do."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models.functions import Lower
from import_export import fields, resources

from core.errors import DomainError
from core.spreadsheets import (
    Sheet,
    SheetError,
    csv_value,
    date_format_of,
    date_read,
    sheet_read,
    spreadsheet_timestamp,
)
from core.validators import NOT_IN_FUTURE, refuse_control_characters
from ladder import invitations, services
from ladder.models import Level, Member

User = get_user_model()

COLUMNS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "level",
    "manager",
    "level_since",
    "is_active",
)
REQUIRED_COLUMNS = ("username", "email", "level")
# Header names HR's spreadsheets use beyond the columns themselves (compared as
# core.spreadsheets.column_key does: "First Name" is first_name already, "E-mail" is email).
COLUMN_ALIASES = {
    "user": "username",
    "login": "username",
    "email address": "email",
    "given name": "first_name",
    "forename": "first_name",
    "surname": "last_name",
    "family name": "last_name",
    "level code": "level",
    "manager username": "manager",
    "reports to": "manager",
    "active": "is_active",
}
# The date formats HR may state (the admin's choice; `--date-format` takes any strftime pattern).
DATE_FORMAT_CHOICES = (
    ("", "YYYY-MM-DD, or as the file shows unambiguously"),
    ("%d/%m/%Y", "dd/mm/yyyy"),
    ("%m/%d/%Y", "mm/dd/yyyy"),
    ("%d.%m.%Y", "dd.mm.yyyy"),
)
NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
BOOLEANS = {"true": True, "false": False}
Progress = Callable[[int, int], None]  # (rows done, rows in all)


class MemberResource(resources.ModelResource):
    """The member export: the import's columns, so an export imports back unchanged."""

    username = fields.Field(attribute="user__username", column_name="username")
    email = fields.Field(attribute="user__email", column_name="email")
    first_name = fields.Field(attribute="user__first_name", column_name="first_name")
    last_name = fields.Field(attribute="user__last_name", column_name="last_name")
    level = fields.Field(attribute="level__code", column_name="level")
    manager = fields.Field(attribute="manager__user__username", column_name="manager")
    level_since = fields.Field(column_name="level_since")
    is_active = fields.Field(column_name="is_active")

    class Meta:
        model = Member
        fields = COLUMNS
        export_order = COLUMNS

    def dehydrate_level_since(self, member: Member) -> str:
        return spreadsheet_timestamp(member.level_since)

    def dehydrate_is_active(self, member: Member) -> str:
        return "true" if member.is_active else "false"

    def get_queryset(self):
        return Member.objects.select_related("user", "level", "manager__user")


@dataclass(frozen=True)
class LineError:
    line: int  # 1 is the header
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    dry_run: bool
    errors: list[LineError] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # usernames
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    # With `invite`: the members created who were e-mailed an invitation, and who were not (why).
    invited: list[str] = field(default_factory=list)
    not_invited: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        return self.ok and not self.dry_run


@dataclass
class _Row:
    line: int
    username: str
    key: str  # the username, lower case: usernames are unique regardless of case
    email: str = ""
    first_name: str | None = None  # None: the column is not in the file
    last_name: str | None = None
    level: Level | None = None
    manager_key: str | None = None
    manager_given: bool = False
    level_since: date | None = None
    is_active: bool | None = None  # None: not given
    existing: Member | None = None
    changes: dict = field(default_factory=dict)  # for an existing member


def members_read(content: bytes | str, *, filename: str = "") -> Sheet:
    """The file (CSV or XLSX), its headers matched to COLUMNS. Raises SheetError."""
    return sheet_read(content, filename=filename, known=COLUMNS, aliases=COLUMN_ALIASES)


def members_import(
    *,
    actor,
    content: bytes | str,
    filename: str = "",
    date_format: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
    invite: bool = False,
) -> ImportResult:
    """Import members from `content`, a CSV or XLSX file (XLSX by `filename`'s extension or by
    its first bytes): all or nothing. `date_format` (a strftime pattern) is how level_since is
    written when not as YYYY-MM-DD. Raises NotAllowed unless the actor is HR; everything else
    wrong is an error of its line in the result, and then nothing is written. With `invite`,
    each member created (not one updated) is sent an invitation in the same transaction
    (ladder.invitations; an inactive one is not)."""
    services.ensure_can_manage_members(actor)
    result = ImportResult(dry_run=dry_run)
    try:
        sheet = members_read(content, filename=filename)
    except SheetError as exc:
        result.errors.append(LineError(exc.line, exc.message))
        return result
    rows = _check(actor=actor, sheet=sheet, date_format=date_format, errors=result.errors)
    if result.errors:
        result.errors.sort(key=lambda e: e.line)
        return result
    _apply(actor=actor, rows=rows, result=result, progress=progress, invite=invite)
    result.errors.sort(key=lambda e: e.line)
    if result.errors:
        result.created, result.updated = [], []
        result.invited, result.not_invited = [], {}
    return result


# --- Phase 1: check every row ------------------------------------------------------------------


def _hidden_characters(values: Iterable[str], names: Iterable[str]) -> list[str]:
    """Every cell of the file is one line of visible text (core.validators): a NUL byte would
    reach PostgreSQL (a 500), a control or bidi character would reach the records and e-mails."""
    return [
        problem
        for value, name in zip(values, names, strict=True)
        for problem in _invalid(value, [refuse_control_characters], name)
    ]


def _check_headers(sheet: Sheet, errors: list[LineError]) -> list[str] | None:
    """The file's columns as COLUMNS names them, or None (and the errors of line 1)."""
    hidden = _hidden_characters(
        sheet.headers, [f"column {i}" for i in range(1, len(sheet.headers) + 1)]
    )
    if hidden:
        errors.extend(LineError(1, problem) for problem in hidden)
        return None
    unknown = [h for h, c in zip(sheet.headers, sheet.columns, strict=True) if c is None]
    columns = [c for c in sheet.columns if c is not None]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if unknown:
        errors.append(
            LineError(
                1,
                f"Unknown columns: {', '.join(h.strip() or '(empty)' for h in unknown)} "
                f"(the known ones: {', '.join(COLUMNS)}).",
            )
        )
    if missing:
        errors.append(LineError(1, f"Missing columns: {', '.join(missing)}."))
    if repeated:
        errors.append(LineError(1, f"Columns named twice: {', '.join(repeated)}."))
    return None if errors else columns


def _check(*, actor, sheet: Sheet, date_format: str, errors: list[LineError]) -> list[_Row]:
    headers = _check_headers(sheet, errors)
    if headers is None:
        return []
    errors.extend(LineError(line, message) for line, message in sheet.errors)
    table = [
        # As the export wrote them: a cell it quoted (a spreadsheet would run it as a formula)
        # reads back without its quote (core.spreadsheets).
        (line, {h: csv_value(v.strip()) for h, v in zip(headers, values, strict=True)})
        for line, values in sheet.rows
    ]
    if not date_format:
        date_format, ambiguous = date_format_of(c.get("level_since", "") for _, c in table)
    else:
        ambiguous = []
    dates = _DateRule(date_format=date_format, ambiguous=frozenset(ambiguous))
    levels = {level.code: level for level in Level.objects.all()}
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for line, cells in table:
        hidden = _hidden_characters(cells.values(), cells.keys())
        if hidden:
            errors.extend(LineError(line, problem) for problem in hidden)
            continue
        row = _parse(line=line, cells=cells, levels=levels, dates=dates, errors=errors)
        if row is None:
            continue
        if row.key in first_line:
            errors.append(
                LineError(line, f"{row.username} is on line {first_line[row.key]} already.")
            )
            continue
        first_line[row.key] = line
        rows.append(row)

    in_file = {row.key: row for row in rows}
    users = _users_by_key(list(in_file) + [r.manager_key for r in rows if r.manager_key])
    members = {
        m.user_id: m
        for m in Member.objects.filter(user__in=users.values()).select_related(
            "user", "level", "manager__user"
        )
    }
    for row in rows:
        user = users.get(row.key)
        if user is None:
            continue
        row.existing = members.get(user.pk)
        if row.existing is None:
            errors.append(
                LineError(
                    row.line,
                    f"{user.get_username()} has an account but is not on the ladder: "
                    "place them in the admin.",
                )
            )
    for row in rows:
        _check_manager(row=row, in_file=in_file, users=users, members=members, errors=errors)
        if row.existing is not None:
            _check_existing(actor=actor, row=row, errors=errors)
    errors.extend(_loops(rows=rows, in_file=in_file))
    return rows


@dataclass(frozen=True)
class _DateRule:
    date_format: str  # stated by the importer, or decided by the file; "" for ISO only
    ambiguous: frozenset[str]  # values the file leaves ambiguous, no format stated

    def read(self, value: str) -> tuple[date | None, str]:
        """The date, or the problem with it."""
        if value in self.ambiguous:
            return None, (
                f"level_since {value!r} is ambiguous (day and month could be either way): "
                "state the date format (import_members --date-format %d/%m/%Y, or the choice "
                "on the import page)."
            )
        try:
            return date_read(value, self.date_format), ""
        except ValueError:
            if self.date_format:
                return None, (
                    f"level_since {value!r} is not a date as {self.date_format} (nor YYYY-MM-DD)."
                )
            return None, (
                f"level_since {value!r} is not a date (YYYY-MM-DD, or state the date format)."
            )


def _parse(
    *, line: int, cells: dict, levels: dict, dates: _DateRule, errors: list[LineError]
) -> _Row | None:
    problems: list[str] = []
    username = cells.get("username", "")
    row = _Row(line=line, username=username, key=username.lower())
    if not username:
        problems.append("The username is empty.")
    else:
        problems += _invalid(username, [UnicodeUsernameValidator()], "username")
        if len(username) > NAME_MAX_LENGTH:
            problems.append(f"The username is longer than {NAME_MAX_LENGTH} characters.")
    row.email = cells.get("email", "")
    if not row.email:
        problems.append("The email is empty.")
    else:
        problems += _invalid(row.email, [EmailValidator()], "email")
        if len(row.email) > EMAIL_MAX_LENGTH:
            problems.append(f"The email is longer than {EMAIL_MAX_LENGTH} characters.")
    for name in ("first_name", "last_name"):
        if name in cells:  # one line of visible text, as every cell (_hidden_characters)
            if len(cells[name]) > NAME_MAX_LENGTH:
                problems.append(f"{name} is longer than {NAME_MAX_LENGTH} characters.")
            setattr(row, name, cells[name])
    code = cells.get("level", "")
    row.level = levels.get(code)
    if row.level is None:
        problems.append(f"Unknown level {code!r}." if code else "The level is empty.")
    if "manager" in cells:
        row.manager_given = True
        row.manager_key = cells["manager"].lower() or None
        if row.manager_key is not None and row.manager_key == row.key:
            problems.append("A member cannot be their own manager.")
    if cells.get("level_since"):
        row.level_since, problem = dates.read(cells["level_since"])
        if row.level_since is None:
            problems.append(problem)
        else:
            problems += _invalid(row.level_since, [NOT_IN_FUTURE], "level_since")
    if cells.get("is_active"):
        value = BOOLEANS.get(cells["is_active"].lower())
        if value is None:
            problems.append(f"is_active {cells['is_active']!r} is neither true nor false.")
        row.is_active = value
    errors.extend(LineError(line, problem) for problem in problems)
    return None if problems else row


def _invalid(value, validators: Iterable, name: str) -> list[str]:
    problems = []
    for validator in validators:
        try:
            validator(value)
        except ValidationError as exc:
            problems += [f"{name}: {message}" for message in exc.messages]
    return problems


def _users_by_key(keys: list[str]) -> dict:
    found = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        for user in User.objects.annotate(key=Lower("username")).filter(key__in=chunk):
            found[user.key] = user
    return found


def _check_manager(*, row: _Row, in_file: dict, users: dict, members: dict, errors) -> None:
    if not row.manager_given or row.manager_key is None:
        return
    current = row.existing.manager if row.existing else None
    if current is not None and current.user.get_username().lower() == row.manager_key:
        return  # unchanged: the API does not ask again either
    boss_row = in_file.get(row.manager_key)
    user = users.get(row.manager_key)
    boss = members.get(user.pk) if user is not None else None
    if boss_row is None and boss is None:
        where = "neither in the file nor on the ladder"
        if user is not None:
            where = "not on the ladder"
        errors.append(LineError(row.line, f"Unknown manager {row.manager_key!r}: {where}."))
        return
    active = boss.is_active if boss is not None else True
    if boss_row is not None and boss_row.is_active is not None:
        active = boss_row.is_active
    if not active:
        errors.append(LineError(row.line, f"The manager {row.manager_key!r} is not active."))


def _check_existing(*, actor, row: _Row, errors: list[LineError]) -> None:
    member = row.existing
    assert member is not None
    user = member.user
    if row.level is not None and row.level.pk != member.level_id:
        errors.append(
            LineError(
                row.line,
                f"{user.get_username()} is at {member.level.code}, not {row.level.code}: "
                "the level changes only through an approved promotion.",
            )
        )
    if row.level_since is not None and row.level_since != member.level_since:
        errors.append(
            LineError(
                row.line,
                f"level_since of {user.get_username()} is {member.level_since.isoformat()}: "
                "it changes only with the level, through a promotion.",
            )
        )
    changes: dict = {}
    if row.email != user.email:
        changes["email"] = row.email
    for name in ("first_name", "last_name"):
        value = getattr(row, name)
        if value is not None and value != getattr(user, name):
            changes[name] = value
    current = member.manager.user.get_username().lower() if member.manager else None
    if row.manager_given and row.manager_key != current:
        changes["manager"] = row.manager_key  # a key: resolved to a member when applied
    if row.is_active is not None and row.is_active != member.is_active:
        changes["is_active"] = row.is_active
    row.changes = changes
    if not changes:
        return
    # The services' own checks, asked now so that every refusal is listed with its line.
    checks = [
        lambda: services.ensure_may_manage_user(actor, user),
        lambda: services.ensure_not_own_record(actor, member),
        lambda: services.ensure_not_erased(member),
    ]
    if {"manager", "is_active"} & set(changes):
        checks.append(lambda: services.ensure_may_administer_accounts(actor))
    for check in checks:
        try:
            check()
        except DomainError as exc:
            errors.append(LineError(row.line, exc.message))


def _final_manager_keys(rows: list[_Row]) -> dict[str, str | None]:
    """Who manages whom once the file is applied, for the rows of the file."""
    final = {}
    for row in rows:
        if row.manager_given:
            final[row.key] = row.manager_key
        elif row.existing is not None and row.existing.manager is not None:
            final[row.key] = row.existing.manager.user.get_username().lower()
        else:
            final[row.key] = None
    return final


def _loops(*, rows: list[_Row], in_file: dict) -> list[LineError]:
    """Reporting loops in the file and the database together: a loop needs a row of the file
    (the saved lines have none), so walk up from each row, through the file's managers first and
    the saved ones above the file."""
    final = _final_manager_keys(rows)
    saved = dict(
        Member.objects.filter(manager__isnull=False)
        .annotate(key=Lower("user__username"), boss=Lower("manager__user__username"))
        .values_list("key", "boss")
    )

    def boss_of(key: str) -> str | None:
        return final[key] if key in final else saved.get(key)

    errors = []
    done: set[str] = set()  # known to lead to the top without a loop, or reported
    for row in rows:
        path: list[str] = []
        on_path: set[str] = set()
        key: str | None = row.key
        while key is not None and key not in done and key not in on_path:
            path.append(key)
            on_path.add(key)
            key = boss_of(key)
        if key is not None and key in on_path:
            loop = path[path.index(key) :]
            lines = sorted(in_file[k].line for k in loop if k in in_file)
            names = [in_file[k].username if k in in_file else k for k in [*loop, loop[0]]]
            errors.append(
                LineError(
                    lines[0],
                    f"Reporting loop: {' → '.join(names)} (lines {', '.join(map(str, lines))}).",
                )
            )
        done.update(path)
    return errors


# --- Phase 2: apply, through the services ------------------------------------------------------


def _in_order(rows: list[_Row], in_file: dict) -> list[_Row]:
    """Managers before their reports (among the rows of the file): a new manager exists before
    a report names them, and a chain is final above each row when its manager is set, so no
    loop shows halfway."""
    ordered: list[_Row] = []
    placed: set[str] = set()
    final = _final_manager_keys(rows)
    for row in rows:
        chain = []
        key: str | None = row.key
        while key is not None and key in in_file and key not in placed:
            chain.append(key)
            placed.add(key)
            key = final[key]
        ordered.extend(in_file[k] for k in reversed(chain))
    return ordered


def _apply(
    *, actor, rows: list[_Row], result: ImportResult, progress: Progress | None, invite: bool
) -> None:
    in_file = {row.key: row for row in rows}
    member_of: dict[str, Member] = {
        row.key: row.existing for row in rows if row.existing is not None
    }
    saved_bosses = [r.manager_key for r in rows if r.manager_key and r.manager_key not in in_file]
    for member in (
        Member.objects.annotate(key=Lower("user__username"))
        .filter(key__in=saved_bosses)
        .select_related("user")
    ):
        member_of[member.key] = member
    refused: set[str] = set()
    with transaction.atomic():
        for done, row in enumerate(_in_order(rows, in_file), start=1):
            if row.manager_key in refused:
                refused.add(row.key)
                line = in_file[row.manager_key].line
                result.errors.append(
                    LineError(row.line, f"Not applied: its manager (line {line}) was refused.")
                )
                continue
            try:
                _apply_row(actor=actor, row=row, member_of=member_of, result=result)
            except DomainError as exc:
                refused.add(row.key)
                result.errors.append(LineError(row.line, exc.message))
            if progress is not None and (done % 500 == 0 or done == len(rows)):
                progress(done, len(rows))
        if invite and not (result.errors or result.dry_run):
            created = [member_of[row.key].user for row in rows if row.existing is None]
            sent = invitations.invitations_send(actor=actor, users=created, route="import")
            result.invited, result.not_invited = sent.invited, sent.refused
        if result.errors or result.dry_run:
            transaction.set_rollback(True)


def _apply_row(*, actor, row: _Row, member_of: dict, result: ImportResult) -> None:
    manager = member_of.get(row.manager_key) if row.manager_key else None
    if row.existing is None:
        assert row.level is not None
        member = services.member_create(
            actor=actor,
            username=row.username,
            email=row.email,
            first_name=row.first_name or "",
            last_name=row.last_name or "",
            level=row.level,
            manager=manager,
            level_since=row.level_since,
            route="import",
        )
        if row.is_active is False:
            member = services.member_update(
                actor=actor, member=member, changes={"is_active": False}, route="import"
            )
        member_of[row.key] = member
        result.created.append(row.username)
        return
    if not row.changes:
        result.unchanged += 1
        return
    changes = dict(row.changes)
    if "manager" in changes:
        changes["manager"] = manager
    member_of[row.key] = services.member_update(
        actor=actor, member=row.existing, changes=changes, route="import"
    )
    result.updated.append(row.username)
