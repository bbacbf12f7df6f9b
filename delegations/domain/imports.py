"""Spreadsheet import of a delegation list: read the file, check every row, preview, then add everyone at once.

A liaison officer uploads the list the delegation already keeps in Excel. What they upload is untrusted and
made by hand: it may be a legacy .xls, a CSV in the Windows code page, a semicolon CSV from a European Excel,
a zip bomb renamed .xlsx, or a list with a typo in row 87. So the import

1. reads the file by its first bytes, never by its name, within limits on size, unpacked size and rows, and
   says which encoding or format to use instead when it cannot;
2. checks every row with the rules the model and the member form use (each model field's own `clean()`,
   `delegations.validators.person_errors`) and for duplicates within the file and against the delegation,
   without a query per row, and returns every problem as data (`RowError`: row, column, message) so the page
   can list them all at once;
3. stores nothing until the whole file is valid; then keeps the cleaned rows in a `MemberImport` for the
   preview, and adds all members in one bulk insert (one audit entry each) when the liaison confirms.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.utils import timezone

from asemplanner.choices import LIAISON_CATEGORIES, Category, Rank
from asemplanner.domain.audit import (
    Actor,
    audit_entries_created,
    audit_log,
    audit_log_many,
    diff,
    instance_save,
    queryset_delete,
    snapshot,
)
from asemplanner.domain.bulk import rows_insert
from asemplanner.timeranges import fmt
from delegations.models import Delegation, MemberImport, Person
from delegations.validators import person_errors, size_text

# Limits, overridable in settings. A delegation is a few dozen people; the largest list the organisers keep
# (every delegation of a summit) is ~5,000 rows and ~1 MB as CSV.
MAX_BYTES: int = getattr(settings, "PLANNER_IMPORT_MAX_BYTES", 5_000_000)
MAX_ROWS: int = getattr(settings, "PLANNER_IMPORT_MAX_ROWS", 10_000)
# Columns read per row: the template has 13; a sheet may carry a few more, but one stray cell in column XFD
# must not make every row 16,384 cells long in memory.
MAX_COLUMNS = 60
# What an .xlsx may unpack to. Real workbooks compress 5–10×; a zip bomb compresses 1,000× and more.
MAX_UNPACKED_BYTES: int = getattr(settings, "PLANNER_IMPORT_MAX_UNPACKED_BYTES", 100_000_000)
STALE_AFTER = dt.timedelta(hours=24)  # an unconfirmed upload older than this is dropped, not imported
IMPORTED_ACTION = "delegations.person.imported"

# Fields a list may fill, in the template's order, with the header the template writes.
COLUMNS: dict[str, str] = {
    "honorific": "Honorific",
    "given_name": "Given name",
    "family_name": "Family name",
    "function": "Function",
    "rank": "Rank",
    "category": "Category",
    "nationality": "Nationality",
    "email": "Email",
    "phone": "Phone",
    "languages": "Languages",
    "passport_number": "Passport number",
    "passport_expiry": "Passport expiry",
    "date_of_birth": "Date of birth",
}
REQUIRED = ("given_name", "family_name", "function")
DATE_FIELDS = ("passport_expiry", "date_of_birth")
UPPER_FIELDS = ("nationality", "passport_number")
# What people call the columns in their own lists (compared without case, spaces, _ - . ( ) *).
ALIASES: dict[str, Sequence[str]] = {
    "honorific": ("Title", "Salutation", "Prefix"),
    "given_name": ("Given names", "First name", "First names", "Forename", "Forenames", "Given name(s)"),
    "family_name": ("Surname", "Last name", "Family names"),
    "function": ("Position", "Job title", "Post"),
    "rank": ("Protocol rank",),
    "category": ("Accreditation category", "Badge category"),
    "nationality": ("Citizenship", "Nationality code"),
    "email": ("E-mail", "Email address", "E-mail address", "Mail"),
    "phone": ("Mobile", "Telephone", "Tel", "Phone number", "Mobile number", "Mobile phone", "Cell phone"),
    "languages": ("Language", "Interpretation", "Interpretation needs"),
    "passport_number": ("Passport no", "Passport nr", "Passport #", "Passport"),
    "passport_expiry": ("Passport expiry date", "Passport expires", "Passport valid until", "Expiry date"),
    "date_of_birth": ("DOB", "Birth date", "Birthdate", "Born"),
}
EXAMPLE_ROW: dict[str, Any] = {
    "honorific": "H.E.",
    "given_name": "Dara",
    "family_name": "Sok",
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
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAVE_AS = "In Excel choose File → Save As → ‘Excel Workbook (.xlsx)’ or ‘CSV UTF-8’, and upload that file."
NOT_A_LIST = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "a Word (RTF) document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
]


# --- Results -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    """One problem, where the user finds it: `row` as the spreadsheet numbers it (the header is row 1; 0 for
    the file as a whole), `column` the header as written in the file ("" when no one column is at fault)."""

    row: int
    column: str
    message: str

    @property
    def file_level(self) -> bool:
        """About the file or its header row rather than a member's row."""
        return self.row <= 1

    def __str__(self) -> str:
        where = [f"Row {self.row}"] if self.row else []
        where += [self.column] if self.column else []
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRefused(ValidationError):
    """Raised by the write functions: a ValidationError (views show its messages) carrying the `RowError`s."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__([str(error) for error in errors])
        self.errors = list(errors)


@dataclass
class Table:
    """A sheet as read: the header cells and each non-blank row with the number the spreadsheet shows."""

    header: list[Any]
    rows: list[tuple[int, list[Any]]]


@dataclass
class ImportCheck:
    """The outcome of checking a file: the cleaned rows (field → value, plus "_row", the row number) and every
    problem found. Importable only when `errors` is empty."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field → its header text in the file

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Member:
    """An existing member as the duplicate check compares them."""

    name: str
    name_key: tuple[str, str]
    passport_key: str
    email_key: str

    def keys(self) -> tuple[tuple[str, str], str, str]:
        return self.name_key, self.passport_key, self.email_key


