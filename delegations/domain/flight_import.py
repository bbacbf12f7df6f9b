"""The airport's list of flight times, as CSV: many arrivals and departures marked at once, with row-level errors.

The format (docs/summit-day.md; demo/data/asem13_airport_flights.csv is an example):

    flight,date,direction,status,time
    TH135,2020-11-15,arrival,delayed,11:40
    JP123,2020-11-15,A,landed,09:12
    FR111,2020-11-17,departure,departed,15:48

- one row per flight and direction; the header names the columns in any case and order, with the usual
  variants (``Flight no``, ``Arr/Dep``, ``Remarks``, ``Actual``…; see ALIASES); comma, semicolon or tab;
  UTF-8, with or without the byte-order mark Excel writes;
- ``flight``: the flight number as on file (spaces and case do not matter);
- ``date``: the flight's scheduled day in Phnom Penh, ISO ``YYYY-MM-DD`` (``15 Nov 2020`` is read too; day/month
  orders such as 15/11/2020 are refused, as they differ between countries);
- ``direction``: arrival or departure (A / ARR / D / DEP …);
- ``status``: scheduled (on time), delayed (estimated), landed (arrived), departed (airborne), at hotel;
- ``time``: Phnom Penh time on the 24-hour clock, ``09:45`` or ``0945`` on the row's date, ``00:40+1`` for the
  next day, or a full ``2020-11-16 00:40``. Required for delayed, landed and departed: a file is read later
  than it was written, so "now" would be wrong.

A row is matched to the travel records with that flight number on that day (every delegation on board); the
status rules are those of a mark by hand (`delegations.domain.flights`). `flights_import_preview` reads and
checks without writing; `flights_import_apply` writes every valid row in one transaction, with the rows locked
and checked again, and refuses — writing nothing — a file that cannot be read, or a preview that went stale.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor
from asemplanner.timeranges import fmt
from delegations.domain.flights import (
    DONE,
    STATUSES,
    FlightMark,
    Windows,
    flight_key,
    leg_flight,
    leg_status,
    leg_time,
    local_day,
    mark_changes,
    mark_errors,
    marks_write,
)
from delegations.domain.member_import.errors import ImportRefused, RowError
from delegations.models import Travel
from delegations.validators import flight_number_validator, size_text

# An airport's list of a summit week is a few hundred rows, some 20 kB; this leaves room for a season's.
MAX_BYTES: int = getattr(settings, "PLANNER_FLIGHTS_MAX_BYTES", 1_000_000)
MAX_ROWS: int = getattr(settings, "PLANNER_FLIGHTS_MAX_ROWS", 5_000)

COLUMNS = {"flight": "flight", "date": "date", "direction": "direction", "status": "status", "time": "time"}
REQUIRED = ("flight", "date", "direction", "status")
ALIASES: dict[str, tuple[str, ...]] = {
    "flight": ("flight no", "flight number", "flight nr", "flight #", "flt", "flight no."),
    "date": ("day", "flight date", "scheduled date", "sched date", "date (local)", "local date"),
    "direction": ("arr/dep", "a/d", "arr dep", "leg", "movement", "type", "arrival/departure", "dir"),
    "status": ("remark", "remarks", "flight status", "state"),
    "time": ("new time", "actual", "actual time", "estimated", "estimated time", "eta/etd", "time (local)",
             "local time", "expected", "revised time"),
}  # fmt: skip
DIRECTIONS = {
    **dict.fromkeys(("a", "arr", "arrival", "arrivals", "in", "inbound"), "arrival"),
    **dict.fromkeys(("d", "dep", "departure", "departures", "out", "outbound"), "departure"),
}
STATUS_WORDS = {
    **dict.fromkeys(("scheduled", "on schedule", "on time", "ontime", "sched", "sch"), "scheduled"),
    **dict.fromkeys(("delayed", "delay", "dly", "late", "estimated", "est", "expected"), "delayed"),
    **dict.fromkeys(("landed", "arrived", "lnd", "lan"), "landed"),
    **dict.fromkeys(("departed", "airborne", "took off", "dep'd", "gone"), "departed"),
    **dict.fromkeys(("at hotel", "at_hotel", "hotel", "at the hotel"), "at_hotel"),
}
NOT_HANDLED = ("cancelled", "canceled", "diverted", "cnl", "div")
STATUS_HELP = "scheduled (on time), delayed, landed, departed or at hotel"
TIME = re.compile(r"(\d{1,2}):?(\d{2})(?::(\d{2}))?\s*(\(?\+1\)?)?")
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
TEXT_DATE = re.compile(r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})")
MONTHS = {name: number for number, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                                      "sep", "oct", "nov", "dec"), start=1)}  # fmt: skip


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FlightRow:
    """A row as read: its number in the file (the header is row 1) and the cleaned values."""

    row: int
    flight: str  # as written, upper case
    day: dt.date
    leg: str
    status: str
    at: dt.datetime | None


@dataclass(frozen=True)
class FlightChange:
    """What one valid row does: the travellers on that flight that day and their status and time before → after."""

    row: int
    leg: str
    flight: str
    day: dt.date
    status_before: str
    status: str
    at_before: dt.datetime | None
    at: dt.datetime | None  # the new time; None keeps the time on file
    travellers: tuple[str, ...]  # "H.E. Ms Anna Berg (SWE)"
    changes: bool  # False when every traveller already has this status and time
    marks: tuple[FlightMark, ...] = field(repr=False, compare=False)

    @property
    def status_before_label(self) -> str:
        return STATUSES[self.leg].get(self.status_before, self.status_before)

    @property
    def status_label(self) -> str:
        return STATUSES[self.leg].get(self.status, self.status)

    @property
    def moves(self) -> bool:
        return self.at is not None and self.at != self.at_before


@dataclass
class FlightImport:
    """The outcome of reading and checking a file: what each valid row changes, and every row error. With
    `refused`, the file could not be read at all and nothing else is filled in."""

    rows: list[FlightChange] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    refused: str = ""
    read: int = 0  # rows below the header
    written: int = 0  # travel records written (after an apply)

    @property
    def changes(self) -> list[FlightChange]:
        return [row for row in self.rows if row.changes]

    @property
    def unchanged(self) -> list[FlightChange]:
        return [row for row in self.rows if not row.changes]

    @property
    def digest(self) -> str:
        """A fingerprint of what an apply would write: an apply given the preview's digest refuses when the
        flights changed in between (someone marked one by hand), instead of writing what nobody saw."""
        text = "|".join(
            f"{c.row}:{c.leg}:{flight_key(c.flight)}:{c.day}:{c.status_before}>{c.status}:"
            f"{c.at_before and c.at_before.isoformat()}>{c.at and c.at.isoformat()}:"
            f"{','.join(str(m.travel.pk) for m in c.marks)}"
            for c in self.changes
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def summary(self) -> str:
        changes = self.changes
        travellers = sum(len(c.travellers) for c in changes)
        parts = [
            _("%(flights)s flight(s) changed (%(travellers)s traveller(s))")
            % {"flights": len(changes), "travellers": travellers}
        ]
        by_status: dict[str, int] = defaultdict(int)
        for change in changes:
            by_status[change.status_label.lower()] += 1
        if by_status:
            parts.append(", ".join(f"{n} {label}" for label, n in sorted(by_status.items())))
        if self.unchanged:
            parts.append(_("%(count)s already as listed") % {"count": len(self.unchanged)})
        if self.errors:
            parts.append(_("%(count)s row error(s), not applied") % {"count": len(self.errors)})
        return "; ".join(parts) + "."


# --- Reading ----------------------------------------------------------------------------------------------
def _read_bytes(file: bytes | IO[bytes]) -> bytes:
    """At most one byte more than the limit: enough to know a file is too large without reading all of it."""
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(MAX_BYTES + 1)


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise _Refused(
            f"The file is larger than {size_text(MAX_BYTES)}, the most one flight list may be. Upload the list of "
            "the days you need, or split it into several files."
        )
    if not data.strip():
        raise _Refused(
            "The file is empty. Upload the airport's list: a header row (flight, date, direction, status, time) and "
            "one flight per row."
        )
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise _Refused(
            f"The file is not UTF-8 text (byte 0x{body[exc.start]:02X} on line {line}). Save it as ‘CSV UTF-8’ "
            "(in Excel: File → Save As → CSV UTF-8) and upload it again."
        ) from None
    if "\x00" in text:
        raise _Refused(
            "The file is not UTF-8 text (it holds 0x00 bytes: UTF-16, or not a text file). Save it as ‘CSV UTF-8’ "
            "and upload it again."
        )
    return text


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-.()*]", "", text.casefold())


HEADER_KEYS = {_header_key(text): name for name in COLUMNS for text in (name, *ALIASES.get(name, ()))}


def _table(text: str) -> tuple[dict[str, int], dict[str, str], list[tuple[int, list[str]]]]:
    """The column of each field, each field's header as written, and the non-blank rows with their numbers."""
    first = text.partition("\n")[0]
    counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in ",;\t"}
    delimiter = max(counts, key=lambda d: counts[d])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        columns: dict[str, int] = {}
        headers: dict[str, str] = {}
        for index, cell in enumerate(header):
            name = HEADER_KEYS.get(_header_key(cell))
            if name and name not in columns:
                columns[name] = index
                headers[name] = cell.strip()
        missing = [name for name in REQUIRED if name not in columns]
        if missing:
            found = ", ".join(f"‘{cell.strip()}’" for cell in header if cell.strip()) or "nothing"
            raise _Refused(
                f"Row 1 must name the columns flight, date, direction, status and time; it has {found}, so "
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing. Add the header row, or "
                "rename the columns."
            )
        rows: list[tuple[int, list[str]]] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise _Refused(
                    f"The file has more than {MAX_ROWS:,} flights (rows below the header), the most one list may "
                    "hold. Split it into smaller files."
                )
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise _Refused(
            f"The file is not a readable CSV (line {reader.line_num}: {exc}). Save it as ‘CSV UTF-8’."
        ) from None
    if not rows:
        raise _Refused("The file has a header row but no flights below it. Add one flight per row.")
    return columns, headers, rows


