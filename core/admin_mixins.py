"""Admin mixins and list cells any app may use."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.forms import ExportForm

from core import roles
from core.spreadsheets import SpreadsheetSafeCSV, SpreadsheetSafeXLSX


class ReadOnlyAdminMixin:
    """A record that can be read in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HRExportMixin(ExportMixin):
    """django-import-export's export button and page, for HR only, as CSV (with a byte-order mark)
    or XLSX whose cells a spreadsheet will not run as formulas. Every column, always: a member
    export imports back."""

    formats = [SpreadsheetSafeCSV, SpreadsheetSafeXLSX]
    export_form_class = ExportForm

    def has_export_permission(self, request):
        return roles.is_hr(request.user)


def log_time(at) -> str:
    """A time in a list of sends, short: `28 Nov 13:14`; the full date and time on hover."""
    at = timezone.localtime(at)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        at.isoformat(),
        date_format(at, "DATETIME_FORMAT"),
        date_format(at, "j M H:i"),
    )
