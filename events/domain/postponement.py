"""Postponing an event: it moves whole, with everything dated inside it.

The programme, placed bilaterals (and their preferred windows), protocol tasks and deadlines shift by the
same number of days, each row through the audited, validated save, so the audit trail shows every move and
the change subscribers (conflict checks, reminders) follow. Delegations' own travel is theirs to change: it
stays, and the conflict check shows who now arrives on the wrong day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from asemplanner.domain.audit import Actor, instance_save
from asemplanner.timeranges import fmt
from events.models import Event, Session
from protocol.models import BilateralMeeting, BilateralWindow, ProtocolTask
from reminders.models import Deadline


@dataclass
class Postponement:
    days: int
    moved: dict[str, int]

    def summary(self) -> str:
        return f"moved by {self.days} day(s): " + ", ".join(f"{n} {name}" for name, n in self.moved.items())


@transaction.atomic
def event_postpone(*, event: Event, start_date: dt.date, by: Actor) -> Postponement:
    """Move `event` to begin on `start_date` (same length), and everything dated within it. All or nothing."""
    if event.status in (Event.Status.CANCELLED, Event.Status.HELD):
        raise ValidationError(
            {"start_date": f"{event} is {event.get_status_display().lower()}; only planned, confirmed or postponed "
             "events can be postponed. Change its status first if it is really going ahead."}
        )  # fmt: skip
    days = (start_date - event.start_date).days
    if days == 0:
        raise ValidationError({"start_date": f"{event} already starts on {fmt(start_date)}. Choose another date."})
    delta = dt.timedelta(days=days)
    event.start_date += delta
    event.end_date += delta
    event.status = Event.Status.POSTPONED
    # Validated at the end, once its programme has moved with it (the event's own check refuses dates that
    # leave sessions outside, which is true of every step in between).
    instance_save(instance=event, by=by, action="events.event.postponed", validate=False)
    moved: dict[str, int] = {}
    # Later rows move first when moving later (earlier first when moving earlier), so no row is moved onto a
    # room slot still held by another row of the same event: no false clash, while a real one is refused.
    order = ("-start",) if days > 0 else ("start",)
    timed = [
        ("sessions", Session.objects.filter(event=event)),
        ("bilaterals", BilateralMeeting.objects.filter(event=event, start__isnull=False)),
        ("bilateral windows", BilateralWindow.objects.filter(meeting__event=event)),
        ("protocol tasks", ProtocolTask.objects.filter(event=event)),
    ]
    for name, queryset in timed:
        rows = list(queryset.order_by(*order))
        for row in rows:
            row.start += delta
            row.end += delta
            instance_save(instance=row, by=by)
        moved[name] = len(rows)
    deadlines = list(Deadline.objects.filter(event=event))
    for deadline in deadlines:
        deadline.due_at += delta
        instance_save(instance=deadline, by=by)
    moved["deadlines"] = len(deadlines)
    event.full_clean()
    return Postponement(days=days, moved=moved)
