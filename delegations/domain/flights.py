"""Flights on the day: an arrival or departure marked delayed (with the new time), landed or departed (with the
actual time), and an arrived party at its hotel — by staff on the flights page, by a liaison in the portal, or
many at once from the airport's list (`delegations.domain.flight_import`).

A delegation travels in parties: everyone of a delegation on the same flight number on the same (Phnom Penh)
day is marked together. Every mark is one audited write per traveller (`delegations.travel.flight_status`)
that publishes its change like any other Travel write, so a moved arrival re-checks the person's clashes,
moves the reception tasks and, for a principal, opens a disruption — the follow-ups of docs/architecture.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, Write, audit_entry, audit_log_many, diff, snapshot
from asemplanner.domain.changes import Verb
from asemplanner.timeranges import local_day_bounds
from delegations.models import Delegation, Travel, travel_window
from delegations.validators import ARRIVAL_STATUSES, DEPARTURE_STATUSES, flight_status_errors
from events.models import Event

ACTION = "delegations.travel.flight_status"
LEGS = ("arrival", "departure")
STATUSES = {"arrival": ARRIVAL_STATUSES, "departure": DEPARTURE_STATUSES}
DONE = {"arrival": "landed", "departure": "departed"}  # the statuses that take the actual time (default now)


def flight_key(number: str) -> str:
    """A flight number as compared: without spaces or case ("pg 931" is PG931)."""
    return "".join(number.split()).upper()


def leg_check(leg: str) -> str:
    if leg not in LEGS:
        raise ValidationError(
            {"leg": _("‘%(leg)s’ is not a leg of a journey: use arrival or departure.") % {"leg": leg}}
        )
    return leg


def leg_flight(travel: Travel, leg: str) -> str:
    return travel.arrival_flight if leg == "arrival" else travel.departure_flight


def leg_time(travel: Travel, leg: str) -> dt.datetime | None:
    return travel.arrival_at if leg == "arrival" else travel.departure_at


def leg_status(travel: Travel, leg: str) -> str:
    return travel.arrival_status if leg == "arrival" else travel.departure_status


def other_time(travel: Travel, leg: str) -> dt.datetime | None:
    return travel.departure_at if leg == "arrival" else travel.arrival_at


def local_day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


@dataclass(frozen=True)
class FlightMark:
    """One traveller's leg to mark: the status, and the new or actual time (None keeps the time on file)."""

    travel: Travel
    leg: str
    status: str
    at: dt.datetime | None


@dataclass
class Windows:
    """Each event's travel window, worked out once per event however many travellers are checked."""

    known: dict[int, tuple[tuple[dt.datetime, dt.datetime], str]] = field(default_factory=dict)

    def of(self, event: Event) -> tuple[tuple[dt.datetime, dt.datetime], str]:
        if event.pk not in self.known:
            label = _("the travel window of %(event)s and its side events") % {"event": event}
            self.known[event.pk] = (travel_window(event), label)
        return self.known[event.pk]


def mark_errors(mark: FlightMark, *, now: dt.datetime, windows: Windows) -> dict[str, str]:
    """What is wrong with one mark, {"status" | "at": message} (empty when it may be written)."""
    travel = mark.travel
    window, label = windows.of(travel.person.delegation.event)
    return flight_status_errors(
        leg=mark.leg,
        status=mark.status,
        at=mark.at,
        current_status=leg_status(travel, mark.leg),
        current_at=leg_time(travel, mark.leg),
        other_at=other_time(travel, mark.leg),
        window=window,
        window_label=label,
        now=now,
    )


def mark_changes(mark: FlightMark) -> bool:
    """True when the mark changes the status or the time on file."""
    current_at = leg_time(mark.travel, mark.leg)
    return leg_status(mark.travel, mark.leg) != mark.status or (mark.at is not None and mark.at != current_at)


def marks_write(*, marks: Sequence[FlightMark], by: Actor, now: dt.datetime) -> list[Travel]:
    """Write checked marks: one UPDATE per batch and one audit entry (and published change) per traveller whose
    status or time changes; marks that change nothing are left out. Returns the travel records written.

    The caller holds the rows locked (select_for_update) and has checked each mark with `mark_errors`."""
    written: list[Travel] = []
    writes: list[Write] = []
    for mark in marks:
        if not mark_changes(mark):
            continue
        travel = mark.travel
        before = snapshot(travel)
        if mark.leg == "arrival":
            travel.arrival_status = mark.status
            travel.arrival_at = mark.at or travel.arrival_at
        else:
            travel.departure_status = mark.status
            travel.departure_at = mark.at or travel.departure_at
        travel.status_updated_at = now
        writes.append(
            audit_entry(
                action=ACTION, instance=travel, by=by, changes=diff(before, snapshot(travel)), verb=Verb.CHANGED
            )
        )
        written.append(travel)
    fields = ["arrival_status", "arrival_at", "departure_status", "departure_at", "status_updated_at"]
    Travel.objects.bulk_update(written, fields, batch_size=500)
    audit_log_many(writes)
    return written


