"""The member import with files as HR has them (core.spreadsheets, ladder.imports): the shapes a
spreadsheet saves (semicolons, tabs, Windows-1252, "First Name" headers, dd/mm/yyyy, trailing
empty rows, blank lines, XLSX), each imported or refused with its line as the spreadsheet shows
it; the exports (a byte-order mark, no microseconds, XLSX); `manage.py import_members` and the
admin's page reading them alike."""

import io
from datetime import date, datetime

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from core.spreadsheets import SpreadsheetSafeCSV, SpreadsheetSafeXLSX, spreadsheet_timestamp
from ladder.imports import COLUMNS, MemberResource, members_import
from ladder.models import Member, MemberChange
from promotions.exports import PromotionResource
from tests import factories

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/ladder/member/import/"
MEMBER_EXPORT = "/admin/ladder/member/export/"


@pytest.fixture
def hr():
    factories.MemberFactory(user__username="boss", level__code="group-pm")
    return factories.hr_user(username="hana")


def member(username: str) -> Member:
    return Member.objects.select_related("user", "manager__user").get(
        user__username__iexact=username
    )


def messages(result) -> list[str]:
    return [str(error) for error in result.errors]


def xlsx(*rows: list) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- The shapes a spreadsheet saves --------------------------------------------------------------


def test_an_excel_semicolon_file_imports(hr):
    content = (
        "username;email;first_name;last_name;level;manager;level_since;is_active\r\n"
        'ada;ada@example.com;Ada;"Lovelace; Countess";pm;boss;2024-01-02;true\r\n'
    )
    result = members_import(actor=hr, content=content.encode())
    assert result.ok, messages(result)
    ada = member("ada")
    assert (ada.user.last_name, ada.manager.user.username) == ("Lovelace; Countess", "boss")


def test_a_tab_separated_file_imports(hr):
    content = "username\temail\tlevel\nada\tada@example.com\tpm\n"
    assert members_import(actor=hr, content=content.encode()).ok


def test_a_windows_1252_file_with_accents_imports(hr):
    content = (
        "username;email;first_name;last_name;level\r\njose;jose@example.com;José;García;pm\r\n"
    )
    result = members_import(actor=hr, content=content.encode("cp1252"))
    assert result.ok, messages(result)
    assert (member("jose").user.first_name, member("jose").user.last_name) == ("José", "García")


def test_utf8_with_and_without_a_byte_order_mark_imports(hr):
    for i, prefix in enumerate((b"", b"\xef\xbb\xbf")):
        content = (
            prefix + f"username,email,first_name,level\nzoe{i},z{i}@example.com,Zoë,pm\n".encode()
        )
        assert members_import(actor=hr, content=content).ok
        assert member(f"zoe{i}").user.first_name == "Zoë"


def test_headers_as_a_spreadsheet_names_them_are_matched(hr):
    content = (
        "User Name,E-mail,First Name,Last name,Level,Manager,Level since,Is Active\n"
        "ada,ada@example.com,Ada,Lovelace,pm,boss,2024-01-02,TRUE\n"
    )
    result = members_import(actor=hr, content=content)
    assert result.ok, messages(result)
    ada = member("ada")
    assert (ada.user.first_name, ada.level_since, ada.is_active) == ("Ada", date(2024, 1, 2), True)
    # Aliases HR's tools use: "Surname", "Email address", "Active".
    content = (
        "username,Email address,Given name,Surname,level,Active\nbo,bo@example.com,B,O,pm,false\n"
    )
    assert members_import(actor=hr, content=content).ok
    assert member("bo").user.last_name == "O" and not member("bo").is_active


def test_dd_mm_yyyy_with_the_format_stated_imports(hr):
    content = "username,email,level,level_since\nada,ada@example.com,pm,01/03/2024\n"
    result = members_import(actor=hr, content=content, date_format="%d/%m/%Y")
    assert result.ok, messages(result)
    assert member("ada").level_since == date(2024, 3, 1)  # 1 March, as stated


