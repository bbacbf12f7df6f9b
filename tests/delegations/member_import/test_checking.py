"""Checking a list: the header, every value against its field's rules, duplicates and the quota."""

from __future__ import annotations

import pytest

from delegations.domain.member_import.errors import RowError
from tests.delegations.member_import.lists import HEADER, ROW, check, csv_bytes, member, only_error, with_cell
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


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
@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        pytest.param(
            "Passport expiry",
            "31/02/2031",
            "This cell is not a date; write it as YYYY-MM-DD, e.g. 2031-05-31.",  # passport data never shown back
            id="date_not_iso",
        ),
        pytest.param(
            "Passport expiry",
            "2031-02-31",
            "This cell is not a date; write it as YYYY-MM-DD, e.g. 2031-05-31.",
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
            "ends on 17 Nov 2020. Enter a passport that is valid after 17 Nov 2020.",
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
    if column in ("Passport number", "Passport expiry", "Date of birth"):
        assert value not in error.message  # passport data is never shown back, errors included


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
