"""Files that people open in, and save from, spreadsheets. Shared by every app that exports (the
ladder's members, the promotions and the cycle decisions) or imports (the members), so it lives
outside the apps.

Reading (`sheet_read`) takes a file as HR has it: CSV in UTF-8 (with or without a byte-order
mark) or Windows-1252, separated by `,` `;` or tabs, or XLSX; header names matched loosely to the
importer's columns; empty rows skipped; every row with the line a spreadsheet shows (the header
is line 1). Writing escapes every cell a spreadsheet would run as a formula, and reading undoes
exactly that escaping, so an export imports back unchanged (docs/decisions.md)."""

import contextlib
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from charset_normalizer import from_bytes
from import_export.formats.base_formats import CSV, XLSX

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}
ENCODINGS = ("UTF-8", "Windows-1252")
XLSX_MAGIC = b"PK\x03\x04"  # an XLSX file is a ZIP archive
# An XLSX of a few megabytes can unzip to gigabytes of rows (a CSV is bounded by the upload
# limit): the reader stops there, and reads no column beyond the hundredth.
XLSX_MAX_ROWS = 200_000
XLSX_MAX_COLUMNS = 100
# The date formats a file may decide alone, when the importer states none (`dates_read`).
DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d")


def _runs_as_formula(value: str) -> bool:
    """Starts with a formula character, after any quotes: a value that itself starts with a quote
    and a formula character ("'=x") is quoted too, so that `csv_value` can tell it from an escape
    and every value reads back as it was written."""
    return value.lstrip("'")[:1] in FORMULA_STARTS if value else False


def csv_cell(value: str) -> str:
    """Spreadsheets run a cell starting with = + - @ (or a tab, a carriage return) as a formula:
    such a cell is written with a leading quote."""
    return "'" + value if _runs_as_formula(value) else value


def csv_value(cell: str) -> str:
    """The value `csv_cell` wrote: its leading quote taken off again, and nothing else. The member
    import reads every cell through it, so that an export imports back unchanged."""
    return cell[1:] if cell[:1] == "'" and _runs_as_formula(cell) else cell


def spreadsheet_timestamp(value: datetime | date | None) -> str:
    """A date or timestamp as exports write it: ISO 8601, to the second (spreadsheets show
    microseconds as noise, and a value with them does not read back as a date)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def _escaped(dataset):
    rows = [[csv_cell("" if cell is None else str(cell)) for cell in row] for row in dataset]
    return type(dataset)(*rows, headers=dataset.headers)


class SpreadsheetSafeCSV(CSV):
    """django-import-export's CSV, every cell passed through `csv_cell`, with a byte-order mark:
    Excel on Windows reads a file without one as Windows-1252 ("JosÃ©" for "José"). (The
    library's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only strips a leading "=", and alters
    the value.)"""

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + _escaped(dataset).export(self.get_title(), **kwargs)


class SpreadsheetSafeXLSX(XLSX):
    """django-import-export's XLSX (tablib, openpyxl), every cell passed through `csv_cell` as in
    the CSV: openpyxl would otherwise store "=x" as a formula, and one rule for both formats
    keeps an XLSX saved from an exported CSV readable too."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(_escaped(dataset), **kwargs)


# --- Reading -----------------------------------------------------------------------------------


class SheetError(Exception):
    """The file as a whole cannot be read (its encoding, its delimiter, a broken XLSX)."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Sheet:
    headers: list[str]  # as the file names them
    columns: list[str | None]  # the importer's name of each, None for one it does not know
    rows: list[tuple[int, list[str]]]  # (the line a spreadsheet shows, the cells), none empty
    errors: list[tuple[int, str]] = field(default_factory=list)  # rows too long for the header


def column_key(name: str) -> str:
    """A header name as compared: case, accents, spaces, hyphens and underscores aside, so
    "First Name", "first_name", "First-name" are one; "E-mail" is "email"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed.casefold() if c.isalnum())


def columns_match(
    headers: Sequence[str], *, known: Sequence[str], aliases: Mapping[str, str] | None = None
) -> list[str | None]:
    """The importer's column for each header (`known`, or an alias's column), None if unknown."""
    table = {column_key(name): name for name in known}
    table.update({column_key(alias): name for alias, name in (aliases or {}).items()})
    return [table.get(column_key(header)) for header in headers]


