"""One leader's day: their commitments, the transfers between venues, overlaps, arrival and departure.

It reuses the conflict engine's own `gather()`, so what it shows as a transfer too short is exactly what the
checks flag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.i18n import local_date, local_digits
from delegations.models import Delegation
from events.domain.conflicts import Commitment, Facts
from events.models import Conflict, Event, Venue
from planning.domain.conflict_checks import gather
from planning.domain.timeline.axis import (
    OPEN_STATES,
    Axis,
    Link,
    OpenClash,
    Tick,
    clashes_by_key,
    day_bounds,
    lanes,
    marker,
    no_link,
    open_clashes,
    worst,
)


@dataclass(frozen=True)
class Leader:
    person_id: int
    name: str
    function: str
    partner: str
    n_errors: int = 0
    n_warnings: int = 0


def summit_leaders(*, with_clashes: bool = False) -> tuple[Event | None, list[Leader]]:
    """The summit and its heads of delegation by partner name: 2 queries (3 with their open clash counts)."""
    summit = Event.objects.filter(kind=Event.Kind.SUMMIT).order_by("start_date", "pk").first()
    if summit is None:
        return None, []
    delegations = (
        Delegation.objects.filter(event=summit, head__isnull=False)
        .select_related("head", "partner")
        .order_by("partner__name")
    )
    heads = [(d.head, d.partner.name) for d in delegations if d.head is not None]  # the query asks for a head
    counts: dict[tuple[str, str], int] = {}
    if with_clashes and heads:
        rows = (
            Conflict.objects.filter(status__in=OPEN_STATES, resource__in=[f"person:{p.pk}" for p, _head in heads])
            .values_list("resource", "severity")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = {(resource, severity): n for resource, severity, n in rows}
    leaders = [
        Leader(
            person_id=person.pk,
            name=str(person),
            function=person.function,
            partner=partner,
            n_errors=counts.get((f"person:{person.pk}", Conflict.Severity.ERROR), 0),
            n_warnings=counts.get((f"person:{person.pk}", Conflict.Severity.WARNING), 0),
        )
        for person, partner in heads
    ]
    return summit, leaders


@dataclass(frozen=True)
class CommitmentEntry:
    kind: ClassVar[str] = "commitment"
    key: str
    title: str
    event: str
    venue: str
    room: str
    start: dt.datetime
    end: dt.datetime
    url: str
    clashes: tuple[OpenClash, ...]

    @property
    def at(self) -> dt.datetime:
        return self.start

    @property
    def severity(self) -> str:
        return worst(self.clashes)

    @property
    def marker(self) -> str:
        return marker(self.severity)

    @property
    def minutes(self) -> int:
        return round((self.end - self.start).total_seconds() / 60)


@dataclass(frozen=True)
class TransferEntry:
    """The move between two consecutive commitments at different venues, judged as the engine judges it."""

    kind: ClassVar[str] = "transfer"
    origin: str
    destination: str
    start: dt.datetime  # when the previous commitment ends
    end: dt.datetime  # when the next one starts
    gap_minutes: int
    transfer_minutes: int | None  # None: no transfer time on record between these venues
    buffer_minutes: int

    @property
    def at(self) -> dt.datetime:
        return self.start

    @property
    def needed_minutes(self) -> int | None:
        return None if self.transfer_minutes is None else self.transfer_minutes + self.buffer_minutes

    @property
    def severity(self) -> str:
        """An error when the motorcade cannot make it, a warning when it eats into the buffer."""
        if self.transfer_minutes is None:
            return ""
        if self.gap_minutes < self.transfer_minutes:
            return "error"
        return "warning" if self.gap_minutes < self.transfer_minutes + self.buffer_minutes else ""

    @property
    def marker(self) -> str:
        return {"error": _("⚠ too short"), "warning": _("⚠ tight")}.get(self.severity, "")

    @property
    def shortfall_minutes(self) -> int:
        needed = self.needed_minutes
        return max(needed - self.gap_minutes, 0) if needed is not None else 0


@dataclass(frozen=True)
class OverlapEntry:
    """The next commitment starts before the previous one ends: the person would be in two places."""

    kind: ClassVar[str] = "overlap"
    previous: str
    following: str
    start: dt.datetime
    minutes: int
    severity: ClassVar[str] = "error"
    marker: ClassVar[str] = "⚠ overlap"

    @property
    def at(self) -> dt.datetime:
        return self.start


@dataclass(frozen=True)
class PresenceEntry:
    kind: ClassVar[str] = "presence"
    what: str  # "Arrives" | "Departs"
    start: dt.datetime

    @property
    def at(self) -> dt.datetime:
        return self.start


Entry = CommitmentEntry | TransferEntry | OverlapEntry | PresenceEntry


@dataclass(frozen=True)
class Segment:
    """A drawn span on the leader's chart: a commitment, or the motorcade time a transfer needs."""

    label: str
    left: float
    width: float
    lane: int
    severity: str
    url: str = ""
    kind: str = "session"  # session | bilateral | task | transfer: the colour it is drawn in
    tooltip: str = ""

    @property
    def marker(self) -> str:
        if self.kind == "transfer":
            return {"error": _("⚠ too short"), "warning": _("⚠ tight")}.get(self.severity, "")
        return marker(self.severity)


