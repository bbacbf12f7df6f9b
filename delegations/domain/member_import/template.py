"""The empty list a liaison downloads to fill in: the header row and one example row, as CSV or XLSX."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from asemplanner.choices import LIAISON_CATEGORIES, Category, Rank
from asemplanner.spreadsheets import csv_row, xlsx_append
from delegations.domain.member_import.columns import COLUMNS, DATE_FIELDS, column_letter
from delegations.domain.member_import.reading import MAX_ROWS, cell_text

EXAMPLE_ROW: dict[str, Any] = {
    "honorific": "H.E.",
    "given_name": "Dara",
    "family_name": "Sok",
    "native_name": "សុខ ដារា",
    "function": "Minister of Foreign Affairs",
    "rank": Rank.MINISTER.label,
    "category": Category.PRINCIPAL.label,
    "nationality": "KHM",
    "email": "dara.sok@example.org",
    "phone": "+855 12 345 678",
    "languages": "km, en",
    "passport_number": "N1234567",
    "passport_expiry": dt.date(2031, 5, 31),
    "date_of_birth": dt.date(1970, 1, 15),
}


def import_template(kind: str) -> bytes:
    """An empty list to fill in: the header row and one example row, as CSV or XLSX. Cells go through
    asemplanner/spreadsheets.py, so none is a formula (the example phone starts with "+").

    The CSV starts with a UTF-8 BOM: without it Excel opens UTF-8 as the Windows code page (“Ã©” for “é”)."""
    if kind == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(csv_row(COLUMNS.values()))
        writer.writerow(csv_row(cell_text(EXAMPLE_ROW[name]) for name in COLUMNS))
        return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    if kind == "xlsx":
        return _xlsx_template()
    raise ValueError(f"Unknown template kind {kind!r}: use 'csv' or 'xlsx'.")


def _xlsx_template() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Delegation"
    xlsx_append(sheet, COLUMNS.values())
    xlsx_append(sheet, [EXAMPLE_ROW[name] for name in COLUMNS])
    sheet.freeze_panes = "A2"
    last = 1 + MAX_ROWS
    for index, name in enumerate(COLUMNS):
        letter = column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(14, len(COLUMNS[name]) + 4)
        if name in DATE_FIELDS:
            sheet[f"{letter}2"].number_format = "yyyy-mm-dd"
        elif name in ("passport_number", "phone"):
            # Text, so Excel keeps leading zeros and a "+" and does not show 1.23E+08.
            for row in range(2, 502):
                sheet[f"{letter}{row}"].number_format = "@"
    lists: dict[str, Sequence[tuple[Any, str]]] = {"rank": Rank.choices, "category": LIAISON_CATEGORIES}
    for name, choices in lists.items():
        labels = [label for _, label in choices]
        letter = column_letter(list(COLUMNS).index(name))
        validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
        validation.error = f"Choose one of: {', '.join(labels)}."
        validation.errorTitle = COLUMNS[name]
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