def test_a_trailing_empty_row_is_ignored(hr):
    content = f"{','.join(COLUMNS)}\r\nada,ada@example.com,A,L,pm,,,\r\n,,,,,,,\r\n,,,,,,,\r\n"
    result = members_import(actor=hr, content=content)
    assert result.ok, messages(result)
    assert result.created == ["ada"]
    # Empty cells after the last column, in the header too, as a spreadsheet may save them.
    content = "username,email,level,,\nbob,bob@example.com,pm,,\n"
    assert members_import(actor=hr, content=content).ok


def test_blank_lines_do_not_shift_the_line_numbers(hr):
    content = "username,email,level\n\nada,ada@example.com,nope\n\n\nbob,bob@example.com,pm,x\n"
    result = members_import(actor=hr, content=content)
    assert messages(result) == [
        "line 3: Unknown level 'nope'.",
        "line 6: The line has 4 cells; the header names 3 columns.",
    ]


def test_an_xlsx_file_imports_with_typed_cells_and_its_row_numbers(hr):
    content = xlsx(
        ["Username", "E-mail", "First Name", "Level", "Level since", "Is active"],
        ["ada", "ada@example.com", "Ada", "pm", datetime(2024, 3, 1), True],
        [],
        ["bob", "bob@example.com", "Bob", "nope", None, False],
    )
    result = members_import(actor=hr, content=content, filename="staff.xlsx")
    assert messages(result) == ["line 4: Unknown level 'nope'."]
    content = xlsx(
        ["Username", "E-mail", "Level", "Level since", "Is active"],
        ["ada", "ada@example.com", "pm", datetime(2024, 3, 1), True],
        [None, None, None, None, None],
    )
    result = members_import(actor=hr, content=content, filename="staff.xlsx")
    assert result.ok, messages(result)
    assert member("ada").level_since == date(2024, 3, 1)


# --- Refusals, each with its message -------------------------------------------------------------


def test_a_file_neither_utf8_nor_windows_1252_is_refused_naming_both():
    hr = factories.hr_user()
    content = "username,email,level\nann,ann@example.com,pm\n".encode("utf-16")
    result = members_import(actor=hr, content=content)
    assert len(result.errors) == 1
    message = str(result.errors[0])
    assert message.startswith("line 1: The file is neither UTF-8 nor Windows-1252 text")
    assert "XLSX" in message


def test_a_delimiter_that_cannot_be_told_is_refused_with_what_was_seen(hr):
    result = members_import(actor=hr, content="colour;size,shape\nred;big,round\n")
    assert len(result.errors) == 1
    message = str(result.errors[0])
    assert "Cannot tell how the columns are separated" in message
    assert "commas and semicolons" in message and "()" not in message


def test_a_delimiter_is_decided_by_the_known_columns(hr):
    # Commas inside the header cells of a semicolon file: the semicolons give the columns.
    content = 'username;email;"level, code"\nada;ada@example.com;pm\n'
    assert members_import(actor=hr, content=content).ok


def test_an_unclosed_quote_is_an_error_of_its_line(hr):
    result = members_import(actor=hr, content='username,email,level\nann,"ann@example.com,pm\n')
    assert [e.line for e in result.errors] == [2]
    assert "quote" in result.errors[0].message


def test_an_unknown_column_is_named_with_the_known_ones(hr):
    result = members_import(actor=hr, content="Username,E-mail,Level,Shoe size\nann,a@x.com,pm,9\n")
    assert messages(result) == [
        "line 1: Unknown columns: Shoe size (the known ones: username, email, first_name, "
        "last_name, level, manager, level_since, is_active)."
    ]


def test_a_column_named_twice_loosely_is_refused(hr):
    result = members_import(
        actor=hr, content="username,email,E-mail,level\nann,a@x.com,a@x.com,pm\n"
    )
    assert messages(result) == ["line 1: Columns named twice: email."]


def test_a_date_not_in_the_stated_format_is_an_error_of_its_line(hr):
    content = (
        "username,email,level,level_since\n"
        "ada,ada@example.com,pm,01/03/2024\n"
        "bob,bob@example.com,pm,2024-03-01\n"  # ISO is always read
        "cy,cy@example.com,pm,03-01-2024\n"
    )
    result = members_import(actor=hr, content=content, date_format="%d/%m/%Y")
    assert messages(result) == [
        "line 4: level_since '03-01-2024' is not a date as %d/%m/%Y (nor YYYY-MM-DD)."
    ]


