"""Rules about people and travel, written once: the models' `clean()`, the liaison forms and the spreadsheet
import all call these. Pure functions over values returning `{field: message}`, so each message lands on the
field the user has to change.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import cast

from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from asemplanner.timeranges import Errors, fmt, range_errors

# An airline designator (two letters or digits, or three letters) and a number: PG931, VN 3120, AF2, CTM1001
# (government and military flights use three-letter designators).
flight_number_validator = RegexValidator(
    r"^[A-Z0-9]{2}[A-Z]?\s?[0-9]{1,4}[A-Z]?$",
    gettext_lazy(
        "Enter a flight number such as PG931 or VN 3120: the airline's two- or three-character code, then up "
        "to four digits."
    ),
)


def person_errors(
    *, passport_expiry: dt.date | None, date_of_birth: dt.date | None, event_end: dt.date | None, event: str = ""
) -> Errors:
    """Passport and birth dates must make sense, and the passport must be valid for the whole visit.

    The messages never repeat a passport date or the date of birth: they go back to browsers, import reports
    and mail, and the passport data is write-only for liaisons (the stored value may be the one at fault)."""
    errors: Errors = {}
    if passport_expiry and date_of_birth and passport_expiry <= date_of_birth:
        errors["passport_expiry"] = gettext("Passport expiry must be after the date of birth.")
    elif passport_expiry and event_end and passport_expiry <= event_end:
        errors["passport_expiry"] = (
            gettext(
                "This passport expires before %(event)s ends on %(end)s. Enter a passport that is valid after %(end)s."
            )
            if event
            else gettext(
                "This passport expires before the event ends on %(end)s. Enter a passport that is valid after %(end)s."
            )
        ) % {"event": event, "end": fmt(event_end)}
    if date_of_birth and date_of_birth > timezone.localdate():
        errors["date_of_birth"] = gettext("The date of birth is in the future. Enter the date of birth.")
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
    messages = {
        "given_name": gettext_lazy(
            "Given name must be in Latin letters as printed in the passport (ICAO 9303 transliteration); "
            "%(letters)s is not Latin. Put the name in its own script in “Name in own script”."
        ),
        "family_name": gettext_lazy(
            "Family name must be in Latin letters as printed in the passport (ICAO 9303 transliteration); "
            "%(letters)s is not Latin. Put the name in its own script in “Name in own script”."
        ),
    }
    for field, value in (("given_name", given_name), ("family_name", family_name)):
        letters = non_latin_letters(value or "")
        if letters:
            errors[field] = str(messages[field]) % {"letters": "".join(letters[:5])}
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
    outside = {
        "arrival_at": gettext_lazy(
            "Arrives %(at)s, outside %(window)s: travel must fall between %(first)s and %(last)s. Check the date, "
            "and the time zone it was entered in."
        ),
        "departure_at": gettext_lazy(
            "Departs %(at)s, outside %(window)s: travel must fall between %(first)s and %(last)s. Check the date, "
            "and the time zone it was entered in."
        ),
    }
    for name, value in (("arrival_at", arrival_at), ("departure_at", departure_at)):
        if value is not None and not (lo <= value < hi) and name not in errors:
            errors[name] = str(outside[name]) % {
                "at": fmt(value),
                "window": window_label,
                "first": fmt(lo),
                "last": fmt(hi),
            }
    return errors


def size_text(size: int) -> str:
    """A file size as the upload messages give it: 7.2 MB, or 850 kB below a megabyte."""
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size // 1000} kB"


# The flight statuses of `Travel` (its ArrivalStatus and DepartureStatus), spelled here because validators import
# no model of their own app.
ARRIVAL_STATUSES: dict[str, str] = cast(
    dict[str, str],
    {
        "scheduled": gettext_lazy("On schedule"),
        "delayed": gettext_lazy("Delayed"),
        "landed": gettext_lazy("Landed"),
        "at_hotel": gettext_lazy("At hotel"),
    },
)
DEPARTURE_STATUSES: dict[str, str] = cast(
    dict[str, str],
    {
        "scheduled": gettext_lazy("On schedule"),
        "delayed": gettext_lazy("Delayed"),
        "departed": gettext_lazy("Departed"),
    },
)
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
    arrival = leg == "arrival"
    if status not in statuses:
        allowed = ", ".join(str(label) for label in statuses.values())
        refused = (
            gettext("‘%(status)s’ is not a status of an arrival: use %(allowed)s.")
            if arrival
            else gettext("‘%(status)s’ is not a status of a departure: use %(allowed)s.")
        )
        return {"status": refused % {"status": status, "allowed": allowed}}
    if status == "delayed" and at is None:
        return {
            "at": gettext(
                "A delayed arrival needs its new time: enter the expected time of the arrival (Phnom Penh time)."
            )
            if arrival
            else gettext(
                "A delayed departure needs its new time: enter the expected time of the departure (Phnom Penh time)."
            )
        }
    if status == "at_hotel":
        if current_status not in ("landed", "at_hotel"):
            was = str(statuses.get(current_status, current_status)).lower()
            return {
                "status": gettext(
                    "Only a landed arrival can be at the hotel; this one is %(was)s. Mark it landed first."
                )
                % {"was": was}
            }
        if at is not None:
            return {"at": gettext("At hotel takes no time: the landing time stays. Leave the time empty.")}
    if status == "delayed" and current_status in (done, "at_hotel"):
        if arrival:
            refused = (
                gettext(
                    "This flight has already landed at %(at)s, so it cannot be delayed. If it was marked landed by "
                    "mistake, mark it on schedule first."
                )
                if current_at
                else gettext(
                    "This flight has already landed, so it cannot be delayed. If it was marked landed by mistake, "
                    "mark it on schedule first."
                )
            )
        else:
            refused = (
                gettext(
                    "This flight has already departed at %(at)s, so it cannot be delayed. If it was marked departed "
                    "by mistake, mark it on schedule first."
                )
                if current_at
                else gettext(
                    "This flight has already departed, so it cannot be delayed. If it was marked departed by "
                    "mistake, mark it on schedule first."
                )
            )
        return {"status": refused % {"at": fmt(current_at) if current_at else ""}}
    if at is None:
        return {}
    if status == done and at > now + CLOCK_SLACK:
        future = (
            gettext(
                "%(at)s is in the future: a flight that has landed has its actual time, now or earlier. Mark it "
                "delayed with the expected time instead."
            )
            if arrival
            else gettext(
                "%(at)s is in the future: a flight that has departed has its actual time, now or earlier. Mark it "
                "delayed with the expected time instead."
            )
        )
        return {"at": future % {"at": fmt(at)}}
    if other_at is not None and (at >= other_at if arrival else at <= other_at):
        if arrival:
            return {
                "at": gettext(
                    "The new arrival, %(at)s, is not before the departure on file (%(other)s). Enter an arrival "
                    "before the departure, or change the departure first."
                )
                % {"at": fmt(at), "other": fmt(other_at)}
            }
        return {
            "at": gettext(
                "The new departure, %(at)s, is not after the arrival on file (%(other)s). Enter a departure after "
                "the arrival, or change the arrival first."
            )
            % {"at": fmt(at), "other": fmt(other_at)}
        }
    errors = travel_errors(
        arrival_at=at if leg == "arrival" else None,
        departure_at=at if leg == "departure" else None,
        window=window,
        window_label=window_label,
    )
    return {"at": errors[f"{leg}_at"]} if errors else {}
