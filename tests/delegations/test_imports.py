"""The spreadsheet import of a delegation list: reading files, checking rows, staging, confirming, discarding."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from asemplanner.domain.audit import MASK
from asemplanner.models import AuditEntry
from delegations.domain import imports
from delegations.domain.imports import (
    ImportRefused,
    RowError,
    import_template,
    member_import_check,
    member_import_confirm,
    member_import_discard,
    member_import_people,
    member_import_stage,
    table_read,
)
from delegations.models import MemberImport, Person
from tests.factories import DelegationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

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


def check(data: bytes, delegation=None) -> imports.ImportCheck:
    return member_import_check(delegation=delegation or DelegationFactory(), data=data)


def only_error(result: imports.ImportCheck) -> RowError:
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


@pytest.fixture
def delegation():
    return DelegationFactory(quota=12)


@pytest.fixture
def liaison(delegation):
    user = UserFactory(roles=["liaison"])
    delegation.liaisons.add(user)
    return user


# --- Reading files ---------------------------------------------------------------------------------------
def test_stage_csv_keeps_a_ready_import_and_adds_nobody(delegation, liaison):
    data = csv_bytes([ROW, member(2)])
    member_import, errors = member_import_stage(
        delegation=delegation, file_name="C:\\lists\\fr.csv", data=data, by=liaison
    )
    assert errors == []
    member_import.refresh_from_db()
    assert (member_import.status, member_import.n_rows, member_import.file_name) == ("ready", 2, "fr.csv")
    assert member_import.uploaded_by == liaison
    first = member_import.rows[0]
    assert first == {
        "_row": 2,
        "given_name": "Dara",
        "family_name": "Sok",
        "function": "Minister",
        "rank": 40,
        "category": "principal",
        "email": "dara@example.org",
        "passport_number": "N1234567",
        "passport_expiry": "2031-05-31",
    }
    assert not Person.objects.exists()
    entry = AuditEntry.objects.get(action="delegations.memberimport.uploaded")
    assert "rows" not in entry.changes  # the working copy stays out of the trail; each person gets an entry
    assert entry.changes["n_rows"] == [None, 2]
    assert "N1234567" not in str(entry.changes)


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
    assert [(number, [imports._text(cell) for cell in cells]) for number, cells in table.rows] == [(2, ROW)]


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
            for _ in range(imports.MAX_UNPACKED_BYTES // len(chunk) + 1):
                sheet.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1_000_000  # small to upload, over 100 MB unpacked
    table, [error] = table_read(data=data)
    assert table is None
    assert "The workbook unpacks to 101.0 MB, more than the 100.0 MB an import may" in error.message


def test_table_read_refuses_a_file_over_the_size_limit():
    data = csv_bytes([ROW]) + b" " * imports.MAX_BYTES
    table, [error] = table_read(data=data)
    assert table is None
    assert "larger than 5.0 MB, the most one import may be" in error.message


def test_table_read_refuses_more_rows_than_the_limit_saying_the_limit():
    data = csv_bytes([["A", f"B{i}", "C"] for i in range(imports.MAX_ROWS + 1)], header=HEADER[:3])
    table, [error] = table_read(data=data)
    assert table is None
    assert "more than 10,000 members" in error.message


def test_table_read_accepts_exactly_the_row_limit():
    data = csv_bytes([["A", f"B{i}", "C"] for i in range(imports.MAX_ROWS)], header=HEADER[:3])
    table, errors = table_read(data=data)
    assert errors == []
    assert len(table.rows) == imports.MAX_ROWS


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


# --- The header -------------------------------------------------------------------------------------------
def test_header_is_matched_by_alias_case_and_spacing():
    header = [
        "TITLE",
        "first_name",
        "Last-Name",
        "position",
        "E-mail",
        "Mobile",
        "passport no.",
        "D.O.B.",
        "Given names",
    ]
    data = csv_bytes([["Mr", "Dara", "Sok", "Adviser", "d@example.org", "012", "x1", "1970-01-15", ""]], header=header)
    result = check(data)
    assert result.errors and result.errors[0].message.startswith("Columns B (‘first_name’) and I (‘Given names’)")
    result = check(data.replace(b",Given names", b"").replace(b',""', b""))
    assert result.errors == []
    assert result.headers == {
        "honorific": "TITLE",
        "given_name": "first_name",
        "family_name": "Last-Name",
        "function": "position",
        "email": "E-mail",
        "phone": "Mobile",
        "passport_number": "passport no.",
        "date_of_birth": "D.O.B.",
    }
    assert result.rows[0]["passport_number"] == "X1"


@pytest.mark.parametrize(
    ("header", "column", "expected"),
    [
        pytest.param(
            ["Given name", "Family name", "Function", "Birthplace"],
            "Birthplace",
            "Column D, ‘Birthplace’, is not a column this import knows. Rename it to one of: Honorific, Given name "
            "(required), Family name (required), Function (required), Rank",
            id="unknown",
        ),
        pytest.param(
            ["Given name", "Family name", "Function", "Surname"],
            "Surname",
            "Columns B (‘Family name’) and D (‘Surname’) both hold Family name. Keep one of them.",
            id="duplicate",
        ),
        pytest.param(
            ["Given name", "Family name", "Rank"],
            "",
            "The required column ‘Function’ is missing. Row 1 must name the columns: Honorific,",
            id="missing_required",
        ),
        pytest.param(
            ["Delegation of France", "", ""],
            "",
            "Row 1 must be the header naming the columns, but it reads ‘Delegation of France’.",
            id="title_row_above_header",
        ),
    ],
)
def test_header_errors_name_the_column(header, column, expected):
    error = only_error(check(csv_bytes([["Dara", "Sok", "Minister", "x"]], header=header)))
    assert (error.row, error.column) == (1, column)
    assert error.message.startswith(expected)
    assert error.file_level


def test_values_in_a_column_without_header_are_refused():
    data = csv_bytes([["Dara", "Sok", "Minister"], ["Lan", "Chea", "Adviser", "", "stray"]], header=HEADER[:3])
    error = only_error(check(data))
    assert error == RowError(
        0,
        "",
        "Column E has no header, but row 3 has a value in it. Give the column a header from the list, or delete it.",
    )


# --- Values -------------------------------------------------------------------------------------------
def with_cell(column: str, value: str) -> list[str]:
    row = list(ROW)
    row[HEADER.index(column)] = value
    return row


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        pytest.param(
            "Passport expiry",
            "31/02/2031",
            "‘31/02/2031’ is not a date; write it as YYYY-MM-DD, e.g. 2031-05-31.",
            id="date_not_iso",
        ),
        pytest.param(
            "Passport expiry",
            "2031-02-31",
            "‘2031-02-31’ is not a date; write it as YYYY-MM-DD, e.g. 2031-05-31.",
            id="date_impossible",
        ),
        pytest.param(
            "Rank",
            "Chief",
            "‘Chief’ is not a rank. Write one of: Head of state, Head of government, Vice head of state or government, "
            "Minister, Senior official, Other.",
            id="rank",
        ),
        pytest.param(
            "Category",
            "VIP",
            "‘VIP’ is not a category. Write one of: Head of delegation, Delegate, Security officer, Media, Liaison "
            "officer, Support staff.",
            id="category",
        ),
        pytest.param(
            "Category", "Host organising staff", "are the host country's own staff", id="host_category_by_label"
        ),
        pytest.param("Category", "host", "are the host country's own staff", id="host_category_by_value"),
        pytest.param("Email", "dara@", "‘dara@’: Enter a valid email address.", id="email"),
        pytest.param("Given name", "", "Given name is required; this cell is empty.", id="required_empty"),
        pytest.param(
            "Family name",
            "S" * 101,
            "Ensure this value has at most 100 characters (it has 101).",
            id="too_long",
        ),
        pytest.param(
            "Passport expiry",
            "2020-11-17",
            "This passport expires on 17 Nov 2020, before",
            id="passport_expires_before_event_ends",
        ),
    ],
)
def test_row_errors_say_row_column_and_what_is_allowed(column, value, expected):
    data = csv_bytes([member(1), with_cell(column, value)])
    error = only_error(check(data))
    assert (error.row, error.column) == (3, column)
    assert expected in error.message
    assert not error.file_level


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("France", "Ensure this value has at most 3 characters (it has 6).", id="name_not_code"),
        pytest.param("F1A", "Use the three-letter ISO code in capitals, e.g. KHM.", id="digit"),
    ],
)
def test_nationality_follows_the_model_field_rules(value, expected):
    header = [*HEADER[:3], "Nationality"]
    error = only_error(check(csv_bytes([[*ROW[:3], value]], header=header)))
    assert (error.row, error.column) == (2, "Nationality")
    assert expected in error.message


def test_the_same_bad_value_is_reported_on_every_row_it_is_in():
    header = [*HEADER[:3], "Nationality"]
    rows = [[f"Given{i}", "Sok", "Adviser", "France"] for i in range(3)]
    result = check(csv_bytes(rows, header=header))
    assert [(e.row, e.column) for e in result.errors] == [(2, "Nationality"), (3, "Nationality"), (4, "Nationality")]
    assert len({e.message for e in result.errors}) == 1


def test_nationality_and_passport_number_are_upper_cased():
    header = [*HEADER[:3], "Nationality", "Passport number"]
    result = check(csv_bytes([[*ROW[:3], " khm ", "n 123"]], header=header))
    assert result.errors == []
    assert (result.rows[0]["nationality"], result.rows[0]["passport_number"]) == ("KHM", "N 123")


def test_date_of_birth_in_the_future_is_refused():
    header = [*HEADER[:3], "Date of birth"]
    error = only_error(check(csv_bytes([[*ROW[:3], "2999-01-01"]], header=header)))
    assert (error.row, error.column) == (2, "Date of birth")
    assert "is in the future" in error.message


def test_several_errors_in_one_row_are_all_reported():
    row = ["", "Sok", "Minister", "Chief", "VIP", "x", "", "soon"]
    result = check(csv_bytes([row]))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "Given name"),
        (2, "Rank"),
        (2, "Category"),
        (2, "Email"),
        (2, "Passport expiry"),
    ]


@pytest.mark.parametrize(
    ("rank", "category", "expected"),
    [
        pytest.param("Head of state", "Head of delegation", (10, "principal"), id="labels"),
        pytest.param("10", "principal", (10, "principal"), id="values"),
        pytest.param("HEAD_OF_STATE", "PRINCIPAL", (10, "principal"), id="names"),
        pytest.param("head of STATE ", " media", (10, "media"), id="case_and_spaces"),
        pytest.param("vice head of state or government", "support staff", (30, "support"), id="long_labels"),
        pytest.param("", "", (90, "delegate"), id="empty_gives_defaults"),
    ],
)
def test_rank_and_category_by_label_value_or_name(rank, category, expected):
    header = [*HEADER[:3], "Rank", "Category"]
    result = check(csv_bytes([[*ROW[:3], rank, category]], header=header))
    assert result.errors == []
    assert (result.rows[0]["rank"], result.rows[0]["category"]) == expected


# --- Duplicates and quota -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("second", "column", "expected"),
    [
        pytest.param(
            ["  DARÁ ", "sok", "Adviser", "", "", "", "", ""],
            "Family name",
            "Same name as row 2 (Dara Sok). List each member once.",
            id="name_case_and_accents",
        ),
        pytest.param(
            ["Lan", "Chea", "Adviser", "", "", "", "N1234567", ""],
            "Passport number",
            "Same passport number as row 2 (Dara Sok).",
            id="passport",
        ),
        pytest.param(
            ["Lan", "Chea", "Adviser", "", "", "DARA@example.org", "", ""],
            "Email",
            "Same e-mail address as row 2 (Dara Sok).",
            id="email",
        ),
    ],
)
def test_duplicates_within_the_file_name_the_earlier_row(second, column, expected):
    error = only_error(check(csv_bytes([ROW, second])))
    assert error == RowError(3, column, expected)


@pytest.mark.parametrize(
    ("existing", "column", "expected"),
    [
        pytest.param(
            {"given_name": "Dára", "family_name": "SOK"},
            "Family name",
            "Dára SOK is already a member of the delegation.",
            id="name",
        ),
        pytest.param(
            {"passport_number": "N1234567"},
            "Passport number",
            "This passport number is already on file for Ana Lee, a member of the delegation.",
            id="passport",
        ),
        pytest.param(
            {"email": "Dara@Example.org"},
            "Email",
            "This e-mail address is already on file for Ana Lee, a member of the delegation.",
            id="email",
        ),
    ],
)
def test_duplicates_of_existing_members_name_the_member(delegation, existing, column, expected):
    PersonFactory(delegation=delegation, **{"given_name": "Ana", "family_name": "Lee", **existing})
    PersonFactory(given_name="Dara", family_name="Sok", passport_number="N1234567")  # another delegation's
    error = only_error(check(csv_bytes([ROW]), delegation))
    assert (error.row, error.column) == (2, column)
    assert error.message.startswith(expected)


def test_quota_error_says_places_left_and_rows_in_the_file(delegation):
    PersonFactory.create_batch(9, delegation=delegation)
    result = check(csv_bytes([member(i) for i in range(5)]), delegation)
    assert only_error(result) == RowError(
        0,
        "",
        "The file lists 5 members, but the delegation has 3 of its 12 places left (9 taken). Remove 2 rows, or ask "
        "the organisers to raise the quota.",
    )


def test_quota_exactly_filled_is_accepted(delegation):
    PersonFactory.create_batch(9, delegation=delegation)
    assert check(csv_bytes([member(i) for i in range(3)]), delegation).errors == []


def test_stage_with_errors_saves_nothing(delegation, liaison):
    PersonFactory(delegation=delegation)
    people, entries = Person.objects.count(), AuditEntry.objects.count()
    data = csv_bytes([ROW, with_cell("Rank", "Chief")])
    member_import, errors = member_import_stage(delegation=delegation, file_name="x.csv", data=data, by=liaison)
    assert member_import is None
    assert [(e.row, e.column) for e in errors] == [
        (3, "Rank"),
        (3, "Family name"),
        (3, "Passport number"),
        (3, "Email"),
    ]
    assert (Person.objects.count(), AuditEntry.objects.count()) == (people, entries)
    assert not MemberImport.objects.exists()


# --- Confirm and discard -----------------------------------------------------------------------------------
def staged(delegation, liaison, rows) -> MemberImport:
    member_import, errors = member_import_stage(
        delegation=delegation, file_name="list.csv", data=csv_bytes(rows), by=liaison
    )
    assert errors == []
    return member_import


def test_confirm_adds_every_member_with_an_audit_entry_each(delegation, liaison):
    member_import = staged(delegation, liaison, [ROW, member(2)])
    people = member_import_confirm(member_import=member_import, by=liaison)
    assert sorted(p.full_name for p in Person.objects.filter(delegation=delegation)) == ["Anna2 Lee2", "Dara Sok"]
    assert {p.pk for p in people} == set(Person.objects.values_list("pk", flat=True))
    dara = Person.objects.get(given_name="Dara")
    assert (dara.rank, dara.category, dara.passport_number, dara.passport_expiry) == (
        40,
        "principal",
        "N1234567",
        dt.date(2031, 5, 31),
    )
    entries = AuditEntry.objects.filter(action="delegations.person.imported")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(p.pk) for p in people)
    entry = entries.get(object_id=str(dara.pk))
    assert entry.actor == liaison
    assert entry.changes["given_name"] == [None, "Dara"]
    assert entry.changes["passport_number"][1].startswith(MASK)
    assert "N1234567" not in str(entry.changes)
    member_import.refresh_from_db()
    assert (member_import.status, member_import.rows, member_import.n_rows) == ("imported", [], 2)
    assert member_import.imported_at is not None
    assert AuditEntry.objects.filter(
        action="delegations.memberimport.imported", object_id=str(member_import.pk)
    ).exists()


def test_confirm_twice_is_refused_and_adds_nobody_again(delegation, liaison):
    member_import = staged(delegation, liaison, [ROW])
    member_import_confirm(member_import=member_import, by=liaison)
    stale_copy = MemberImport.objects.get(pk=member_import.pk)
    stale_copy.status = MemberImport.Status.READY  # as a second tab that loaded it before the first confirm
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=stale_copy, by=liaison)
    assert "already imported" in exc.value.errors[0].message
    assert Person.objects.filter(delegation=delegation).count() == 1


@pytest.mark.parametrize(
    ("meanwhile", "expected"),
    [
        pytest.param({"given_name": "Dara", "family_name": "Sok"}, "Dara Sok is already a member", id="same_name"),
        pytest.param({"passport_number": "N1234567"}, "passport number is already on file", id="same_passport"),
    ],
)
def test_confirm_checks_again_against_members_added_since_the_upload(delegation, liaison, meanwhile, expected):
    member_import = staged(delegation, liaison, [ROW, member(2)])
    PersonFactory(delegation=delegation, **meanwhile)
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=member_import, by=liaison)
    assert exc.value.errors[0].row == 2
    assert expected in exc.value.errors[0].message
    assert Person.objects.filter(delegation=delegation).count() == 1
    member_import.refresh_from_db()
    assert member_import.status == "ready"


def test_confirm_checks_the_quota_again(delegation, liaison):
    member_import = staged(delegation, liaison, [member(i) for i in range(3)])
    PersonFactory.create_batch(10, delegation=delegation)
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=member_import, by=liaison)
    assert exc.value.errors[0].message.startswith("The file lists 3 members, but the delegation has 2 of its 12")
    assert Person.objects.filter(delegation=delegation).count() == 10


def test_discard_empties_the_rows_and_confirm_is_then_refused(delegation, liaison):
    member_import = staged(delegation, liaison, [ROW])
    member_import_discard(member_import=member_import, by=liaison)
    member_import.refresh_from_db()
    assert (member_import.status, member_import.rows) == ("discarded", [])
    assert AuditEntry.objects.filter(action="delegations.memberimport.discarded").count() == 1
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=member_import, by=liaison)
    assert "discarded" in exc.value.errors[0].message
    with pytest.raises(ImportRefused):
        member_import_discard(member_import=member_import, by=liaison)
    assert not Person.objects.exists()


def test_stale_uploads_are_dropped_when_a_new_one_is_staged_and_cannot_be_confirmed(delegation, liaison):
    old = staged(delegation, liaison, [ROW])
    MemberImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    old.refresh_from_db()
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=old, by=liaison)
    assert "has expired" in exc.value.errors[0].message
    recent = staged(DelegationFactory(), liaison, [ROW])
    new = staged(delegation, liaison, [member(2)])
    assert set(MemberImport.objects.values_list("pk", flat=True)) == {recent.pk, new.pk}
    entry = AuditEntry.objects.get(action="delegations.memberimport.expired", object_id=str(old.pk))
    assert entry.actor_name == "system"  # not the liaison whose upload happened to trigger it


def test_the_hourly_task_drops_stale_uploads_and_nothing_else(delegation, liaison):
    from delegations.tasks import prune_imports

    old, fresh = staged(delegation, liaison, [ROW]), staged(DelegationFactory(), liaison, [member(3)])
    MemberImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert prune_imports() == "dropped 1"
    assert list(MemberImport.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert prune_imports() == "dropped 0"


# --- Query counts ------------------------------------------------------------------------------------------
# Person has 17 inserted columns: SQLite's 999-variable limit splits a bulk INSERT above 58 rows, so the
# sizes stay below it; PostgreSQL inserts any number in one statement (benchmarks/member_import.py, B7).
@pytest.mark.parametrize("sizes", [pytest.param((10, 50), id="10_and_50_rows")])
def test_stage_and_confirm_take_as_many_queries_for_many_rows_as_for_few(liaison, sizes):
    counts = []
    for size in (1, *sizes):  # the first fills Django's content-type cache, as a running server has it
        delegation = DelegationFactory(quota=100)
        PersonFactory(delegation=delegation)
        data = csv_bytes([member(i) for i in range(size)])
        with CaptureQueriesContext(connection) as staging:
            member_import, errors = member_import_stage(delegation=delegation, file_name="x.csv", data=data, by=liaison)
        with CaptureQueriesContext(connection) as confirming:
            member_import_confirm(member_import=member_import, by=liaison)
        assert errors == []
        assert Person.objects.filter(delegation=delegation).count() == size + 1
        counts.append((len(staging), len(confirming)))
    assert counts[1] == counts[2], counts


# --- Templates ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_template_reads_back_as_one_valid_example_row(kind):
    data = import_template(kind)
    result = check(data)
    assert result.errors == []
    assert list(result.headers.values()) == list(imports.COLUMNS.values())
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
    assert data[3:].decode().splitlines()[0] == ",".join(imports.COLUMNS.values())


def test_xlsx_template_offers_the_ranks_and_categories_as_lists():
    sheet = openpyxl.load_workbook(io.BytesIO(import_template("xlsx"))).active
    formulas = [validation.formula1 for validation in sheet.data_validations.dataValidation]
    assert any("Head of state" in formula for formula in formulas)
    assert any("Head of delegation" in formula and "Host" not in formula for formula in formulas)


def test_template_of_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown template kind"):
        import_template("xls")