def test_an_ambiguous_date_with_no_format_stated_is_an_error_saying_to_state_it(hr):
    content = "username,email,level,level_since\nada,ada@example.com,pm,01/03/2024\n"
    result = members_import(actor=hr, content=content)
    assert [e.line for e in result.errors] == [2]
    assert "ambiguous" in result.errors[0].message
    assert "--date-format %d/%m/%Y" in result.errors[0].message
    assert not Member.objects.filter(user__username="ada").exists()


def test_the_file_decides_the_date_format_when_one_date_tells_it(hr):
    content = (
        "username,email,level,level_since\n"
        "ada,ada@example.com,pm,01/03/2024\n"
        "bob,bob@example.com,pm,25/03/2024\n"  # no 25th month: the file is dd/mm/yyyy
    )
    result = members_import(actor=hr, content=content)
    assert result.ok, messages(result)
    assert member("ada").level_since == date(2024, 3, 1)
    # A file mixing both orders is read by neither: each such date is an error.
    content += "cy,cy@example.com,pm,03/25/2024\n"
    result = members_import(actor=hr, content=content)
    assert [e.line for e in result.errors] == [2, 3, 4]
    assert "state the date format" in result.errors[0].message


def test_a_row_longer_than_the_header_is_an_error_of_its_line(hr):
    content = "username,email,level\nada,ada@example.com,pm,,\nbob,bob@example.com,pm,extra\n"
    result = members_import(actor=hr, content=content)
    assert messages(result) == ["line 3: The line has 4 cells; the header names 3 columns."]


def test_a_broken_xlsx_file_is_refused(hr):
    result = members_import(actor=hr, content=b"PK\x03\x04broken", filename="staff.xlsx")
    assert [e.line for e in result.errors] == [1]
    assert "cannot be read as XLSX" in result.errors[0].message


def test_an_xlsx_past_the_row_limit_is_refused(hr, monkeypatch):
    monkeypatch.setattr("core.spreadsheets.XLSX_MAX_ROWS", 3)
    rows = [["username", "email", "level"]] + [
        [f"u{i}", f"u{i}@example.com", "pm"] for i in range(3)
    ]
    result = members_import(actor=hr, content=xlsx(*rows), filename="big.xlsx")
    assert messages(result) == ["line 4: The sheet has more than 3 rows: split it."]


def test_an_empty_file_or_first_line_is_refused(hr):
    for content in ("", "\nusername,email,level\n"):
        result = members_import(actor=hr, content=content)
        assert messages(result) == ["line 1: The first line is empty: it must name the columns."]


# --- Exports -------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_csv_export_starts_with_a_byte_order_mark(hr):
    factories.MemberFactory(user__first_name="José", user__last_name="García")
    response = client_for(hr).post(MEMBER_EXPORT, {"format": "0", "resource": "0"})
    assert response.content.startswith(b"\xef\xbb\xbf" + b"username,")
    assert "José".encode() in response.content  # UTF-8, which the mark tells Excel


def test_exported_timestamps_have_no_microseconds(hr):
    promotion = factories.promotion(state="approved")
    promotion.created_at = datetime(
        2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.get_current_timezone()
    )
    row = dict(
        zip(
            PromotionResource().get_export_headers(),
            PromotionResource().export_resource(promotion),
            strict=True,
        )
    )
    assert row["created_at"] == promotion.created_at.replace(microsecond=0).isoformat()
    assert row["created_at"].startswith("2024-05-06T07:08:09")
    assert "." not in row["decided_at"]
    assert spreadsheet_timestamp(date(2024, 5, 6)) == "2024-05-06"