# --- Cells ------------------------------------------------------------------------------------------------
def _shown(text: str) -> str:
    return f"‘{text[:30]}…’" if len(text) > 30 else f"‘{text}’"


def _clean_flight(text: str) -> str:
    if not text:
        raise _Bad("The flight number is missing.")
    number = " ".join(text.split()).upper()
    try:
        flight_number_validator(number)
    except ValidationError:
        raise _Bad(f"{_shown(text)} is not a flight number: write it as on file, e.g. PG931 or VN 3120.") from None
    return number


def _clean_date(text: str) -> dt.date:
    if not text:
        raise _Bad("The date is missing: write the flight's day as YYYY-MM-DD, e.g. 2020-11-15.")
    # Excel may write a date cell as "2020-11-15 00:00:00".
    iso = ISO_DATE.fullmatch(re.sub(r"[ T]00:00(:00)?$", "", text))
    written = TEXT_DATE.fullmatch(text)
    try:
        if iso:
            return dt.date(*map(int, iso.groups()))
        if written and written.group(2).lower() in MONTHS:
            return dt.date(int(written.group(3)), MONTHS[written.group(2).lower()], int(written.group(1)))
    except ValueError:
        raise _Bad(
            f"{_shown(text)} is not a day of the calendar. Write the date as YYYY-MM-DD, e.g. 2020-11-15."
        ) from None
    raise _Bad(
        f"{_shown(text)} is not a date this list reads. Write it as YYYY-MM-DD, e.g. 2020-11-15 (day/month orders "
        "such as 15/11/2020 are not read: they differ between countries)."
    )


