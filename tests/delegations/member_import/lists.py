"""Delegation lists as the import tests upload them (CSV, XLSX, rows), and a shortcut to check one."""

from __future__ import annotations

import csv
import io

import openpyxl

from delegations.domain.member_import.checking import ImportCheck, member_import_check
from delegations.domain.member_import.errors import RowError
from tests.factories import DelegationFactory

HEADER = ["Given name", "Family name", "Function", "Rank", "Category", "Email", "Passport number", "Passport expiry"]
ROW = ["Dara", "Sok", "Minister", "Minister", "Head of delegation", "dara@example.org", "n1234567", "2031-05-31"]


def csv_bytes(rows, *, header=HEADER, delimiter=",", encoding="utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, *, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def member(i: int) -> list[str]:
    return [f"Anna{i}", f"Lee{i}", "Delegate", "Senior official", "delegate", f"m{i}@example.org", f"P{i:07d}", ""]


def check(data: bytes, delegation=None) -> ImportCheck:
    return member_import_check(delegation=delegation or DelegationFactory(), data=data)


def only_error(result: ImportCheck) -> RowError:
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def with_cell(column: str, value: str) -> list[str]:
    row = list(ROW)
    row[HEADER.index(column)] = value
    return row
