"""Rules about people and travel, written once: the models' `clean()`, the liaison forms and the spreadsheet
import all call these. Pure functions over values returning `{field: message}`, so each message lands on the
field the user has to change.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

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


def non_latin_letters(text: str) -> list[str]:
    """The letters of `text` that are not Latin script (diacritics are Latin: Nguyễn, Çelik, Łukasz)."""
    found: list[str] = []
    for char in text:
        latin = unicodedata.name(char, "").startswith("LATIN")
        if unicodedata.category(char).startswith("L") and not latin and char not in found:
            found.append(char)
    return found


def name_errors(*, given_name: str, family_name: str) -> Errors:
    """The passport name is in Latin letters (ICAO 9303's transliteration, as printed in the passport); the name
    in the person's own script has its own field."""
    errors: Errors = {}
    for field, label, value in (("given_name", "Given name", given_name), ("family_name", "Family name", family_name)):
        letters = non_latin_letters(value or "")
        if letters:
            errors[field] = (
                f"{label} must be in Latin letters as printed in the passport (ICAO 9303 transliteration); "
                f"{''.join(letters[:5])} is not Latin. Put the name in its own script in “Name in own script”."
            )
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


# The flight statuses of `Travel` (its ArrivalStatus and DepartureStatus), spelled here because validators import
# no model of their own app.
ARRIVAL_STATUSES = {"scheduled": "On schedule", "delayed": "Delayed", "landed": "Landed", "at_hotel": "At hotel"}
DEPARTURE_STATUSES = {"scheduled": "On schedule", "delayed": "Delayed", "departed": "Departed"}
# How far in the future a landing or take-off may be reported: clocks of phones and of the airport's list differ.
CLOCK_SLACK = dt.timedelta(minutes=10)


def flight_status_errors(
    *,
    leg: str,
    status: str,
    at: dt.datetime | None,
    current_status: str,
    current_at: dt.datetime | None,
    other_at: dt.datetime | None,
    window: tuple[dt.datetime, dt.datetime] | None,
    window_label: str = "",
    now: dt.datetime,
) -> Errors:
    """What is wrong with marking one leg ("arrival" or "departure") of a traveller's flights `status` at `at`
    (the new or actual time; None keeps the time on file), as {"status" | "at": message}.

    Delayed needs the new time; landed and departed take the actual time, which cannot be in the future; at
    hotel needs a landed arrival and takes no time; a flight that landed or departed is not delayed any more.
    The time stays in the travel window and on the right side of the other leg (`other_at`)."""
    statuses = ARRIVAL_STATUSES if leg == "arrival" else DEPARTURE_STATUSES
    done = "landed" if leg == "arrival" else "departed"
    if status not in statuses:
        allowed = ", ".join(statuses.values())
        return {"status": f"‘{status}’ is not a status of a{'n' if leg == 'arrival' else ''} {leg}: use {allowed}."}
    if status == "delayed" and at is None:
        return {"at": f"A delayed {leg} needs its new time: enter the expected time of the {leg} (Phnom Penh time)."}
    if status == "at_hotel":
        if current_status not in ("landed", "at_hotel"):
            was = statuses.get(current_status, current_status).lower()
            return {"status": f"Only a landed arrival can be at the hotel; this one is {was}. Mark it landed first."}
        if at is not None:
            return {"at": "At hotel takes no time: the landing time stays. Leave the time empty."}
    if status == "delayed" and current_status in (done, "at_hotel"):
        when = f" at {fmt(current_at)}" if current_at else ""
        return {
            "status": f"This flight has already {done}{when}, so it cannot be delayed. If it was marked {done} by "
            "mistake, mark it on schedule first."
        }
    if at is None:
        return {}
    if status == done and at > now + CLOCK_SLACK:
        return {
            "at": f"{fmt(at)} is in the future: a flight that has {done} has its actual time, now or earlier. Mark it "
            f"delayed with the expected time instead."
        }
    if other_at is not None and (at >= other_at if leg == "arrival" else at <= other_at):
        if leg == "arrival":
            return {
                "at": f"The new arrival, {fmt(at)}, is not before the departure on file ({fmt(other_at)}). Enter an "
                "arrival before the departure, or change the departure first."
            }
        return {
            "at": f"The new departure, {fmt(at)}, is not after the arrival on file ({fmt(other_at)}). Enter a "
            "departure after the arrival, or change the arrival first."
        }
    errors = travel_errors(
        arrival_at=at if leg == "arrival" else None,
        departure_at=at if leg == "departure" else None,
        window=window,
        window_label=window_label,
    )
    return {"at": errors[f"{leg}_at"]} if errors else {}