def _clean_direction(text: str) -> str:
    leg = DIRECTIONS.get(" ".join(text.casefold().split()))
    if leg is None:
        raise _Bad(f"{_shown(text)} is not a direction: write arrival or departure (A or D).")
    return leg


def _clean_status(text: str, leg: str) -> str:
    word = " ".join(text.casefold().replace("_", " ").split())
    if word in NOT_HANDLED:
        raise _Bad(
            f"{_shown(text)}: a cancelled or diverted flight is not marked from the list. Ask the delegation for its "
            "new flight and change the travel record."
        )
    status = STATUS_WORDS.get(word) or STATUS_WORDS.get(word.replace(" ", "_"))
    if status is None:
        raise _Bad(f"{_shown(text)} is not a flight status: write {STATUS_HELP}.")
    if status not in STATUSES[leg]:
        allowed = ", ".join(label.lower() for label in STATUSES[leg].values())
        raise _Bad(f"{_shown(text)} is not a status of a{'n' if leg == 'arrival' else ''} {leg}: write {allowed}.")
    return status


def _clean_time(text: str, day: dt.date) -> dt.datetime | None:
    if not text:
        return None
    tz = timezone.get_current_timezone()
    if ISO_DATE.match(text):
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is not None:
            return value.astimezone(tz) if timezone.is_aware(value) else value.replace(tzinfo=tz)
    match = TIME.fullmatch(text)
    if match:
        hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if hour < 24 and minute < 60 and second < 60:
            next_day = dt.timedelta(days=1 if match.group(4) else 0)
            return dt.datetime.combine(day + next_day, dt.time(hour, minute, second), tzinfo=tz)
    if re.search(r"[ap]\.?m\.?$", text, re.IGNORECASE):
        raise _Bad(f"{_shown(text)}: write times on the 24-hour clock, e.g. 21:45 (Phnom Penh time).")
    raise _Bad(
        f"{_shown(text)} is not a time: write HH:MM on the 24-hour clock (Phnom Penh time), e.g. 09:45, or 00:40+1 "
        "for the day after the row's date."
    )