def _party(travel: Travel, leg: str) -> list[Travel]:
    """The traveller and the members of the delegation on the same flight on the same local day, locked,
    the traveller first."""
    rows = Travel.objects.select_related("person__delegation__event").select_for_update(of=("self",))
    time, number = leg_time(travel, leg), flight_key(leg_flight(travel, leg))
    if time is None or not number:
        return list(rows.filter(pk=travel.pk))
    start, end = local_day_bounds(local_day(time), local_day(time))
    on_day = Q(arrival_at__gte=start, arrival_at__lt=end) if leg == "arrival" else Q(departure_at__gte=start)
    if leg == "departure":
        on_day &= Q(departure_at__lt=end)
    candidates = rows.filter(on_day, person__delegation_id=travel.person.delegation_id).order_by("pk")
    party = [row for row in candidates if flight_key(leg_flight(row, leg)) == number]
    party.sort(key=lambda row: row.pk != travel.pk)
    return party or list(rows.filter(pk=travel.pk))


@transaction.atomic
def flight_status_set(
    *, travel: Travel, leg: str, status: str, at: dt.datetime | None = None, by: Actor
) -> list[Travel]:
    """Mark one leg of a traveller's journey — and of their party: the members of the delegation on the same
    flight that day — delayed (`at` is the new time, required), landed or departed (`at` is the actual time,
    now when not given), at hotel (after landing; no time) or on schedule again (`at` optional).

    All of the party or, if one member's record refuses it, none (the message names whom it was about).
    Returns the party's travel records as now stored."""
    leg_check(leg)
    now = timezone.now()
    if at is None and status == DONE[leg]:
        at = now
    if at is not None and timezone.is_naive(at):
        raise ValidationError({"at": _("Give the time with its time zone (the planner works in Phnom Penh time).")})
    party = _party(travel, leg)
    if not party:
        raise ValidationError({"travel": _("This travel record no longer exists; reload the page.")})
    windows = Windows()
    marks = [FlightMark(travel=row, leg=leg, status=status, at=at) for row in party]
    for number, mark in enumerate(marks):
        errors = mark_errors(mark, now=now, windows=windows)
        if errors:
            if number == 0:
                raise ValidationError(errors)
            who = mark.travel.person
            raise ValidationError(
                {
                    name: _("For %(person)s, on the same flight: %(reason)s") % {"person": who, "reason": message}
                    for name, message in errors.items()
                }
            )
    marks_write(marks=marks, by=by, now=now)
    return party


# --- Reads: the day's flights -----------------------------------------------------------------------------
@dataclass
class FlightParty:
    """The members of one delegation on one flight on one day, as the flights page lists them."""

    leg: str
    flight: str
    delegation: Delegation
    travels: list[Travel]

    @property
    def first(self) -> Travel:
        return self.travels[0]

    @property
    def at(self) -> dt.datetime | None:
        return leg_time(self.first, self.leg)

    @property
    def status(self) -> str:
        return leg_status(self.first, self.leg)

    @property
    def status_label(self) -> str:
        return STATUSES[self.leg].get(self.status, self.status)

    @property
    def mixed(self) -> bool:
        """Members on the same flight with different times or statuses on file (marked one by one)."""
        return len({(leg_time(t, self.leg), leg_status(t, self.leg)) for t in self.travels}) > 1

    @property
    def updated_at(self) -> dt.datetime | None:
        return max((t.status_updated_at for t in self.travels if t.status_updated_at), default=None)

    @property
    def done(self) -> bool:
        return self.status in (DONE[self.leg], "at_hotel")


def flights_on_day(day: dt.date) -> list[FlightParty]:
    """The day's arrivals and departures (Phnom Penh day), one entry per delegation party, by time: one query
    however many flights."""
    start, end = local_day_bounds(day, day)
    rows = (
        Travel.objects.filter(
            Q(arrival_at__gte=start, arrival_at__lt=end) | Q(departure_at__gte=start, departure_at__lt=end)
        )
        .select_related("person__delegation__partner")
        .order_by("pk")
    )
    parties: dict[tuple[str, int, str], FlightParty] = {}
    for travel in rows:
        for leg in LEGS:
            time = leg_time(travel, leg)
            if time is None or not (start <= time < end):
                continue
            number = leg_flight(travel, leg)
            key = (leg, travel.person.delegation_id, flight_key(number) or f"#{travel.pk}")
            party = parties.get(key)
            if party is None:
                parties[key] = FlightParty(
                    leg=leg, flight=number, delegation=travel.person.delegation, travels=[travel]
                )
            else:
                party.travels.append(travel)
    return sorted(parties.values(), key=lambda p: (p.at or start, p.delegation.partner.name, p.flight))


def flight_days() -> list[dt.date]:
    """The days (Phnom Penh) with an arrival or a departure on file, in order."""
    tz = timezone.get_current_timezone()
    days: set[dt.date] = set()
    for name in ("arrival_at", "departure_at"):
        days |= set(
            Travel.objects.filter(**{f"{name}__isnull": False})
            .annotate(day=TruncDate(name, tzinfo=tz))
            .order_by()  # no default ordering: DISTINCT would take its column too
            .values_list("day", flat=True)
            .distinct()
        )
    return sorted(days)
