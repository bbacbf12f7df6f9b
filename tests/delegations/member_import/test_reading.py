"""Reading a list: the formats, encodings and delimiters Excel writes; what is refused, and the limits."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from delegations.domain.member_import.errors import RowError
from delegations.domain.member_import.reading import MAX_BYTES, MAX_ROWS, MAX_UNPACKED_BYTES, cell_text, table_read
from delegations.domain.member_import.staging import member_import_people, member_import_stage
from tests.delegations.member_import.lists import HEADER, ROW, check, csv_bytes, member, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_stage_xlsx_reads_excel_dates_and_numbers(delegation, liaison):
    header = ["First name", "Surname", "Position", "Rank", "Phone", "Passport no", "Passport expiry", "DOB"]
    rows = [["Dara", "Sok", "Minister", 10, 85512345678, 123456789.0, dt.datetime(2031, 5, 31), dt.date(1970, 1, 15)]]  # noqa: DTZ001 — cells hold naive datetimes
    member_import, errors = member_import_stage(
        delegation=delegation, file_name="list.xlsx", data=xlsx_bytes(rows, header=header), by=liaison
    )
    assert errors == []
    [person] = member_import_people(member_import=member_import)
    assert (person.given_name, person.family_name, person.function, person.rank) == ("Dara", "Sok", "Minister", 10)
    assert (person.phone, person.passport_number) == ("85512345678", "123456789")
    assert (person.passport_expiry, person.date_of_birth) == (dt.date(2031, 5, 31), dt.date(1970, 1, 15))
    assert person.import_row == 2


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(csv_bytes([ROW]), id="utf8"),
        pytest.param(codecs.BOM_UTF8 + csv_bytes([ROW]), id="utf8_bom"),
        pytest.param(csv_bytes([ROW], encoding="utf-16"), id="utf16_bom"),
        pytest.param(codecs.BOM_UTF16_BE + csv_bytes([ROW], encoding="utf-16-be"), id="utf16_be_bom"),
        pytest.param(csv_bytes([ROW], delimiter=";"), id="semicolon"),
        pytest.param(codecs.BOM_UTF8 + csv_bytes([ROW], delimiter=";"), id="semicolon_bom"),
        pytest.param(csv_bytes([ROW], delimiter="\t"), id="tab"),
        pytest.param(b"sep=;\r\n" + csv_bytes([ROW], delimiter=";"), id="excel_sep_line"),
        pytest.param(csv_bytes([ROW]).replace(b"\r\n", b"\n"), id="lf_line_ends"),
        pytest.param(xlsx_bytes([ROW]), id="xlsx"),
    ],
)
def test_table_read_accepts_the_formats_excel_writes(data):
    table, errors = table_read(data=data)
    assert errors == []
    assert table.header == HEADER
    assert [(number, [cell_text(cell) for cell in cells]) for number, cells in table.rows] == [(2, ROW)]


def test_table_read_keeps_accents_of_utf8_and_utf16():
    row = ["Nguyễn", "Thị Hồng", "Vice-Ministre des Affaires étrangères", "", "", "", "", ""]
    for data in (csv_bytes([row]), csv_bytes([row], encoding="utf-16"), codecs.BOM_UTF8 + csv_bytes([row])):
        result = check(data)
        assert result.errors == []
        assert result.rows[0]["given_name"] == "Nguyễn"
        assert result.rows[0]["function"] == "Vice-Ministre des Affaires étrangères"


def test_table_read_refuses_cp1252_naming_the_byte_and_line():
    data = csv_bytes([member(1), ["José", "García", "Consul", "", "", "", "", ""]], encoding="cp1252")
    table, errors = table_read(data=data)
    assert table is None
    assert errors == [
        RowError(
            0,
            "",
            "The file is not UTF-8 text (byte 0xE9 on line 3). In Excel choose Save As → ‘CSV UTF-8’, or upload "
            "the .xlsx file.",
        )
    ]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel 97–2003 workbook (.xls)", id="xls"),
        pytest.param(b"%PDF-1.7\n...", "a PDF document, not a spreadsheet", id="pdf"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(40), "a PNG image", id="png"),
        pytest.param(_zip({"word/document.xml": b"<w/>"}), "a Word document, not an Excel workbook", id="docx"),
        pytest.param(
            _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
            "an OpenDocument spreadsheet (.ods)",
            id="ods",
        ),
        pytest.param(_zip({"xl/workbook.xml": b"not xml"}), "The workbook cannot be read", id="broken_xlsx"),
        pytest.param(b"PK\x03\x04" + bytes(100), "damaged: it does not open", id="truncated_zip"),
        pytest.param(b"", "The file is empty", id="empty"),
        pytest.param(b" \r\n\r\n", "The file is empty", id="blank"),
        pytest.param(csv_bytes([]), "a header row but no members below it", id="header_only"),
        pytest.param(b"\r\n" + csv_bytes([ROW]), "Row 1 is empty", id="blank_first_row"),
        pytest.param("Given name,Family name\n".encode("utf-16-le"), "byte 0x00 on line 1", id="utf16_without_bom"),
    ],
)
def test_table_read_refuses_what_is_not_a_readable_list(data, expected):
    table, errors = table_read(data=data)
    assert table is None
    [error] = errors
    assert (error.row, error.column) == (0, "")
    assert expected in error.message


def test_table_read_refuses_a_zip_bomb_before_unpacking_it():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b" " * 1_000_000
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                sheet.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1_000_000  # small to upload, over 100 MB unpacked
    table, [error] = table_read(data=data)
    assert table is None
    assert "The workbook unpacks to 101.0 MB, more than the 100.0 MB an import may" in error.message


def test_table_read_refuses_a_file_over_the_size_limit():
    data = csv_bytes([ROW]) + b" " * MAX_BYTES
    table, [error] = table_read(data=data)
    assert table is None
    assert "larger than 5.0 MB, the most one import may be" in error.message


def test_table_read_refuses_more_rows_than_the_limit_saying_the_limit():
    data = csv_bytes([["A", f"B{i}", "C"] for i in range(MAX_ROWS + 1)], header=HEADER[:3])
    table, [error] = table_read(data=data)
    assert table is None
    assert "more than 10,000 members" in error.message


def test_table_read_accepts_exactly_the_row_limit():
    data = csv_bytes([["A", f"B{i}", "C"] for i in range(MAX_ROWS)], header=HEADER[:3])
    table, errors = table_read(data=data)
    assert errors == []
    assert len(table.rows) == MAX_ROWS


@pytest.mark.parametrize(
    ("cell", "refused"),
    [pytest.param("BI4", True, id="just_past_the_last_column_read"), pytest.param("XFD4", False, id="column_xfd")],
)
def test_a_stray_cell_far_to_the_right_is_not_read_into_memory(cell, refused):
    """One value in column XFD would make every row of a read-only sheet 16,384 cells long: rows are read to
    one column past the last one used (BH), a value there is refused, anything further is never read."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for i in range(3):
        sheet.append(member(i))
    sheet[cell] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    table, errors = table_read(data=buffer.getvalue())
    if refused:
        assert table is None
        (error,) = errors
        assert error.row == 0 and "Row 4 has values beyond column BH" in error.message
    else:
        assert errors == []
        assert max(len(cells) for _number, cells in table.rows) <= len(HEADER)


def test_empty_cells_far_to_the_right_are_ignored():
    rows = [member(1) + [""] * 200]
    table, errors = table_read(data=csv_bytes(rows))
    assert errors == [] and len(table.rows[0][1]) <= len(HEADER)


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet():
    data = csv_bytes([member(1), ["", "", "", "", "", "", "", ""], [], member(2)[:3]], header=HEADER)
    result = check(data)
    assert result.errors == []
    assert [row["_row"] for row in result.rows] == [2, 5]


def test_quoted_cell_with_a_line_break_is_one_row():
    data = csv_bytes([["Dara", "Sok", "Minister of\nForeign Affairs"], member(2)[:3]], header=HEADER[:3])
    result = check(data)
    assert result.errors == []
    assert result.rows[0]["function"] == "Minister of\nForeign Affairs"
    assert [row["_row"] for row in result.rows] == [2, 3]
