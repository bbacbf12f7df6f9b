"""A delegation's programme, and each member's: what they attend, where and when, as a list and as iCalendar.

It is read from the conflict engine's own gathering, so the programme a liaison downloads holds exactly
the commitments the clash checks see: sessions by their audience (heads, all delegates, a category, named
people), scheduled bilaterals of the head, and protocol tasks serving a member (airport reception,
motorcade; not the staff's own work around them). Fixed number of queries whatever the size of the summit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from delegations.models import Delegation, Person
from planning.domain.conflict_checks import gather
from planning.domain.timeline.leader import commitment_places
from protocol.models import ProtocolTask

KINDS = {
    "session": gettext_lazy("Programme"),
    "bilateral": gettext_lazy("Bilateral meeting"),
    "task": gettext_lazy("Protocol"),
}
DELEGATION_TASK_KINDS = (
    ProtocolTask.Kind.AIRPORT_RECEPTION,
    ProtocolTask.Kind.AIRPORT_FAREWELL,
    ProtocolTask.Kind.MOTORCADE,
    ProtocolTask.Kind.INTERPRETATION,
)


@dataclass(frozen=True)
class ProgrammeItem:
    key: str  # session:12, bilateral:3, task:7
    title: str
    start: dt.datetime
    end: dt.datetime
    event: str
    where: str  # "Peace Palace · Plenary Hall", or "PNH airport → Sokha" for a motorcade
    attendees: tuple[str, ...]  # the delegation's members concerned, by name

    @property
    def kind(self) -> str:
        return str(KINDS[self.key.partition(":")[0]])

    @property
    def day(self) -> dt.date:
        return self.start.date()


def programme_for(delegation: Delegation, *, person: Person | None = None) -> list[ProgrammeItem]:
    """The commitments of the delegation's members (of one member with `person`), by start."""
    members = {
        p.pk: p.full_name for p in (Person.objects.filter(delegation=delegation) if person is None else [person])
    }
    commitments, facts = gather()
    theirs = [c for c in commitments if any(pk in members for pk in c.people)]
    # Of the protocol work around a member, the delegation sees what it takes part in (its reception, its
    # motorcade, its interpreter), not the staff's own work such as a security sweep of the room it goes to.
    task_ids = [int(c.key.partition(":")[2]) for c in theirs if c.key.startswith("task:")]
    shown_tasks = set(
        ProtocolTask.objects.filter(pk__in=task_ids, kind__in=DELEGATION_TASK_KINDS).values_list("pk", flat=True)
    )
    items = []
    for commitment in theirs:
        kind, _sep, pk = commitment.key.partition(":")
        if kind == "task" and int(pk) not in shown_tasks:
            continue
        mine = [pk for pk in commitment.people if pk in members]
        room, venue, event = commitment_places(commitment, facts, facts.venue_names)
        items.append(
            ProgrammeItem(
                key=commitment.key,
                title=commitment.label,
                start=timezone.localtime(commitment.start),
                end=timezone.localtime(commitment.end),
                event=event,
                where=room or venue,
                attendees=tuple(sorted(members[pk] for pk in mine)),
            )
        )
    return sorted(items, key=lambda item: (item.start, item.end, item.key))


def programme_ics(items: list[ProgrammeItem], *, name: str) -> bytes:
    """iCalendar (RFC 5545) in Phnom Penh time with its VTIMEZONE. UIDs are stable per commitment, so a
    calendar that imports the file again updates the events instead of doubling them."""
    calendar = Calendar()
    calendar.add("prodid", "-//ASEM summit planner//Programme//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    host = settings.PLANNER_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "asem-planner"
    for item in items:
        entry = CalendarEvent()
        entry.add("uid", f"{item.key.replace(':', '-')}@{host}")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", item.start)
        entry.add("dtend", item.end)
        entry.add("summary", item.title)
        if item.where:
            entry.add("location", item.where)
        entry.add("categories", [item.kind])
        entry.add(
            "description",
            _("%(kind)s · %(event)s\nAttending: %(people)s")
            % {"kind": item.kind, "event": item.event, "people": ", ".join(item.attendees)},
        )
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
