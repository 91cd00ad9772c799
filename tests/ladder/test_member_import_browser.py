"""HR's member import page as HR meets it, in Chromium at every width (tests/accessibility.py):
the upload form with its date-format choice, a Windows-1252 semicolon file refused for an
ambiguous date with the line the spreadsheet shows, then accepted with dd/mm/yyyy chosen, its
preview and its confirmation. With SCREENSHOT_DIR set, the pages are saved at 1024 px."""

import os

import pytest

from ladder.models import Member
from tests import factories
from tests.accessibility import WIDTHS, check_page
from tests.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

IMPORT_PATH = "/admin/ladder/member/import/"
CONTAINER = "#content-main"


def check_every_width(page, failures: list[str]):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        try:
            check_page(page, container=CONTAINER)
        except AssertionError as failure:
            failures.append(f"{page.url} at {width}px: {failure}")


def test_hr_imports_a_spreadsheets_file_through_the_page_at_every_width(
    live_server, chromium, tmp_path
):
    from playwright.sync_api import expect

    factories.hr_user(username="hana")
    factories.MemberFactory(user__username="boss", level__code="group-pm")
    path = tmp_path / "Staff export.csv"
    path.write_bytes(
        "Username;E-mail;First Name;Last Name;Level;Manager;Level since\r\n"
        "\r\n"
        "rene;rene@example.com;René;Lévesque;pm;boss;01/03/2024\r\n"
        ";;;;;;\r\n".encode("cp1252")
    )
    page = chromium.new_page(viewport={"width": WIDTHS[0], "height": 900})
    log_in(page, live_server.url, "hana", IMPORT_PATH)
    screenshots = os.environ.get("SCREENSHOT_DIR")
    failures: list[str] = []
    check_every_width(page, failures)
    # Every control has its label.
    expect(page.get_by_label("CSV or XLSX file")).to_be_visible()
    date_format = page.get_by_label("Dates (level_since) written as")
    expect(date_format).to_be_visible()

    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.get_by_label("CSV or XLSX file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file (dry run)").click()
    errors = page.locator(".import-errors")
    expect(errors).to_contain_text("line 3: level_since '01/03/2024' is ambiguous")
    check_every_width(page, failures)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    if screenshots:
        page.screenshot(path=os.path.join(screenshots, "member-import-refused-1024.png"))
    page.get_by_label("CSV or XLSX file").set_input_files(str(path))
    page.get_by_label("Dates (level_since) written as").select_option(label="dd/mm/yyyy")
    page.get_by_role("button", name="Check the file (dry run)").click()
    expect(page.locator(".import-summary")).to_contain_text("1 to create, 0 to update")
    check_every_width(page, failures)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.get_by_role("button", name="Import these members").click()
    page.wait_for_url(f"{live_server.url}/admin/ladder/member/")
    assert not failures, "\n".join(failures)
    rene = Member.objects.select_related("user", "manager__user").get(user__username="rene")
    assert (rene.user.first_name, rene.user.last_name) == ("René", "Lévesque")
    assert rene.level_since.isoformat() == "2024-03-01" and rene.manager.user.username == "boss"
    page.close()