def _rows_read(
    columns: dict[str, int], headers: dict[str, str], table: list[tuple[int, list[str]]]
) -> tuple[list[FlightRow], list[RowError]]:
    rows: list[FlightRow] = []
    errors: list[RowError] = []
    for number, cells in table:

        def cell(name: str, cells: list[str] = cells) -> str:
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        values: dict[str, Any] = {}
        row_errors = []
        cleaners = [("flight", _clean_flight), ("date", _clean_date), ("direction", _clean_direction)]
        for name, clean in cleaners:
            try:
                values[name] = clean(cell(name))
            except _Bad as bad:
                row_errors.append(RowError(number, headers[name], bad.message))
        if "direction" in values:
            try:
                values["status"] = _clean_status(cell("status"), values["direction"])
            except _Bad as bad:
                row_errors.append(RowError(number, headers["status"], bad.message))
        time_header = headers.get("time", "time")
        if "date" in values:
            try:
                values["at"] = _clean_time(cell("time"), values["date"])
            except _Bad as bad:
                row_errors.append(RowError(number, time_header, bad.message))
        status = values.get("status")
        if status in ("delayed", *DONE.values()) and "at" in values and values["at"] is None:
            what = "new" if status == "delayed" else "actual"
            row_errors.append(
                RowError(number, time_header, f"A {status} flight needs its {what} time in this column, e.g. 09:45.")
            )
        if status == "at_hotel" and values.get("at") is not None:
            row_errors.append(RowError(number, time_header, "At hotel takes no time: leave the time empty."))
        if row_errors:
            errors += row_errors
            continue
        rows.append(
            FlightRow(
                row=number,
                flight=values["flight"],
                day=values["date"],
                leg=values["direction"],
                status=values["status"],
                at=values["at"],
            )
        )
    return rows, errors


# --- Matching and checking -----------------------------------------------------------------------------------
Index = dict[tuple[str, str], dict[dt.date, list[Travel]]]  # (leg, flight key) → day → travel records


def _index(travels: Sequence[Travel]) -> Index:
    index: Index = defaultdict(lambda: defaultdict(list))
    for travel in travels:
        for leg in DONE:
            number, time = leg_flight(travel, leg), leg_time(travel, leg)
            if number and time is not None:
                index[(leg, flight_key(number))][local_day(time)].append(travel)
    return index


def _candidates(rows: Sequence[FlightRow]) -> Sequence[Travel]:
    """Every travel record with a flight of the file's flights (one query). Flight numbers are compared without
    spaces, so the filter is on the numbers' digits and the exact match is made in Python."""
    if not rows:
        return []
    return list(
        Travel.objects.exclude(arrival_flight="", departure_flight="")
        .select_related("person__delegation__partner", "person__delegation__event")
        .order_by("pk")
    )


def _who(travel: Travel) -> str:
    return f"{travel.person} ({travel.person.delegation.partner.code})"


