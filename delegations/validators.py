"""Rules about people and travel, written once: the models' `clean()`, the liaison forms and the spreadsheet
import all call these. Pure functions over values returning `{field: message}`, so each message lands on the
field the user has to change.
"""

from __future__ import annotations

import datetime as dt

from django.core.validators import RegexValidator
from django.utils import timezone

from asemplanner.timeranges import Errors, fmt, range_errors

# An airline designator (two letters or digits, or three letters) and a number: PG931, VN 3120, AF2, CTM1001
# (government and military flights use three-letter designators).
flight_number_validator = RegexValidator(
    r"^[A-Z0-9]{2}[A-Z]?\s?[0-9]{1,4}[A-Z]?$",
    "Enter a flight number such as PG931 or VN 3120: the airline's two- or three-character code, then up "
    "to four digits.",
)


def person_errors(
    *, passport_expiry: dt.date | None, date_of_birth: dt.date | None, event_end: dt.date | None, event: str = ""
) -> Errors:
    """Passport and birth dates must make sense, and the passport must be valid for the whole visit.

    The messages never repeat a passport date or the date of birth: they go back to browsers, import reports
    and mail, and the passport data is write-only for liaisons (the stored value may be the one at fault)."""
    errors: Errors = {}
    if passport_expiry and date_of_birth and passport_expiry <= date_of_birth:
        errors["passport_expiry"] = "Passport expiry must be after the date of birth."
    elif passport_expiry and event_end and passport_expiry <= event_end:
        errors["passport_expiry"] = (
            f"This passport expires before {event or 'the event'} ends on {fmt(event_end)}. Enter a passport that "
            f"is valid after {fmt(event_end)}."
        )
    if date_of_birth and date_of_birth > timezone.localdate():
        errors["date_of_birth"] = "The date of birth is in the future. Enter the date of birth."
    return errors


def travel_errors(
    *,
    arrival_at: dt.datetime | None,
    departure_at: dt.datetime | None,
    window: tuple[dt.datetime, dt.datetime] | None,
    window_label: str = "",
) -> Errors:
    """Arrival before departure, both within the event window (its days give or take a few, see
    `travel_window`)."""
    errors = range_errors(arrival_at, departure_at, start_field="arrival_at", end_field="departure_at")
    if window is None:
        return errors
    lo, hi = window
    for name, value, what in (("arrival_at", arrival_at, "Arrives"), ("departure_at", departure_at, "Departs")):
        if value is not None and not (lo <= value < hi) and name not in errors:
            errors[name] = (
                f"{what} {fmt(value)}, outside {window_label}: travel must fall between {fmt(lo)} and "
                f"{fmt(hi)}. Check the date, and the time zone it was entered in."
            )
    return errors


def size_text(size: int) -> str:
    """A file size as the upload messages give it: 7.2 MB, or 850 kB below a megabyte."""
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size // 1000} kB"
