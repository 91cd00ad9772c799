"""A property: whatever the members (names with accents, quotes, commas, semicolons, values that
begin with a character a spreadsheet runs as a formula, managers, inactive ones, dates), their
export, as CSV and as XLSX, imports back with nothing changed (core.spreadsheets escapes on the
way out and undoes exactly that on the way in). `make test` runs the quick depth
(tests/depth.py)."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.spreadsheets import SpreadsheetSafeCSV, SpreadsheetSafeXLSX, csv_value, sheet_read
from ladder.imports import COLUMNS, MemberResource, members_import
from ladder.models import Level, Member, MemberChange
from tests import factories
from tests.depth import examples

pytestmark = pytest.mark.django_db

LEVELS = ("associate-pm", "pm", "senior-pm", "group-pm")
FORMULA = ("=", "+", "-", "@", "'", "'=", "''+")
NAME_CHARACTERS = "aAzZéÉñÑøØüßçÇłŁ '\",;-=+@.()" + "José García"


def name() -> st.SearchStrategy[str]:
    text = st.text(alphabet=NAME_CHARACTERS, max_size=20)
    return st.builds(
        lambda start, rest: (start + rest).strip(), st.sampled_from(("", *FORMULA)), text
    )


def username() -> st.SearchStrategy[str]:
    rest = st.text(alphabet="abcxyz019_.", min_size=1, max_size=10)
    return st.builds(lambda start, rest: start + rest, st.sampled_from(("", "+", "-", "@")), rest)


@st.composite
def people(draw) -> list[dict]:
    usernames = draw(st.lists(username(), min_size=1, max_size=6, unique_by=lambda u: u.lower()))
    found = []
    for i, user in enumerate(usernames):
        start = draw(st.sampled_from(("", "=", "+", "-")))
        found.append(
            {
                "username": user,
                "email": f"{start}p{i}.{draw(st.sampled_from(('x', 'y', 'z')))}@example.com",
                "first_name": draw(name()),
                "last_name": draw(name()),
                "level": draw(st.sampled_from(LEVELS)),
                "manager": draw(st.none() | st.integers(min_value=0, max_value=i - 1))
                if i
                else None,
                "level_since": date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 1800))),
                "is_active": draw(st.booleans()),
            }
        )
    return found


@pytest.fixture
def hr():
    return factories.hr_user(username="hana")


def place(person_list: list[dict]) -> list[Member]:
    members: list[Member] = []
    for person in person_list:
        members.append(
            factories.MemberFactory(
                user__username=person["username"],
                user__email=person["email"],
                user__first_name=person["first_name"],
                user__last_name=person["last_name"],
                level=Level.objects.get(code=person["level"]),
                manager=None if person["manager"] is None else members[person["manager"]],
                level_since=person["level_since"],
                is_active=person["is_active"],
            )
        )
    return members


@settings(
    max_examples=examples(quick=15, deep=150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(person_list=people())
def test_an_export_as_csv_or_xlsx_imports_back_unchanged(hr, person_list):
    with transaction.atomic():
        place(person_list)
        dataset = MemberResource().export()
        expected = [list(row) for row in dataset]
        for fmt, filename in (
            (SpreadsheetSafeCSV(), "members.csv"),
            (SpreadsheetSafeXLSX(), "m.xlsx"),
        ):
            data = fmt.export_data(dataset)
            content = data.encode() if isinstance(data, str) else data
            # What the reader sees is what was exported, cell for cell, once unescaped ...
            sheet = sheet_read(content, filename=filename, known=COLUMNS)
            assert sheet.columns == list(COLUMNS) and not sheet.errors
            assert [[csv_value(c) for c in cells] for _, cells in sheet.rows] == expected
            assert [line for line, _ in sheet.rows] == list(range(2, len(expected) + 2))
            # ... and the import finds nothing to change.
            result = members_import(actor=hr, content=content, filename=filename)
            assert result.ok, ([str(e) for e in result.errors], filename, content[:600])
            assert (result.created, result.updated) == ([], [])
            assert result.unchanged == Member.objects.count()
        assert not MemberChange.objects.exists()
        transaction.set_rollback(True)
