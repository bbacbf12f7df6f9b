"""Rules of the business forum written once: the models' `clean()`, the forms and the imports use them.

They import no model of this app (architecture.md, "Inside an app")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

PRIORITY_MIN, PRIORITY_MAX = 1, 5


def slot_errors(
    *, start: dt.datetime | None, end: dt.datetime | None, first_day: dt.date, last_day: dt.date
) -> dict[str, str]:
    """A forum slot starts before it ends, on one day inside the event's dates."""
    if start is None or end is None:
        return {}
    if end <= start:
        return {"end": _("The slot must end after it starts (%(start)s); choose a later end.") % {"start": start}}
    tz = timezone.get_current_timezone()
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    if day != last and end.astimezone(tz).time() != dt.time(0):
        return {"end": _("A slot lies within one day; it starts on %(day)s, so end it that day.") % {"day": day}}
    if not first_day <= day <= last_day:
        return {
            "start": _("The slot starts on %(day)s, outside the event (%(first)s to %(last)s). Choose a day in it.")
            % {"day": day, "first": first_day, "last": last_day}
        }
    return {}


def overlapping(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> tuple[dt.datetime, dt.datetime] | None:
    """The first pair of spans (by start) that overlap, as (later start, earlier end); None when none do."""
    ordered = sorted(spans)
    for (_s1, e1), (s2, _e2) in zip(ordered, ordered[1:], strict=False):
        if s2 < e1:
            return s2, e1
    return None


def priority_error(value: int | None) -> str | None:
    if value is None or not PRIORITY_MIN <= value <= PRIORITY_MAX:
        return _(
            "Priority must be a whole number from %(low)s (nice to meet) to %(high)s (must meet); got %(value)s."
        ) % {
            "low": PRIORITY_MIN,
            "high": PRIORITY_MAX,
            "value": value,
        }
    return None


def validate_priority(value: int) -> None:
    error = priority_error(value)
    if error:
        raise ValidationError(error)