@dataclass(frozen=True)
class LeaderDay:
    person_id: int
    label: str
    day: dt.date
    arrival: dt.datetime | None
    departure: dt.datetime | None
    entries: list[Entry]
    ticks: list[Tick]
    bars: list[Segment]
    bar_lanes: int
    transfers: list[Segment]
    clashes: list[OpenClash]  # the person's own, every day
    buffer_minutes: int
    n_commitments: int = 0

    @property
    def previous_day(self) -> dt.date:
        return self.day - dt.timedelta(days=1)

    @property
    def next_day(self) -> dt.date:
        return self.day + dt.timedelta(days=1)


def person_commitments_on(commitments: Iterable[Commitment], *, person_id: int, day: dt.date) -> list[Commitment]:
    """The person's commitments that intersect the local day, in the order the engine sweeps them."""
    day_start, day_end = day_bounds(day)
    mine = [c for c in commitments if person_id in c.people and c.start < day_end and c.end > day_start]
    return sorted(mine, key=lambda c: (c.start, c.end, c.key))


def commitment_places(item: Commitment, facts: Facts, names: Mapping[int, str]) -> tuple[str, str, str]:
    """The room, the venue ("A → B" for a motorcade) and the event of a commitment, as labels ("" if none)."""
    room = facts.rooms.get(item.room_id) if item.room_id is not None else None
    venue = names.get(item.venue_id, "") if item.venue_id is not None else ""
    if item.end_venue_id is not None and item.end_venue_id != item.venue_id:
        venue = f"{venue} → {names.get(item.end_venue_id, '')}"
    event = facts.events.get(item.event_id) if item.event_id is not None else None
    return (room.label if room else "", venue, event.label if event else "")