def _check(rows: Sequence[FlightRow], travels: Sequence[Travel], *, now: dt.datetime) -> FlightImport:
    index = _index(travels)
    windows = Windows()
    result = FlightImport()
    seen: dict[tuple[str, str, dt.date], FlightRow] = {}
    for row in rows:
        key = (row.leg, flight_key(row.flight), row.day)
        if key in seen:
            first = seen[key]
            if (first.status, first.at) != (row.status, row.at):
                result.errors.append(
                    RowError(
                        row.row,
                        "flight",
                        f"Row {first.row} already gives {row.flight} ({row.leg}) on {fmt(row.day)}, with another "
                        "status or time. Keep one row per flight and direction.",
                    )
                )
            continue  # the same again: read once
        seen[key] = row
        by_day = index.get((row.leg, flight_key(row.flight)), {})
        party = by_day.get(row.day, [])
        if not party:
            result.errors.append(RowError(row.row, "flight", _unknown(row, sorted(by_day))))
            continue
        times = sorted({time for t in party if (time := leg_time(t, row.leg)) is not None})
        if len(times) > 1:
            counts = ", ".join(
                f"{fmt(timezone.localtime(time).time())} for {sum(1 for t in party if leg_time(t, row.leg) == time)}"
                for time in times
            )
            result.errors.append(
                RowError(
                    row.row,
                    "flight",
                    f"{row.flight} on {fmt(row.day)} is on file at {len(times)} different times ({counts} "
                    "traveller(s)), so the row cannot say which it means. Correct the travel records, or mark each "
                    "party on the flights page.",
                )
            )
            continue
        marks = tuple(FlightMark(travel=t, leg=row.leg, status=row.status, at=row.at) for t in party)
        refusal = None
        for mark in marks:
            errors = mark_errors(mark, now=now, windows=windows)
            if errors:
                name, message = next(iter(errors.items()))
                column = "time" if name == "at" else "status"
                prefix = f"For {_who(mark.travel)}: " if len(marks) > 1 else ""
                refusal = RowError(row.row, column, prefix + message)
                break
        if refusal:
            result.errors.append(refusal)
            continue
        first_travel = party[0]
        result.rows.append(
            FlightChange(
                row=row.row,
                leg=row.leg,
                flight=row.flight,
                day=row.day,
                status_before=leg_status(first_travel, row.leg),
                status=row.status,
                at_before=leg_time(first_travel, row.leg),
                at=row.at,
                travellers=tuple(_who(t) for t in party),
                changes=any(mark_changes(mark) for mark in marks),
                marks=marks,
            )
        )
    return result


def _unknown(row: FlightRow, days: list[dt.date]) -> str:
    what = "arrives" if row.leg == "arrival" else "departs"
    if days:
        on = ", ".join(fmt(day) for day in days[:3])
        return (
            f"No {row.leg} on {row.flight} on {fmt(row.day)} in the planner: that flight {what} on {on}. Check the "
            "date (the flight's scheduled day, Phnom Penh time) and the direction."
        )
    return (
        f"No {row.leg} on {row.flight} on {fmt(row.day)} in the planner: no traveller's {row.leg} is on that flight. "
        "Check the flight number, or add the flight to the traveller's record first."
    )


def _headers_named(errors: list[RowError], headers: dict[str, str]) -> list[RowError]:
    """Row errors name the column as the file's header writes it."""
    return [RowError(e.row, headers.get(e.column, e.column), e.message) for e in errors]


def _read(file: bytes | IO[bytes]) -> tuple[list[FlightRow], list[RowError], dict[str, str], int]:
    text = _decode(_read_bytes(file))
    columns, headers, table = _table(text)
    rows, errors = _rows_read(columns, headers, table)
    return rows, errors, headers, len(table)


# --- The two steps -------------------------------------------------------------------------------------------
def flights_import_preview(*, file: bytes | IO[bytes]) -> FlightImport:
    """Read and check the airport's list against the travel on file: what each valid row would change, and the
    errors of the others, by row and column. Writes nothing."""
    try:
        rows, errors, headers, read = _read(file)
    except _Refused as refused:
        return FlightImport(refused=refused.message)
    result = _check(rows, _candidates(rows), now=timezone.now())
    result.errors = sorted(errors + _headers_named(result.errors, headers), key=lambda e: e.row)
    result.read = read
    return result


@transaction.atomic
def flights_import_apply(*, file: bytes | IO[bytes], by: Actor, expected: str = "") -> FlightImport:
    """Write every valid row of the airport's list in one transaction; the rows with errors are left out (and
    listed). The travel records are locked and checked again first, so what is written is checked against the
    records as they are now. Refused, writing nothing, when the file cannot be read, or when `expected` (the
    preview's digest) is given and the flights changed since the preview."""
    try:
        rows, errors, headers, read = _read(file)
    except _Refused as refused:
        raise ImportRefused([RowError(0, "", refused.message)]) from None
    candidates = _candidates(rows)
    matched = {mark.travel.pk for change in _check(rows, candidates, now=timezone.now()).rows for mark in change.marks}
    # Locked in one order (by id), so two uploads at once queue rather than deadlock; then read again.
    list(Travel.objects.select_for_update(of=("self",)).filter(pk__in=matched).order_by("pk").values_list("pk"))
    now = timezone.now()
    result = _check(rows, _candidates(rows), now=now)
    result.errors = sorted(errors + _headers_named(result.errors, headers), key=lambda e: e.row)
    result.read = read
    if expected and result.digest != expected:
        raise ValidationError(
            "The flights changed since the preview (someone marked a flight, or the travel records changed), so "
            "nothing was applied. Look at the new preview and apply again."
        )
    written = marks_write(marks=[mark for change in result.changes for mark in change.marks], by=by, now=now)
    result.written = len(written)
    return result