def test_the_admin_exports_xlsx_and_it_imports_back_with_escaped_cells(hr):
    factories.MemberFactory(
        user__username="@lex",
        user__email="lex@example.com",
        user__first_name="=SUM(A1)",
        user__last_name="Ñúñez",
        level__code="pm",
    )
    response = client_for(hr).post(MEMBER_EXPORT, {"format": "1", "resource": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows["'@lex"][2:4] == ("'=SUM(A1)", "Ñúñez")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula
    result = members_import(actor=hr, content=response.content, filename="members.xlsx")
    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged) == ([], [], Member.objects.count())


def test_a_formula_escaped_cell_imports_back_from_csv(hr):
    factories.MemberFactory(
        user__username="@lex",
        user__email="lex@example.com",
        user__first_name="@home",
        level__code="pm",
    )
    response = client_for(hr).post(MEMBER_EXPORT, {"format": "0", "resource": "0"})
    assert b"'@lex" in response.content
    result = members_import(actor=hr, content=response.content)
    assert result.ok, messages(result)
    assert result.unchanged == Member.objects.count() and not MemberChange.objects.exists()


# --- The command and the admin page read alike ---------------------------------------------------


def test_the_command_imports_xlsx_by_extension_and_states_a_date_format(hr, tmp_path, capsys):
    path = tmp_path / "staff.xlsx"
    path.write_bytes(
        xlsx(
            ["Username", "Email", "Level", "Level since"],
            ["ada", "ada@example.com", "pm", "01/03/2024"],
        )
    )
    with pytest.raises(CommandError):
        call_command("import_members", str(path), "--actor", "hana")
    assert "ambiguous" in capsys.readouterr().err
    call_command("import_members", str(path), "--actor", "hana", "--date-format", "%d/%m/%Y")
    assert member("ada").level_since == date(2024, 3, 1)


def test_the_command_reads_windows_1252_semicolons_and_names_physical_lines(hr, tmp_path, capsys):
    path = tmp_path / "staff.csv"
    text = "Username;E-mail;First Name;Level\r\n\r\nrené;rene@example.com;René;nope\r\n;;;\r\n"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_members", str(path), "--actor", "hana")
    assert "line 3: Unknown level 'nope'." in capsys.readouterr().err


def test_the_command_refuses_a_date_format_without_a_directive(hr, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("username,email,level\nada,ada@example.com,pm\n")
    with pytest.raises(CommandError, match="strftime pattern"):
        call_command("import_members", str(path), "--actor", "hana", "--date-format", "dd/mm/yyyy")


def test_the_admin_imports_xlsx_and_a_stated_date_format_through_the_confirmation(hr):
    client = client_for(hr)
    content = xlsx(
        ["Username", "E-mail", "Level", "Level since"], ["ada", "a@example.com", "pm", "01/03/2024"]
    )
    upload = SimpleUploadedFile("staff.xlsx", content)
    refused = client.post(IMPORT_URL, {"file": upload}).content.decode()
    assert "line 2: level_since &#x27;01/03/2024&#x27; is ambiguous" in refused
    upload = SimpleUploadedFile("staff.xlsx", content)
    preview = client.post(IMPORT_URL, {"file": upload, "date_format": "%d/%m/%Y"})
    assert "1 to create" in preview.content.decode()
    done = client.post(IMPORT_URL, {"confirm": "1"})
    assert done.status_code == 302
    assert member("ada").level_since == date(2024, 3, 1)


def test_the_admin_imports_a_windows_1252_semicolon_file(hr):
    client = client_for(hr)
    text = (
        "Username;E-mail;First Name;Last Name;Level\r\nrene;rene@example.com;René;Lévesque;pm\r\n"
    )
    upload = SimpleUploadedFile("staff.csv", text.encode("cp1252"), content_type="text/csv")
    assert "1 to create" in client.post(IMPORT_URL, {"file": upload}).content.decode()
    assert client.post(IMPORT_URL, {"confirm": "1"}).status_code == 302
    assert member("rene").user.last_name == "Lévesque"


def test_exports_of_the_formats_read_back_through_the_same_reader(hr):
    """The two formats' writers directly, beside the admin's: one reader for both."""
    factories.MemberFactory(user__first_name="+1", user__last_name="'=x", level__code="pm")
    dataset = MemberResource().export()
    for fmt, name in ((SpreadsheetSafeCSV(), "m.csv"), (SpreadsheetSafeXLSX(), "m.xlsx")):
        data = fmt.export_data(dataset)
        content = data.encode() if isinstance(data, str) else data
        result = members_import(actor=hr, content=content, filename=name)
        assert result.ok and result.unchanged == Member.objects.count(), messages(result)