def sheet_read(
    content: bytes | str,
    *,
    filename: str = "",
    known: Sequence[str],
    aliases: Mapping[str, str] | None = None,
) -> Sheet:
    """The file's header and rows. XLSX by its extension or its first bytes, CSV otherwise.
    Raises SheetError when the file as a whole cannot be read."""
    if isinstance(content, bytes) and (
        filename.lower().endswith(".xlsx") or content.startswith(XLSX_MAGIC)
    ):
        table = _xlsx_rows(content)
    else:
        text = content if isinstance(content, str) else _decode(content)
        table = _csv_rows(text.removeprefix("\ufeff"), known=known, aliases=aliases)
    if not table or not any(cell.strip() for cell in table[0][1]):
        raise SheetError("The first line is empty: it must name the columns.")
    header_line, headers = table[0]
    if header_line != 1:
        raise SheetError("The first line is empty: it must name the columns.")
    while not headers[-1].strip():
        headers = headers[:-1]  # a spreadsheet's empty cells after the last column
    sheet = Sheet(
        headers=headers, columns=columns_match(headers, known=known, aliases=aliases), rows=[]
    )
    width = len(headers)
    for line, cells in table[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or a spreadsheet's trailing ",,,,,,,"
        if any(cell.strip() for cell in cells[width:]):
            sheet.errors.append(
                (line, f"The line has {len(cells)} cells; the header names {width} columns.")
            )
            continue
        sheet.rows.append((line, (cells + [""] * width)[:width]))
    return sheet


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: Windows-1252 decodes almost any bytes, so charset-normalizer judges whether the
    # result reads as text (a UTF-16 file or a binary one does not).
    best = from_bytes(content, cp_isolation=["cp1252"]).best()
    if best is None:
        raise SheetError(
            f"The file is neither {' nor '.join(ENCODINGS)} text (both were tried): save it "
            'from the spreadsheet as "CSV UTF-8" or as XLSX.'
        )
    return str(best)


def _csv_rows(
    text: str, *, known: Sequence[str], aliases: Mapping[str, str] | None
) -> list[tuple[int, list[str]]]:
    """Every row of the CSV with its line as a spreadsheet counts them: one per record, a blank
    line included (csv.reader yields [] for it), so the line numbers match the spreadsheet's."""
    delimiter = _delimiter(text.split("\n", 1)[0].rstrip("\r"), known=known, aliases=aliases)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for line, cells in enumerate(reader, start=1):
            rows.append((line, cells))
    except csv.Error as exc:
        raise SheetError(
            f"The file cannot be read as CSV separated by {DELIMITERS[delimiter]}: {exc} "
            "(a quote opened and not closed?).",
            line=len(rows) + 1,
        ) from None
    return rows


def _delimiter(header_line: str, *, known: Sequence[str], aliases: Mapping[str, str] | None) -> str:
    """The delimiter of the header line: the one that splits it into the most known columns,
    else the only one it contains. Undecided: an error that says what was seen."""
    found = [d for d in DELIMITERS if d in header_line]
    if len(found) <= 1:
        return found[0] if found else ","

    def known_columns(delimiter: str) -> int:
        headers = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(c is not None for c in columns_match(headers, known=known, aliases=aliases))

    scores = {d: known_columns(d) for d in found}
    best = max(scores.values())
    winners = [d for d, score in scores.items() if score == best]
    if len(winners) == 1 and best > 0:
        return winners[0]
    named = " and ".join(DELIMITERS[d] for d in winners)
    raise SheetError(
        f"Cannot tell how the columns are separated: the header line has {named}, and "
        f"neither gives more known columns ({', '.join(known)}). Save the file with one of them."
    )


def _xlsx_rows(content: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's rows, each with its row number. openpyxl (the library django-import-
    export's XLSX format reads with) directly: the format's dataset drops the row numbers."""
    import openpyxl  # only for XLSX files

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetError(f"The file cannot be read as XLSX ({type(exc).__name__}).") from None
    rows: list[tuple[int, list[str]]] = []
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(min_row=1, max_col=XLSX_MAX_COLUMNS, values_only=True)
        for line, cells in enumerate(values, start=1):
            if line > XLSX_MAX_ROWS:
                raise SheetError(f"The sheet has more than {XLSX_MAX_ROWS} rows: split it.", line)
            rows.append((line, [_xlsx_text(value) for value in cells]))
    finally:
        book.close()
    return rows


def _xlsx_text(value: object) -> str:
    """A cell as the CSV would have it: a spreadsheet may have turned a date or a flag into a
    typed value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else spreadsheet_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- Dates -------------------------------------------------------------------------------------

NUMERIC_DATE = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$")


def date_read(value: str, date_format: str = "") -> date:
    """ISO (YYYY-MM-DD), or `date_format` (a strftime pattern) when one is stated.
    Raises ValueError."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        if not date_format:
            raise
    return datetime.strptime(value, date_format).date()


def dates_meanings(values: Iterable[str]) -> dict[str, dict[str, date]]:
    """For each value not ISO: what it means under each of DATE_FORMATS that reads it."""
    meanings: dict[str, dict[str, date]] = {}
    for value in values:
        if value in meanings or not NUMERIC_DATE.match(value):
            continue
        try:
            date.fromisoformat(value)
            continue
        except ValueError:
            pass
        read = {}
        for fmt in DATE_FORMATS:
            with contextlib.suppress(ValueError):
                read[fmt] = datetime.strptime(value, fmt).date()
        meanings[value] = read
    return meanings


def date_format_of(values: Iterable[str]) -> tuple[str, list[str]]:
    """When the importer states no format: the one format of DATE_FORMATS that reads every
    non-ISO value of the file, if the file decides it (a 25/03/2024 tells dd/mm/yyyy), and the
    values it leaves ambiguous (meaning two dates under the formats that read them all)."""
    meanings = dates_meanings(values)
    if not meanings:
        return "", []
    fitting = [fmt for fmt in DATE_FORMATS if all(fmt in read for read in meanings.values())]
    if len(fitting) == 1:
        return fitting[0], []
    ambiguous = [
        value
        for value, read in meanings.items()
        if len({read[fmt] for fmt in fitting if fmt in read}) > 1
    ]
    # Several formats fit, but give every value the same date (05/05/2024): no ambiguity.
    return (fitting[0] if fitting and not ambiguous else ""), ambiguous
