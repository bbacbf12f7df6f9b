"""The template to download: it reads back as one valid row; Excel gets a BOM and drop-down lists."""

from __future__ import annotations

import codecs
import datetime as dt
import io

import openpyxl
import pytest

from delegations.domain.member_import.columns import COLUMNS
from delegations.domain.member_import.template import import_template
from tests.delegations.member_import.lists import check

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_template_reads_back_as_one_valid_example_row(kind):
    data = import_template(kind)
    result = check(data)
    assert result.errors == []
    assert list(result.headers.values()) == list(COLUMNS.values())
    [row] = result.rows
    assert (row["given_name"], row["rank"], row["category"], row["passport_expiry"]) == (
        "Dara",
        40,
        "principal",
        dt.date(2031, 5, 31),
    )


def test_csv_template_starts_with_a_bom_for_excel():
    data = import_template("csv")
    assert data.startswith(codecs.BOM_UTF8)
    assert data[3:].decode().splitlines()[0] == ",".join(COLUMNS.values())


def test_xlsx_template_offers_the_ranks_and_categories_as_lists():
    sheet = openpyxl.load_workbook(io.BytesIO(import_template("xlsx"))).active
    formulas = [validation.formula1 for validation in sheet.data_validations.dataValidation]
    assert any("Head of state" in formula for formula in formulas)
    assert any("Head of delegation" in formula and "Host" not in formula for formula in formulas)


def test_template_of_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown template kind"):
        import_template("xls")