class _Refused(Exception):
    """The file cannot be read at all (format, encoding, limits): one file-level message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Bad(Exception):
    """One cell's value is not acceptable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Reading the file ---------------------------------------------------------------------------------


def table_read(*, data: bytes) -> tuple[Table | None, list[RowError]]:
    """The first sheet of an .xlsx, or a CSV, as a `Table`; or why it cannot be read (one file-level error).

    The format is decided by the first bytes: a browser's or a user's idea of the file type is often wrong
    (a CSV saved as ".xls", an .xlsx renamed ".csv")."""
    try:
        if len(data) > MAX_BYTES:
            raise _Refused(
                f"The file is larger than {size_text(MAX_BYTES)}, the most one import may be. Remove columns the "
                "import does not use, or split the list into several files."
            )
        if not data.strip():
            raise _Refused("The file is empty. Fill in the template (one member per row) and upload it.")
        if data.startswith(b"PK\x03\x04"):
            rows = _xlsx_rows(data)
        elif data.startswith(OLE2):
            raise _Refused(
                "This is an old Excel 97–2003 workbook (.xls), or a workbook protected with a password, which the "
                f"import cannot read. Remove any password, then {SAVE_AS[0].lower()}{SAVE_AS[1:]}"
            )
        else:
            for magic, kind in NOT_A_LIST:
                if data.startswith(magic):
                    raise _Refused(f"This file is {kind}, not a spreadsheet. Upload the list as .xlsx or CSV.")
            rows = _csv_rows(data)
        try:
            return _table(rows), []
        finally:
            rows.close()  # an early stop (too many rows) closes the workbook now, not at garbage collection
    except _Refused as refused:
        return None, [RowError(0, "", refused.message)]


