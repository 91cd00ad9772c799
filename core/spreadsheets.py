"""CSV files that people open in spreadsheets. Shared by every app that exports (the ladder's
members, the promotions and the cycle decisions), so it lives outside the apps."""

from import_export.formats.base_formats import CSV

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


class SpreadsheetSafeCSV(CSV):
    """django-import-export's CSV, every cell passed through `csv_cell`. (The library's own
    IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only strips a leading "=", and alters the value.)"""

    def export_data(self, dataset, **kwargs):
        rows = [[csv_cell("" if cell is None else str(cell)) for cell in row] for row in dataset]
        safe = type(dataset)(*rows, headers=dataset.headers)
        return safe.export(self.get_title(), **kwargs)
