"""What the security checks read: the text of any response body, and a checksum of every table's rows."""

from __future__ import annotations

import hashlib
import html
import io
import zipfile

from django.db import connection

# Tables a refused request may still write, by design: sessions (signing in and out), the audit trail (what was
# tried), lockout counters (django-axes, when it comes) and Django's own admin log.
UNCHECKED_TABLES = ("django_session", "asemplanner_auditentry", "django_admin_log")
UNCHECKED_PREFIXES = ("axes_",)
# Columns a read may touch: when a token was last used; when a user last signed in.
UNCHECKED_COLUMNS = {"badges_devicetoken": {"last_used_at"}, "auth_user": {"last_login"}}


def body_bytes(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def body_text(response) -> str:
    """The text a person or a program would read in the body: HTML and JSON with entities undone, a PDF's text
    layer, the cells of a spreadsheet, an iCalendar file unfolded."""
    data = body_bytes(response)
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf"):
        return pdf_text(data)
    if data[:2] == b"PK" and "spreadsheet" in content_type:
        return xlsx_text(data)
    text = data.decode("utf-8", "replace")
    if content_type.startswith("text/calendar"):
        text = text.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";")
    return html.unescape(text)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(data)):  # a clear error when it is no zip at all
        pass
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(
        "\t".join("" if cell is None else str(cell) for cell in row)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def leaked(text: str, needles: set[str]) -> set[str]:
    return {needle for needle in needles if needle in text}


def _checked_tables() -> list[str]:
    tables = connection.introspection.table_names(include_views=False)
    return sorted(
        table
        for table in tables
        if table not in UNCHECKED_TABLES and not table.startswith((*UNCHECKED_PREFIXES, "sqlite_"))
    )


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    skip = UNCHECKED_COLUMNS.get(table, set())
    return [column.name for column in description if column.name not in skip]


_SQL: dict[str, str] = {}


def table_checksums() -> dict[str, str]:
    """Table → a hash of all its rows (every column but UNCHECKED_COLUMNS), independent of row order.

    On PostgreSQL the database hashes (one query for all tables); on SQLite the rows come to Python."""
    quote = connection.ops.quote_name
    tables = _checked_tables()
    if connection.vendor == "postgresql":
        key = "|".join(tables)
        if key not in _SQL:
            parts = []
            for table in tables:
                row = "ROW(" + ", ".join(f"t.{quote(c)}" for c in _columns(table)) + ")::text"
                parts.append(
                    f"SELECT '{table}', md5(coalesce(string_agg(md5({row}), '' ORDER BY md5({row})), '')) "  # noqa: S608
                    f"FROM {quote(table)} t"
                )
            _SQL[key] = " UNION ALL ".join(parts)
        with connection.cursor() as cursor:
            cursor.execute(_SQL[key])
            return dict(cursor.fetchall())
    sums = {}
    with connection.cursor() as cursor:
        for table in tables:
            names = ", ".join(quote(c) for c in _columns(table))
            cursor.execute(f"SELECT {names} FROM {quote(table)}")  # noqa: S608 — our own table names
            rows = sorted(repr(row) for row in cursor.fetchall())
            sums[table] = hashlib.md5("\n".join(rows).encode(), usedforsecurity=False).hexdigest()
    return sums


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))