def _blank(cells: Sequence[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _table(rows: Iterable[tuple[int, Sequence[Any]]]) -> Table:
    """The header (the first row) and the non-blank rows below it, at most MAX_ROWS of them."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None or _blank(first[1]):
        raise _Refused(
            "Row 1 is empty. Row 1 must be the header naming the columns (e.g. Given name, Family name, Function), "
            "with one member per row below it."
        )
    header = _within_width(*first)
    body: list[tuple[int, list[Any]]] = []
    for number, cells in iterator:
        cells = _within_width(number, cells)
        if _blank(cells):
            continue
        if len(body) == MAX_ROWS:
            raise _Refused(
                f"The file has more than {MAX_ROWS:,} members (rows below the header), the most one import may "
                "hold. Split it into smaller files."
            )
        body.append((number, cells))
    if not body:
        raise _Refused("The file has a header row but no members below it. Add one member per row under the header.")
    return Table(header=header, rows=body)


def _within_width(number: int, cells: Sequence[Any]) -> list[Any]:
    """The row's cells up to its last value (a read-only sheet pads rows with empty cells), refused when a
    value lies beyond the MAX_COLUMNS read."""
    if len(cells) > MAX_COLUMNS and not _blank(cells[MAX_COLUMNS:]):
        raise _Refused(_too_wide(number))
    end = min(len(cells), MAX_COLUMNS)
    while end and (cells[end - 1] is None or cells[end - 1] == ""):
        end -= 1
    return list(cells[:end])


def _too_wide(number: int) -> str:
    return (
        f"Row {number} has values beyond column {_letter(MAX_COLUMNS - 1)}; a delegation list needs the template's "
        f"{len(COLUMNS)} columns. Delete the columns to the right of the list, or copy the list into the template."
    )


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes) or UTF-16 with a BOM; anything else is refused, naming the
    first byte that is not UTF-8 — guessing a code page would import “GÃ¼nther” without a word."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _Refused(
                "The file starts like UTF-16 text but is damaged further on. Save it again as ‘CSV UTF-8’, or upload "
                "the .xlsx file."
            ) from None
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise _Refused(
            f"The file is not UTF-8 text (byte 0x{body[exc.start]:02X} on line {line}). In Excel choose Save As → "
            "‘CSV UTF-8’, or upload the .xlsx file."
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise _Refused(
            f"The file is not UTF-8 text (byte 0x00 on line {line}; it may be UTF-16 without a byte-order mark). In "
            "Excel choose Save As → ‘CSV UTF-8’, or upload the .xlsx file."
        )
    return text


def _delimiter(text: str) -> tuple[str, str]:
    """The delimiter (comma, semicolon — European Excel — or tab) and the text without an Excel "sep=" line.

    Decided on the header row: whichever splits it into the most cells."""
    first, _, rest = text.partition("\n")
    hint = re.fullmatch(r"sep=([,;\t])\r?", first.strip(" "))
    if hint:
        return hint.group(1), rest
    candidates = {delimiter: len(next(csv.reader([first], delimiter=delimiter), [])) for delimiter in ",;\t"}
    best = max(candidates.values())
    return next(d for d, n in candidates.items() if n == best), text


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    delimiter, text = _delimiter(_decode(data))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        # Each record is one spreadsheet row, also when a quoted cell holds a line break.
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as exc:
        raise _Refused(f"Row {number + 1} cannot be read as CSV ({exc}). Save the file again as ‘CSV UTF-8’.") from None


def _zip_kind(names: set[str], archive: zipfile.ZipFile) -> str:
    if "xl/workbook.bin" in names:
        return "an Excel binary workbook (.xlsb)"
    if "word/document.xml" in names:
        return "a Word document"
    if any(name.startswith("ppt/") for name in names):
        return "a PowerPoint presentation"
    if "mimetype" in names and b"spreadsheet" in archive.read("mimetype")[:100]:
        return "an OpenDocument spreadsheet (.ods)"
    return "a ZIP archive"


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The first worksheet's rows. The zip's central directory is checked before anything is unpacked:
    Python's zipfile never unpacks more than a member declares, so declared sizes within the limit bound
    what openpyxl can make us inflate."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise _Refused(f"The file looks like an Excel workbook but is damaged: it does not open. {SAVE_AS}") from None
    with archive:
        infos = archive.infolist()
        unpacked = sum(info.file_size for info in infos)
        if len(infos) > 10_000:  # a workbook has a few dozen parts; this many is built to exhaust us
            raise _Refused(f"The file holds {len(infos):,} parts, not an Excel workbook's few dozen. {SAVE_AS}")
        if unpacked > MAX_UNPACKED_BYTES:
            raise _Refused(
                f"The workbook unpacks to {size_text(unpacked)}, more than the {size_text(MAX_UNPACKED_BYTES)} "
                "an import may. Copy the list into a new workbook, or save it as ‘CSV UTF-8’."
            )
        names = {info.filename for info in infos}
        if "xl/workbook.xml" not in names:
            kind = _zip_kind(names, archive)
            raise _Refused(f"This file is {kind}, not an Excel workbook (.xlsx). Upload the list as .xlsx or CSV.")
    from openpyxl import load_workbook  # only imports of .xlsx pay for loading openpyxl

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # untrusted input: any failure of the parser means "unreadable"
        raise _Refused(f"The workbook cannot be read; it may be damaged. {SAVE_AS}") from None
    try:
        if not workbook.worksheets:
            raise _Refused("The workbook has no worksheet. Put the list on the first sheet.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size; read every row there is
        try:
            # Missing rows come as empty ones, so the count is the row number Excel shows.
            # One column more than is read, so a value beyond the limit is seen (and refused), not dropped.
            yield from enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1)
        except Exception:  # as above
            raise _Refused(f"The workbook cannot be read to the end; it may be damaged. {SAVE_AS}") from None
    finally:
        workbook.close()


# --- Checking the header and the values ---------------------------------------------------------------
def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-.()*]", "", text.casefold())


def _header_keys() -> dict[str, str]:
    keys = {}
    for name, header in COLUMNS.items():
        verbose = str(Person._meta.get_field(name).verbose_name)
        for text in (name, header, verbose, *ALIASES.get(name, ())):
            keys[_header_key(text)] = name
    return keys


HEADER_KEYS = _header_keys()


def _letter(index: int) -> str:
    """Column letter as the spreadsheet shows it: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def known_columns() -> str:
    """The columns an import understands, for messages and the upload page's help."""
    return ", ".join(f"{header} (required)" if name in REQUIRED else header for name, header in COLUMNS.items())


def _text(value: Any) -> str:
    """A cell as text: numbers typed into Excel (passport numbers, phones) without a trailing “.0”."""
    if value is None:
        return ""
    if isinstance(value, str):
        # One spelling of “é” (macOS and some exports write e + combining accent), so duplicates compare equal.
        return value.strip() if value.isascii() else unicodedata.normalize("NFC", value).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _shown(text: str) -> str:
    return f"‘{text[:40]}…’" if len(text) > 40 else f"‘{text}’"


def _choice_keys(choices: Iterable[tuple[Any, str]], names: dict[Any, str]) -> dict[str, Any]:
    """Label ("Head of state"), value ("10", "delegate") or name (HEAD_OF_STATE), without case or spacing."""
    keys: dict[str, Any] = {}
    for value, label in choices:
        for text in (str(value), label, names[value]):
            keys[_header_key(text)] = value
    return keys


RANK_KEYS = _choice_keys(Rank.choices, {member.value: member.name for member in Rank})
CATEGORY_KEYS = _choice_keys(LIAISON_CATEGORIES, {member.value: member.name for member in Category})
HOST_KEYS = {_header_key(text) for text in (Category.HOST.value, Category.HOST.label, Category.HOST.name)}
RANK_LABELS = ", ".join(label for _, label in Rank.choices)
CATEGORY_LABELS = ", ".join(label for _, label in LIAISON_CATEGORIES)
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")


def _clean_rank(value: Any) -> int:
    text = _text(value)
    if not text:
        return Rank.OTHER
    rank = RANK_KEYS.get(_header_key(text))
    if rank is None:
        raise _Bad(f"{_shown(text)} is not a rank. Write one of: {RANK_LABELS}.")
    return rank


def _clean_category(value: Any) -> str:
    text = _text(value)
    if not text:
        return Category.DELEGATE
    key = _header_key(text)
    category = CATEGORY_KEYS.get(key)
    if category is None:
        if key in HOST_KEYS:
            raise _Bad(
                f"{Category.HOST.label} are the host country's own staff, accredited by the organisers, not by a "
                f"delegation. Write one of: {CATEGORY_LABELS}."
            )
        raise _Bad(f"{_shown(text)} is not a category. Write one of: {CATEGORY_LABELS}.")
    return category


def _clean_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        return None
    match = ISO_DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return dt.date(*map(int, match.groups()))
    except ValueError:
        raise _Bad(f"{_shown(text)} is not a date; write it as YYYY-MM-DD, e.g. 2031-05-31.") from None


def _text_cleaner(name: str) -> Callable[[Any], str]:
    """The model field's own rules (max_length, validators such as the nationality pattern or e-mail), run
    with `Field.clean` on the value alone: no instance, so no query.

    Two shortcuts, because 5,000 rows × 10 fields of `Field.clean` were half the time of a check: a field
    whose only rule is its length skips the call when the value fits (the call, and its message, come when
    it does not); a field with other validators is checked once per distinct value (a list has a handful of
    nationalities). Make a fresh cleaner per file: the memo is the file's."""
    model_field = Person._meta.get_field(name)
    upper = name in UPPER_FIELDS
    label = COLUMNS[name]
    length_only = not model_field.choices and all(isinstance(v, MaxLengthValidator) for v in model_field.validators)
    max_length = model_field.max_length or 0
    seen: dict[str, str | _Bad] = {}

    def clean(value: Any) -> str:
        text = _text(value)
        if upper:
            text = text.upper()
        if not text:
            if name in REQUIRED:
                raise _Bad(f"{label} is required; this cell is empty.")
            return ""
        if length_only and len(text) <= max_length:
            return text
        outcome = seen.get(text)
        if outcome is None:
            try:
                outcome = model_field.clean(text, None)
            except ValidationError as exc:
                outcome = _Bad(f"{_shown(text)}: {' '.join(exc.messages)}")
            seen[text] = outcome
        if isinstance(outcome, _Bad):
            raise _Bad(outcome.message)
        return outcome

    return clean


def _cleaners() -> dict[str, Callable[[Any], Any]]:
    """Field → the function that turns a cell into the field's value or raises `_Bad`."""
    return {
        **{name: _text_cleaner(name) for name in COLUMNS},
        "rank": _clean_rank,
        "category": _clean_category,
        **dict.fromkeys(DATE_FIELDS, _clean_date),
    }


def _fold(text: str) -> str:
    """For comparing names: without case, accents or extra spaces (“Nguyễn  Văn” = “nguyen van”)."""
    if text.isascii():
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def _keys(given: str, family: str, passport: str, email: str) -> tuple[tuple[str, str], str, str]:
    return (_fold(given), _fold(family)), passport.strip().upper(), email.strip().casefold()


# Kinds of duplicate: the field whose column is blamed, the message for a repeat within the file and the
# one for a member already on file. A name counts when both parts are given; the others when not empty.
DUPLICATES = [
    ("name", "family_name", "Same name as row {first} ({who}). List each member once.",
     "{member} is already a member of the delegation. Delete this row, or change their details on the members page."),
    ("passport", "passport_number", "Same passport number as row {first} ({who}).",
     "This passport number is already on file for {member}, a member of the delegation."),
    ("email", "email", "Same e-mail address as row {first} ({who}).",
     "This e-mail address is already on file for {member}, a member of the delegation."),
]  # fmt: skip


def _members_index(existing: Sequence[Member]) -> dict[str, dict[Any, Member]]:
    """Existing members by each duplicate key."""
    index: dict[str, dict[Any, Member]] = {kind: {} for kind, *_ in DUPLICATES}
    for member in existing:
        for kind, key in zip(("name", "passport", "email"), member.keys(), strict=True):
            if key:
                index[kind][key] = member
    return index


def _duplicate_errors(
    row: dict[str, Any],
    *,
    headers: dict[str, str],
    failed: set[str],
    on_file: dict[str, dict[Any, Member]],
    seen: dict[str, dict[Any, tuple[int, str]]] | None,
) -> list[RowError]:
    """A row against the members on file and, with `seen`, against the rows above it (then noted in `seen`)."""
    number = row.get("_row", 0)
    given, family = row.get("given_name", ""), row.get("family_name", "")
    who = f"{given} {family}".strip()
    keys = _keys(given, family, row.get("passport_number", ""), row.get("email", ""))
    errors = []
    for (kind, field_name, repeated, on_file_message), key in zip(DUPLICATES, keys, strict=True):
        if not (all(key) if kind == "name" else key) or field_name in failed:
            continue
        header = headers.get(field_name, COLUMNS[field_name])
        if seen is not None:
            if key in seen[kind]:
                first, first_who = seen[kind][key]
                errors.append(RowError(number, header, repeated.format(first=first, who=first_who)))
            else:
                seen[kind][key] = (number, who)
        if key in on_file[kind]:
            errors.append(RowError(number, header, on_file_message.format(member=on_file[kind][key].name)))
    return errors


def _header_check(header: list[Any]) -> tuple[dict[int, str], dict[str, str], list[RowError]]:
    """Which column holds which field (index → field), each field's header text, and what is wrong with the
    header row. Trailing empty header cells are ignored (Excel often carries a few)."""
    texts = [_text(cell) for cell in header]
    while texts and not texts[-1]:
        texts.pop()
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    letters: dict[str, str] = {}
    errors: list[RowError] = []
    known = known_columns()
    for index, text in enumerate(texts):
        if not text:
            continue
        name = HEADER_KEYS.get(_header_key(text))
        letter = _letter(index)
        if name is None:
            errors.append(
                RowError(
                    1,
                    text,
                    f"Column {letter}, {_shown(text)}, is not a column this import knows. Rename it to one of: "
                    f"{known}; or delete the column.",
                )
            )
        elif name in headers:
            errors.append(
                RowError(
                    1,
                    text,
                    f"Columns {letters[name]} ({_shown(headers[name])}) and {letter} ({_shown(text)}) both hold "
                    f"{COLUMNS[name]}. Keep one of them.",
                )
            )
        else:
            columns[index], headers[name], letters[name] = name, text, letter
    if not headers:
        shown = ", ".join(_shown(text) for text in texts[:3] if text)
        return (
            {},
            {},
            [
                RowError(
                    1,
                    "",
                    f"Row 1 must be the header naming the columns, but it reads {shown}. Delete any title rows above "
                    f"the header, or start from the template. The columns: {known}.",
                )
            ],
        )
    for name in REQUIRED:
        if name not in headers:
            errors.append(
                RowError(
                    1,
                    "",
                    f"The required column ‘{COLUMNS[name]}’ is missing. Row 1 must name the columns: {known}.",
                )
            )
    return columns, headers, errors


def rows_check(
    *,
    table: Table,
    event_end: dt.date | None,
    event: str = "",
    existing: Sequence[Member] = (),
    quota: int | None = None,
) -> ImportCheck:
    """Every row against the field rules, the dates against each other and the event, and every member
    against the other rows and the existing members; then the whole list against the quota.

    Pure (no queries): `member_import_check` passes the delegation's members and quota."""
    columns, headers, errors = _header_check(table.header)
    result = ImportCheck(headers=headers, errors=errors)
    if errors:
        return result
    width = max(columns) + 1
    cleaners = _cleaners()
    plan = [(index, name, cleaners[name], headers[name]) for index, name in columns.items()]
    unmapped = [index for index in range(width) if index not in columns]  # empty header cells between columns
    unheaded: RowError | None = None
    on_file = _members_index(existing)
    seen: dict[str, dict[Any, tuple[int, str]]] = {kind: {} for kind, *_ in DUPLICATES}
    for number, cells in table.rows:
        row: dict[str, Any] = {"_row": number}
        failed: set[str] = set()
        for index, name, clean, header in plan:
            try:
                row[name] = clean(cells[index] if index < len(cells) else None)
            except _Bad as bad:
                errors.append(RowError(number, header, bad.message))
                failed.add(name)
        if unheaded is None:
            extra = next((i for i in unmapped if i < len(cells) and _text(cells[i])), None)
            if extra is None and len(cells) > width:
                extra = next((i for i in range(width, len(cells)) if _text(cells[i])), None)
            if extra is not None:
                unheaded = RowError(
                    0,
                    "",
                    f"Column {_letter(extra)} has no header, but row {number} has a value in it. Give the column a "
                    "header from the list, or delete it.",
                )
        for name, message in person_errors(
            passport_expiry=row.get("passport_expiry"),
            date_of_birth=row.get("date_of_birth"),
            event_end=event_end,
            event=event,
        ).items():
            if name not in failed:
                errors.append(RowError(number, headers.get(name, COLUMNS[name]), message))
        errors += _duplicate_errors(row, headers=headers, failed=failed, on_file=on_file, seen=seen)
        result.rows.append(row)
    if unheaded is not None:
        errors.insert(0, unheaded)
    if quota is not None:
        quota_error = _quota_error(quota=quota, taken=len(existing), adding=len(result.rows))
        if quota_error:
            errors.insert(0, quota_error)
    return result


def _quota_error(*, quota: int, taken: int, adding: int) -> RowError | None:
    left = max(quota - taken, 0)
    if adding <= left:
        return None
    if left == 0:
        return RowError(
            0,
            "",
            f"The delegation's quota of {quota} places is full ({taken} members), so none of the {adding} members "
            "in the file can be added. Ask the organisers to raise the quota, or remove members first.",
        )
    return RowError(
        0,
        "",
        f"The file lists {adding} members, but the delegation has {left} of its {quota} places left ({taken} "
        f"taken). Remove {adding - left} row{'' if adding - left == 1 else 's'}, or ask the organisers to raise the "
        "quota.",
    )


def _members(delegation: Delegation) -> list[Member]:
    """The delegation's current members, as the duplicate check compares them: one query."""
    members = []
    for given, family, passport, email in Person.objects.filter(delegation=delegation).values_list(
        "given_name", "family_name", "passport_number", "email"
    ):
        name_key, passport_key, email_key = _keys(given, family, passport, email)
        members.append(Member(f"{given} {family}", name_key, passport_key, email_key))
    return members


def places_left(delegation: Delegation) -> int:
    """How many more members the delegation's quota allows."""
    return max(delegation.quota - Person.objects.filter(delegation=delegation).count(), 0)


def member_import_check(*, delegation: Delegation, data: bytes) -> ImportCheck:
    """Read and check a file for this delegation, against its event's dates, members and quota. Writes
    nothing; two queries (the event when not loaded yet, the members)."""
    table, errors = table_read(data=data)
    if table is None:
        return ImportCheck(errors=errors)
    event = delegation.event
    return rows_check(
        table=table, event_end=event.end_date, event=str(event), existing=_members(delegation), quota=delegation.quota
    )


# --- Stored rows --------------------------------------------------------------------------------------
def _to_json(row: dict[str, Any]) -> dict[str, Any]:
    stored = dict(row)
    for name in DATE_FIELDS:
        if stored.get(name):
            stored[name] = stored[name].isoformat()
    return stored


def _person_fields(row: dict[str, Any]) -> dict[str, Any]:
    fields = {name: value for name, value in row.items() if name in COLUMNS}
    for name in DATE_FIELDS:
        if fields.get(name):
            fields[name] = dt.date.fromisoformat(fields[name])
    return fields


def member_import_people(*, member_import: MemberImport) -> list[Person]:
    """The members an import would add, unsaved (for the preview), each with `.import_row`, its row number."""
    people = []
    delegation = member_import.delegation
    for row in member_import.rows:
        person = Person(delegation=delegation, **_person_fields(row))
        person.import_row = row.get("_row")
        people.append(person)
    return people


def member_import_expired(member_import: MemberImport) -> bool:
    """An unconfirmed upload is kept for a day: after that the list may have changed under it."""
    return (
        member_import.status == MemberImport.Status.READY
        and member_import.created_at is not None
        and member_import.created_at < timezone.now() - STALE_AFTER
    )


# --- Writes -------------------------------------------------------------------------------------------
def _user(by: Actor) -> AbstractBaseUser | None:
    return by if isinstance(by, AbstractBaseUser) and by.pk else None


def member_imports_prune(*, by: Actor) -> int:
    """Drop unconfirmed uploads older than a day (of every delegation): they hold passport data nobody is
    going to import. Returns how many were dropped."""
    stale = MemberImport.objects.filter(status=MemberImport.Status.READY, created_at__lt=timezone.now() - STALE_AFTER)
    return queryset_delete(queryset=stale, by=by, action="delegations.memberimport.expired")


@transaction.atomic
def member_import_stage(
    *, delegation: Delegation, file_name: str, data: bytes, by: Actor
) -> tuple[MemberImport | None, list[RowError]]:
    """Check an uploaded list and, only when every row is valid, keep it for the liaison's preview.

    With errors nothing is stored — not even the file — and the errors come back for the upload page."""
    check = member_import_check(delegation=delegation, data=data)
    if not check.ok:
        return None, check.errors
    member_imports_prune(by="system")  # other delegations' uploads too: not this liaison's doing
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    member_import = MemberImport(
        delegation=delegation,
        uploaded_by=_user(by),
        file_name=name,
        rows=[_to_json(row) for row in check.rows],
        n_rows=len(check.rows),
    )
    instance_save(instance=member_import, by=by, action="delegations.memberimport.uploaded")
    return member_import, []


def _status_refusal(member_import: MemberImport) -> RowError | None:
    if member_import.status == MemberImport.Status.IMPORTED:
        when = fmt(timezone.localtime(member_import.imported_at)) if member_import.imported_at else "earlier"
        return RowError(
            0, "", f"This list was already imported ({when}); its members are on the members page. Nothing was added."
        )
    if member_import.status == MemberImport.Status.DISCARDED:
        return RowError(0, "", "This import was discarded, so nothing was added. Upload the file again to import it.")
    if member_import_expired(member_import):
        return RowError(
            0, "", "This upload is more than a day old and has expired; nothing was added. Upload the file again."
        )
    return None


def _finish(member_import: MemberImport, *, status: str, action: str, by: Actor) -> None:
    """Set the final status and drop the stored rows (they may hold passport data), audited."""
    before = snapshot(member_import)
    member_import.status = status
    member_import.rows = []
    if status == MemberImport.Status.IMPORTED:
        member_import.imported_at = timezone.now()
    member_import.save(update_fields=["status", "rows", "imported_at"])
    audit_log(action=action, instance=member_import, by=by, changes=diff(before, snapshot(member_import)))


@transaction.atomic
def member_import_confirm(*, member_import: MemberImport, by: Actor) -> list[Person]:
    """Add every member of a checked list at once, or none.

    The delegation row is locked first: two confirmations (a double click, two liaisons) queue on it, and
    the second sees the first's members and status — the quota and the duplicates are checked again against
    the members as they are now. One bulk INSERT for the people and one for their audit entries, so the
    number of queries does not grow with the number of rows."""
    delegation = (
        Delegation.objects.select_for_update(of=("self",))
        .select_related("partner", "event")
        .get(pk=member_import.delegation_id)
    )
    locked = MemberImport.objects.select_for_update().get(pk=member_import.pk)
    locked.delegation = delegation
    refusal = _status_refusal(locked)
    if refusal:
        raise ImportRefused([refusal])
    existing = _members(delegation)
    errors = _confirm_errors(locked.rows, existing=existing, quota=delegation.quota)
    if errors:
        raise ImportRefused(errors)
    people = rows_insert([Person(delegation=delegation, **_person_fields(row)) for row in locked.rows])
    audit_log_many(audit_entries_created(instances=people, action=IMPORTED_ACTION, by=by), thousands=True)
    _finish(locked, status=MemberImport.Status.IMPORTED, action="delegations.memberimport.imported", by=by)
    member_import.status, member_import.rows, member_import.imported_at = locked.status, [], locked.imported_at
    return people


def _confirm_errors(rows: list[dict[str, Any]], *, existing: Sequence[Member], quota: int) -> list[RowError]:
    """The checks that depend on the delegation as it is now (members added since the upload)."""
    errors = []
    quota_error = _quota_error(quota=quota, taken=len(existing), adding=len(rows))
    if quota_error:
        errors.append(quota_error)
    on_file = _members_index(existing)
    for row in rows:
        errors += _duplicate_errors(row, headers=COLUMNS, failed=set(), on_file=on_file, seen=None)
    return errors


@transaction.atomic
def member_import_discard(*, member_import: MemberImport, by: Actor) -> MemberImport:
    """Drop an unconfirmed list: nothing is added, and the stored rows are emptied."""
    locked = MemberImport.objects.select_for_update().get(pk=member_import.pk)
    if locked.status != MemberImport.Status.READY:
        refusal = _status_refusal(locked)
        raise ImportRefused([refusal] if refusal else [])
    _finish(locked, status=MemberImport.Status.DISCARDED, action="delegations.memberimport.discarded", by=by)
    member_import.status, member_import.rows = locked.status, []
    return member_import


# --- Templates ----------------------------------------------------------------------------------------
def import_template(kind: str) -> bytes:
    """An empty list to fill in: the header row and one example row, as CSV or XLSX.

    The CSV starts with a UTF-8 BOM: without it Excel opens UTF-8 as the Windows code page (“Ã©” for “é”)."""
    if kind == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS.values())
        writer.writerow(_text(EXAMPLE_ROW[name]) for name in COLUMNS)
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
    sheet.append(list(COLUMNS.values()))
    sheet.append([EXAMPLE_ROW[name] for name in COLUMNS])
    sheet.freeze_panes = "A2"
    last = 1 + MAX_ROWS
    for index, name in enumerate(COLUMNS):
        letter = _letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(14, len(COLUMNS[name]) + 4)
        if name in DATE_FIELDS:
            sheet[f"{letter}2"].number_format = "yyyy-mm-dd"
        elif name in ("passport_number", "phone"):
            # Text, so Excel keeps leading zeros and a "+" and does not show 1.23E+08.
            for row in range(2, 502):
                sheet[f"{letter}{row}"].number_format = "@"
    lists = {"rank": Rank.choices, "category": LIAISON_CATEGORIES}
    for name, choices in lists.items():
        labels = [label for _, label in choices]
        letter = _letter(list(COLUMNS).index(name))
        validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
        validation.error = f"Choose one of: {', '.join(labels)}."
        validation.errorTitle = COLUMNS[name]
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