def leader_entries(
    items: Sequence[Commitment],
    facts: Facts,
    *,
    link: Link = no_link,
    by_key: Mapping[str, list[OpenClash]] | None = None,
    venue_names: Mapping[int, str] | None = None,
) -> list[Entry]:
    """Commitments with a transfer (or an overlap) between consecutive ones: the sweep of `short_transfers`.

    As in the engine, "previous" is the commitment that ends last so far, so a short item inside a long one
    does not hide the move that follows the long one.
    """
    by_key = by_key or {}
    names = venue_names if venue_names is not None else facts.venue_names
    entries: list[Entry] = []
    previous: Commitment | None = None
    for item in items:
        if previous is not None:
            if item.start >= previous.end:
                origin, destination = previous.arrives_at, item.venue_id
                if origin is not None and destination is not None and origin != destination:
                    entries.append(
                        TransferEntry(
                            origin=names.get(origin) or f"venue {origin}",
                            destination=names.get(destination) or f"venue {destination}",
                            start=timezone.localtime(previous.end),
                            end=timezone.localtime(item.start),
                            gap_minutes=int((item.start - previous.end).total_seconds() // 60),
                            transfer_minutes=facts.transfer(origin, destination),
                            buffer_minutes=facts.buffer_minutes,
                        )
                    )
            else:
                entries.append(
                    OverlapEntry(
                        previous=previous.label,
                        following=item.label,
                        start=timezone.localtime(item.start),
                        minutes=round((min(previous.end, item.end) - item.start).total_seconds() / 60),
                    )
                )
        room, venue, event = commitment_places(item, facts, names)
        entries.append(
            CommitmentEntry(
                key=item.key,
                title=item.label,
                event=event,
                venue=venue,
                room=room,
                start=timezone.localtime(item.start),
                end=timezone.localtime(item.end),
                url=link(item.key),
                clashes=tuple(by_key.get(item.key, ())),
            )
        )
        if previous is None or item.end > previous.end:
            previous = item
    return entries


def _with_presence(entries: list[Entry], marks: Iterable[PresenceEntry]) -> list[Entry]:
    """Arrival and departure slotted in by time (before anything starting at the same minute)."""
    result = list(entries)
    for mark in marks:
        index = next((i for i, e in enumerate(result) if e.at >= mark.at), len(result))
        result.insert(index, mark)
    return result


def leader_day(*, person_id: int, day: dt.date, link: Link = no_link) -> LeaderDay:
    """One person's commitments on `day` from the engine's own gathering: 14 queries, whatever the size."""
    commitments, facts = gather()
    items = person_commitments_on(commitments, person_id=person_id, day=day)
    resource = f"person:{person_id}"
    clashes = open_clashes(keys=[c.key for c in items], resource=resource, link=link)
    # The engine names venues by short name, which may be blank; fall back to the full name (one query).
    names = {pk: facts.venue_names.get(pk) or name for pk, name in Venue.objects.values_list("id", "name")}
    # Another person's clash on a shared session (a delegate arriving late) is not this person's problem;
    # clashes of the room, event, team or vehicle are, since they move or break the commitment itself.
    relevant = [c for c in clashes if c.resource == resource or not c.resource.startswith("person:")]
    entries = leader_entries(items, facts, link=link, by_key=clashes_by_key(relevant), venue_names=names)

    day_start, day_end = day_bounds(day)
    stay = facts.presence.get(person_id)
    arrival = timezone.localtime(stay.arrival) if stay and stay.arrival else None
    departure = timezone.localtime(stay.departure) if stay and stay.departure else None
    marks = [
        PresenceEntry(what=what, start=at)
        for what, at in (("Arrives", arrival), ("Departs", departure))
        if at is not None and day_start <= at < day_end
    ]
    entries = _with_presence(entries, marks)

    axis = Axis.for_day(day)
    assigned, n_lanes = lanes([(c.start, c.end) for c in items])
    bars = []
    for shown, lane in zip([e for e in entries if isinstance(e, CommitmentEntry)], assigned, strict=True):
        left, width, _clipped = axis.place(shown.start, shown.end)
        when = f"{local_date(shown.start, 'H:i')}–{local_date(shown.end, 'H:i')}"
        tooltip = "\n".join([shown.title, f"{when} · {shown.room or shown.venue}"])
        kind = shown.key.partition(":")[0]
        bars.append(Segment(shown.title, left, width, lane, shown.severity, shown.url, kind, tooltip))
    transfers = []
    for entry in entries:
        if isinstance(entry, TransferEntry) and entry.needed_minutes is not None:
            left, width, _clipped = axis.place(entry.start, entry.start + dt.timedelta(minutes=entry.needed_minutes))
            tooltip = _(
                "%(origin)s → %(destination)s: %(transfer)s min + %(buffer)s min buffer needed, %(gap)s min available"
            ) % {
                "origin": entry.origin,
                "destination": entry.destination,
                "transfer": local_digits(entry.transfer_minutes),
                "buffer": local_digits(entry.buffer_minutes),
                "gap": local_digits(entry.gap_minutes),
            }
            label = f"{entry.origin} → {entry.destination}"
            transfers.append(Segment(label, left, width, 0, entry.severity, "", "transfer", tooltip))

    return LeaderDay(
        person_id=person_id,
        label=facts.label(resource),
        day=day,
        arrival=arrival,
        departure=departure,
        entries=entries,
        ticks=axis.ticks,
        bars=bars,
        bar_lanes=n_lanes,
        transfers=transfers,
        clashes=[c for c in clashes if c.resource == resource],
        buffer_minutes=facts.buffer_minutes,
        n_commitments=len(items),
    )
