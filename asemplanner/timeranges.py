"""Half-open time ranges `[start, end)` and the validation rules every app shares.

Pure functions over values: models' `clean()`, forms and serializers call them, so each rule is
written once (STYLE 4). They return `{field: message}` so the caller can attach each message to the
field the user has to change.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

Errors = dict[str, str]


def overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> bool:
    """True when `[a_start, a_end)` and `[b_start, b_end)` share an instant; touching is not overlapping."""
    return a_start < b_end and b_start < a_end


def fmt(value: dt.datetime | dt.date | dt.time) -> str:
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "j M Y H:i")
    if isinstance(value, dt.date):
        return date_format(value, "j M Y")
    return value.strftime("%H:%M")


def range_errors(start, end, *, start_field: str = "start", end_field: str = "end") -> Errors:
    """End must come after start; a range of zero length occupies nothing and is refused."""
    if start is None or end is None:
        return {}
    if isinstance(start, dt.datetime) and end <= start:
        return {
            end_field: _(
                "Ends at %(end)s, which is not after its start (%(start)s). Enter an end later than the start."
            )
            % {"end": fmt(end), "start": fmt(start)}
        }
    if not isinstance(start, dt.datetime) and end < start:
        return {
            end_field: _("Ends on %(end)s, before its start (%(start)s). Enter an end on or after the start.")
            % {"end": fmt(end), "start": fmt(start)}
        }
    return {}


def local_day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """`[first 00:00, last+1 00:00)` in the planner's time zone: the instants inside a run of whole days."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def within_days_errors(
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    first: dt.date,
    last: dt.date,
    what: str,
    start_field: str = "start",
    end_field: str = "end",
) -> Errors:
    """The range must lie within the days `first`..`last` (inclusive, local time)."""
    if start is None or end is None:
        return {}
    lo, hi = local_day_bounds(first, last)
    start_outside, end_outside = start < lo or start >= hi, end > hi or end <= lo
    if not (start_outside or end_outside):
        return {}  # the common case, checked for every commitment of a scan: no message text to build
    errors: Errors = {}
    values = {"what": what, "first": fmt(first), "last": fmt(last)}
    if start_outside:
        errors[start_field] = _("Starts at %(at)s, outside the dates of %(what)s runs %(first)s to %(last)s.") % {
            **values,
            "at": fmt(start),
        }
    if end_outside:
        errors[end_field] = _("Ends at %(at)s, outside the dates of %(what)s runs %(first)s to %(last)s.") % {
            **values,
            "at": fmt(end),
        }
    return errors


def opening_hours_errors(
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    opens_at: dt.time | None,
    closes_at: dt.time | None,
    what: str,
    start_field: str = "start",
    end_field: str = "end",
) -> Errors:
    """The range must fall on one local day between opening and closing time."""
    if start is None or end is None or opens_at is None or closes_at is None:
        return {}
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    start_outside = local_start.time() < opens_at or local_start.time() >= closes_at
    same_day = local_end.date() == local_start.date() or (
        local_end.time() == dt.time.min and local_end.date() == local_start.date() + dt.timedelta(days=1)
    )
    end_time = dt.time(23, 59, 59, 999999) if local_end.time() == dt.time.min else local_end.time()
    end_outside = not same_day or end_time > closes_at
    if not (start_outside or end_outside):
        return {}
    values = {"what": what, "opens": fmt(opens_at), "closes": fmt(closes_at)}
    errors: Errors = {}
    if start_outside:
        errors[start_field] = _("Starts at %(at)s, but %(what)s is open %(opens)s–%(closes)s.") % {
            **values,
            "at": fmt(local_start.time()),
        }
    if end_outside:
        errors[end_field] = _("Ends at %(at)s, but %(what)s is open %(opens)s–%(closes)s.") % {
            **values,
            "at": fmt(local_end),
        }
    return errors
