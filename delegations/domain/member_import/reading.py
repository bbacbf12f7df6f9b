"""Reading an uploaded list: bytes → `Table` (the header and the non-blank rows), within limits.

The format is told by the first bytes (xlsx, CSV; an old .xls, a PDF or an archive is named and refused), a
CSV's encoding (UTF-8 with or without BOM, UTF-16 with BOM) and delimiter (comma, semicolon, tab) by its
text. Whatever cannot be read comes back as one file-level `RowError` saying what to upload instead."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from delegations.domain.member_import.columns import COLUMNS, column_letter
from delegations.domain.member_import.errors import RowError
from delegations.validators import size_text

# Limits, overridable in settings. A delegation is a few dozen people; the largest list the organisers keep
# (every delegation of a summit) is ~5,000 rows and ~1 MB as CSV.
MAX_BYTES: int = getattr(settings, "PLANNER_IMPORT_MAX_BYTES", 5_000_000)
MAX_ROWS: int = getattr(settings, "PLANNER_IMPORT_MAX_ROWS", 10_000)
# Columns read per row: the template has 13; a sheet may carry a few more, but one stray cell in column XFD
# must not make every row 16,384 cells long in memory.
MAX_COLUMNS = 60
# What an .xlsx may unpack to. Real workbooks compress 5–10×; a zip bomb compresses 1,000× and more.
MAX_UNPACKED_BYTES: int = getattr(settings, "PLANNER_IMPORT_MAX_UNPACKED_BYTES", 100_000_000)

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

# The rows of a sheet or CSV as read, each with its number: a generator, which `table_read` closes.
Rows = Generator[tuple[int, Sequence[Any]], None, None]


@dataclass
class Table:
    """A sheet as read: the header cells and each non-blank row with the number the spreadsheet shows."""

    header: list[Any]
    rows: list[tuple[int, list[Any]]]


class _Refused(Exception):
    """The file cannot be read at all (format, encoding, limits): one file-level message."""

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
        f"Row {number} has values beyond column {column_letter(MAX_COLUMNS - 1)}; a delegation list needs the "
        f"template's {len(COLUMNS)} columns. Delete the columns to the right of the list, or copy the list into the "
        "template."
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


def _csv_rows(data: bytes) -> Rows:
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


def _xlsx_rows(data: bytes) -> Rows:
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


# --- Cells --------------------------------------------------------------------------------------------
def cell_text(value: Any) -> str:
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
