"""The clash engine: pure functions over commitments, no database.

A commitment occupies resources (a room, people, a team, a vehicle, a staff member) over a half-open range
`[start, end)`. For each resource the engine sorts its commitments by start and sweeps them once, keeping
the ones still running, so finding k clashes among n commitments costs O(n log n + k) rather than the
O(n²) of comparing every pair. Touching ranges (one ends when the next starts) never clash.

Each finding is a typed `Clash` (STYLE 7): kind, severity, the resource, the one or two commitments, a
message, and a fingerprint that stays the same while the clash persists, so re-checks update instead of
duplicating, and an acknowledgement survives.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

from asemplanner.timeranges import opening_hours_errors, within_days_errors
from events.clash_messages import clash_text, number, when


class Kind(StrEnum):
    ROOM_DOUBLE_BOOKED = "room_double_booked"
    PERSON_DOUBLE_BOOKED = "person_double_booked"
    HEAD_DOUBLE_BOOKED = "head_double_booked"
    STAFF_DOUBLE_BOOKED = "staff_double_booked"
    TEAM_DOUBLE_BOOKED = "team_double_booked"
    VEHICLE_DOUBLE_BOOKED = "vehicle_double_booked"
    TRANSFER_TOO_SHORT = "transfer_too_short"
    BEFORE_ARRIVAL = "before_arrival"
    AFTER_DEPARTURE = "after_departure"
    OVER_CAPACITY = "over_capacity"
    OUTSIDE_EVENT_DATES = "outside_event_dates"
    OUTSIDE_OPENING_HOURS = "outside_opening_hours"
    ROOM_OUT_OF_SERVICE = "room_out_of_service"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


DOUBLE_BOOKING = {
    "room": Kind.ROOM_DOUBLE_BOOKED,
    "person": Kind.PERSON_DOUBLE_BOOKED,
    "staff": Kind.STAFF_DOUBLE_BOOKED,
    "team": Kind.TEAM_DOUBLE_BOOKED,
    "vehicle": Kind.VEHICLE_DOUBLE_BOOKED,
}


@dataclass(frozen=True, slots=True)
class Commitment:
    """Something that occupies resources over `[start, end)`.

    `key` names the source row ("session:12", "bilateral:3", "task:7"); `venue_id` is where it starts and
    `end_venue_id` where it ends (they differ for a motorcade). `people` are Person ids, `staff` User ids.
    """

    key: str
    label: str
    start: dt.datetime
    end: dt.datetime
    event_id: int | None = None
    room_id: int | None = None
    venue_id: int | None = None
    end_venue_id: int | None = None
    people: tuple[int, ...] = ()
    staff: tuple[int, ...] = ()
    team_id: int | None = None
    vehicle: str = ""
    expected: int | None = None
    checks_presence: bool = False  # sessions: people are expected there, so arrival/departure matter
    within_event: bool = False  # sessions and bilaterals must fall on their event's days (tasks need not)
    # The commitment a task prepares ("bilateral:3" for its flags or interpretation): the task uses that room
    # without occupying it, so it is hit by the room's outage but never double-books it.
    serves: str = ""

    def resources(self) -> Iterable[str]:
        if self.room_id is not None:
            yield f"room:{self.room_id}"
        for person in self.people:
            yield f"person:{person}"
        for user in self.staff:
            yield f"staff:{user}"
        if self.team_id is not None:
            yield f"team:{self.team_id}"
        if self.vehicle:
            yield f"vehicle:{self.vehicle.strip().upper()}"

    @property
    def arrives_at(self) -> int | None:
        return self.end_venue_id if self.end_venue_id is not None else self.venue_id


# Each clash's message as a msgid and its arguments (events/clash_messages.py): pages render it in the reader's
# language. `Clash.message` is the same sentence in English.
DOUBLE_BOOKED = gettext_noop("%(name)s is in “%(first)s” and “%(second)s” at once (%(start)s–%(end)s).")
TRANSFER_SHORT = gettext_noop(
    "%(name)s has %(gap)s min from “%(first)s” at %(origin)s to “%(second)s” at %(destination)s; the motorcade "
    "needs %(minutes)s min plus a %(buffer)s min protocol buffer."
)
ARRIVES_LATER = gettext_noop("%(name)s is expected at “%(label)s” (%(start)s) but arrives %(arrival)s.")
DEPARTS_EARLIER = gettext_noop("%(name)s is expected at “%(label)s” until %(end)s but departs %(departure)s.")
OVER_CAPACITY = gettext_noop("“%(label)s” expects %(expected)s people; %(room)s holds %(capacity)s.")
OUT_OF_SERVICE_IN = gettext_noop(
    "“%(label)s” (%(start)s–%(end)s) is in %(room)s, which is out of service %(from)s–%(until)s (%(reason)s). "
    "Move it to another room."
)
OUT_OF_SERVICE_PREPARES = gettext_noop(
    "“%(label)s” (%(start)s–%(end)s) prepares a meeting in %(room)s, which is out of service %(from)s–%(until)s "
    "(%(reason)s). Move it to another room."
)
# The English of these two kinds is asemplanner/timeranges.py's text (shared with the forms); the msgids below
# are the same sentences, one per case.
OPENS_LATER = gettext_noop("“%(label)s”: Starts at %(start)s, but %(room)s is open %(opens)s–%(closes)s.")
CLOSES_EARLIER = gettext_noop("“%(label)s”: Ends at %(end)s, but %(room)s is open %(opens)s–%(closes)s.")
OUTSIDE_HOURS = gettext_noop(
    "“%(label)s”: Starts at %(start)s, but %(room)s is open %(opens)s–%(closes)s. Ends at %(end)s, but "
    "%(room)s is open %(opens)s–%(closes)s."
)
STARTS_OUTSIDE_DAYS = gettext_noop(
    "“%(label)s”: Starts at %(start)s, outside the dates of %(event)s runs %(first)s to %(last)s."
)
ENDS_OUTSIDE_DAYS = gettext_noop(
    "“%(label)s”: Ends at %(end)s, outside the dates of %(event)s runs %(first)s to %(last)s."
)
OUTSIDE_DAYS = gettext_noop(
    "“%(label)s”: Starts at %(start)s, outside the dates of %(event)s runs %(first)s to %(last)s. Ends at "
    "%(end)s, outside the dates of %(event)s runs %(first)s to %(last)s."
)


@dataclass(frozen=True, slots=True)
class Clash:
    kind: Kind
    severity: Severity
    resource: str
    first: str
    second: str
    message: str
    event_id: int | None = None
    starts_at: dt.datetime | None = None
    # The message as a msgid and its arguments, for readers of another language (events/clash_messages.py).
    message_id: str = field(default="", compare=False)
    message_args: Mapping[str, object] = field(default_factory=dict, compare=False)

    @property
    def message_payload(self) -> dict[str, object]:
        """What `Conflict.message_args` stores: {"msgid": ..., "args": {...}}, empty without a msgid."""
        return {"msgid": self.message_id, "args": dict(self.message_args)} if self.message_id else {}

    @property
    def display_message(self) -> str:
        """The message in the active language."""
        return clash_text(self.message_payload, self.message)

    @property
    def fingerprint(self) -> str:
        """Stable while the same resource and the same commitments clash in the same way (times may move)."""
        items = "|".join(sorted(filter(None, (self.first, self.second))))
        return hashlib.sha256(f"{self.kind}|{self.resource}|{items}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Presence:
    """When a person is in town (from their travel)."""

    arrival: dt.datetime | None
    departure: dt.datetime | None


@dataclass(frozen=True, slots=True)
class RoomFacts:
    capacity: int
    opens_at: dt.time | None
    closes_at: dt.time | None
    label: str


@dataclass(frozen=True, slots=True)
class EventFacts:
    first_day: dt.date
    last_day: dt.date
    label: str


@dataclass(frozen=True, slots=True)
class OutageFacts:
    """An active outage of a room (events.RoomOutage): the room is out of service over `[start, end)`."""

    pk: int
    room_id: int
    start: dt.datetime
    end: dt.datetime
    reason: str
    room_label: str


@dataclass
class Facts:
    """What the checks need besides the commitments; all of it gathered up front in a few queries."""

    transfer_minutes: Mapping[tuple[int, int], int] = field(default_factory=dict)
    presence: Mapping[int, Presence] = field(default_factory=dict)
    heads: frozenset[int] = frozenset()
    rooms: dict[int, RoomFacts] = field(default_factory=dict)
    events: dict[int, EventFacts] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # resource key → human name
    venue_names: dict[int, str] = field(default_factory=dict)
    buffer_minutes: int = 15
    tz: dt.tzinfo = dt.UTC
    outages: dict[int, list[OutageFacts]] = field(default_factory=dict)  # room id → its active outages

    def learn_room(
        self, pk: int | None, *, capacity, opens_at, closes_at, name, venue_id, venue_short, venue_name
    ) -> None:
        """Facts about a room, read off the row of a commitment in it (no extra query)."""
        if pk is None or pk in self.rooms:
            return
        venue = venue_short or venue_name
        self.rooms[pk] = RoomFacts(capacity=capacity, opens_at=opens_at, closes_at=closes_at, label=f"{venue} · {name}")
        self.labels[f"room:{pk}"] = self.rooms[pk].label
        self.venue_names[venue_id] = venue

    def learn_event(self, pk: int | None, *, first_day, last_day, acronym) -> None:
        if pk is not None and pk not in self.events:
            self.events[pk] = EventFacts(first_day=first_day, last_day=last_day, label=acronym)
            self.labels[f"event:{pk}"] = acronym

    def label(self, resource: str) -> str:
        if resource.startswith("vehicle:") and resource not in self.labels:
            return f"Vehicle {resource.split(':', 1)[1]}"
        return self.labels.get(resource, resource)

    def transfer(self, from_venue: int, to_venue: int) -> int | None:
        """Minutes by motorcade; the reverse direction when only that one is known."""
        minutes = self.transfer_minutes.get((from_venue, to_venue))
        return minutes if minutes is not None else self.transfer_minutes.get((to_venue, from_venue))


def _t(value: dt.datetime, tz: dt.tzinfo) -> str:
    return value.astimezone(tz).strftime("%d %b %H:%M")


@dataclass(frozen=True, slots=True)
class _Clock:
    """An instant shown by its time of day alone (the message gives the day already)."""

    at: dt.datetime


class _Said(TypedDict):
    message: str
    message_id: str
    message_args: dict[str, object]


def _said(msgid: str, tz: dt.tzinfo, **args: object) -> _Said:
    """A clash's `message` (English) with its `message_id` and `message_args` (the reader's language).

    An instant is "05 Nov 14:00" (a `_Clock`: "14:00"), an int a number (Khmer digits on Khmer pages), a
    `number(...)` a number already written out, anything else text shown as it is (labels, reasons)."""
    english: dict[str, object] = {}
    stored: dict[str, object] = {}
    for name, value in args.items():
        if isinstance(value, _Clock):
            english[name], stored[name] = f"{value.at.astimezone(tz):%H:%M}", when(value.at, tz, "H:i")
        elif isinstance(value, dt.datetime):
            english[name], stored[name] = _t(value, tz), when(value, tz)
        elif isinstance(value, int):
            english[name], stored[name] = str(value), number(value)
        elif isinstance(value, dict):
            english[name], stored[name] = value["n"], value
        else:
            english[name] = stored[name] = str(value)
    return {"message": msgid % english, "message_id": msgid, "message_args": stored}


def by_resource(
    commitments: Iterable[Commitment], wanted: Callable[[str], bool] | None = None
) -> dict[str, list[Commitment]]:
    grouped: dict[str, list[Commitment]] = defaultdict(list)
    for commitment in commitments:
        for resource in commitment.resources():
            if wanted is None or wanted(resource):
                grouped[resource].append(commitment)
    return grouped


def overlapping_pairs(items: list[Commitment]) -> Iterable[tuple[Commitment, Commitment]]:
    """Every pair of overlapping commitments: sort by start, sweep with a min-heap of running ends."""
    return _overlapping_sorted(sorted(items, key=_start_order))


def _start_order(c: Commitment) -> tuple[dt.datetime, dt.datetime, str]:
    return c.start, c.end, c.key


def _overlapping_sorted(items: list[Commitment]) -> Iterable[tuple[Commitment, Commitment]]:
    """`overlapping_pairs` of items already in `_start_order`."""
    running: list[tuple[dt.datetime, int, Commitment]] = []
    for index, item in enumerate(items):
        start = item.start
        while running and running[0][0] <= start:  # ended at or before this start: touching is fine
            heapq.heappop(running)
        for _end, _i, other in running:
            yield other, item
        heapq.heappush(running, (item.end, index, item))


class _Instants:
    """The instants of one scan in words, each worked out once: a summit's thousands of clashes share a few
    hundred instants, and converting and formatting them was most of the engine's time."""

    __slots__ = ("seen", "tz")

    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz
        self.seen: dict[dt.datetime, tuple[str, str, str]] = {}

    def of(self, value: dt.datetime) -> tuple[str, str, str]:
        """("05 Nov 14:00", "14:00", the ISO form), in the scan's time zone: `_t`, `_Clock` and `when` alike."""
        words = self.seen.get(value)
        if words is None:
            local = value.astimezone(self.tz)
            words = self.seen[value] = (local.strftime("%d %b %H:%M"), local.strftime("%H:%M"), local.isoformat())
        return words


def double_bookings(resource: str, items: list[Commitment], facts: Facts) -> Iterable[Clash]:
    return _sweep(resource, sorted(items, key=_start_order), facts, _Instants(facts.tz))[0]


def short_transfers(resource: str, items: list[Commitment], facts: Facts) -> Iterable[Clash]:
    """Consecutive commitments of one person in different venues, closer than transfer time + buffer."""
    return _sweep(resource, sorted(items, key=_start_order), facts, _Instants(facts.tz), _Transfers(facts))[1]


class _Transfers:
    """Per pair of venues, the motorcade's minutes and the shortest gap that is not too short (minutes + buffer),
    looked up once per scan."""

    __slots__ = ("facts", "seen")

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.seen: dict[tuple[int, int], tuple[int, dt.timedelta] | None] = {}

    def limit(self, origin: int, destination: int) -> tuple[int, dt.timedelta] | None:
        """Looked up and kept (`_sweep` reads `seen` first: this runs once per pair of venues)."""
        key = (origin, destination)
        minutes = self.facts.transfer(origin, destination)
        limit = None if minutes is None else (minutes, dt.timedelta(minutes=minutes + self.facts.buffer_minutes))
        self.seen[key] = limit
        return limit


def _sweep(
    resource: str, items: list[Commitment], facts: Facts, instants: _Instants, transfers: _Transfers | None = None
) -> tuple[list[Clash], list[Clash]]:
    """One pass over a resource's commitments in `_start_order`: its double bookings — the pairs
    `overlapping_pairs` gives, from the same min-heap of running ends — and, given `transfers` (a person), its
    transfers too short: `item` follows the commitment that ends last so far (`previous`) without overlapping
    anything exactly when no earlier commitment is still running, i.e. when the heap is empty."""
    doubles: list[Clash] = []
    moves: list[Clash] = []
    said: tuple[Kind, str] | None = None
    running: list[tuple[dt.datetime, int, Commitment]] = []
    push, pop = heapq.heappush, heapq.heappop
    previous: Commitment | None = None
    latest = dt.datetime.min.replace(tzinfo=dt.UTC)  # previous.end, read only once there is a previous
    for index, item in enumerate(items):
        start, end = item.start, item.end
        while running and running[0][0] <= start:  # ended at or before this start: touching is fine
            pop(running)
        if running:
            for _end, _i, other in running:
                if other.key != item.key:
                    said = said or _double_booking_words(resource, facts)
                    doubles.append(_double_booking(resource, other, item, said, facts, instants))
        elif previous is not None and transfers is not None:
            origin = previous.end_venue_id if previous.end_venue_id is not None else previous.venue_id
            destination = item.venue_id
            if origin is not None and destination is not None and origin != destination:
                pair = (origin, destination)
                limit = transfers.seen[pair] if pair in transfers.seen else transfers.limit(origin, destination)
                if limit is not None and start - latest < limit[1]:
                    moves.append(_transfer_clash(resource, previous, item, origin, destination, limit[0], facts))
        if previous is None or end > latest:
            previous, latest = item, end
        push(running, (end, index, item))
    return doubles, moves


def _double_booking_words(resource: str, facts: Facts) -> tuple[Kind, str]:
    family, pk = resource.split(":", 1)
    kind = DOUBLE_BOOKING[family]
    if family == "person" and int(pk) in facts.heads:
        kind = Kind.HEAD_DOUBLE_BOOKED
    return kind, str(facts.label(resource))


def _double_booking(
    resource: str, a: Commitment, b: Commitment, said: tuple[Kind, str], facts: Facts, instants: _Instants
) -> Clash:
    """The clash of `a` and `b` on `resource`, its message as `_said` writes it."""
    kind, name = said
    overlap_start, overlap_end = max(a.start, b.start), min(a.end, b.end)
    start_words, _clock, start_iso = instants.of(overlap_start)
    _day, end_clock, end_iso = instants.of(overlap_end)
    first, second = str(a.label), str(b.label)
    return Clash(
        kind=kind,
        severity=Severity.ERROR,
        resource=resource,
        first=a.key,
        second=b.key,
        message=DOUBLE_BOOKED
        % {"name": name, "first": first, "second": second, "start": start_words, "end": end_clock},
        message_id=DOUBLE_BOOKED,
        message_args={
            "name": name,
            "first": first,
            "second": second,
            "start": {"at": start_iso, "format": "d M H:i"},
            "end": {"at": end_iso, "format": "H:i"},
        },
        event_id=b.event_id or a.event_id,
        starts_at=overlap_start,
    )


def _transfer_clash(
    resource: str, previous: Commitment, item: Commitment, origin: int, destination: int, minutes: int, facts: Facts
) -> Clash:
    """The transfer too short from `previous` to `item`, its message as `_said` writes it."""
    gap = (item.start - previous.end).total_seconds() / 60
    buffer = facts.buffer_minutes
    name, gap_text = str(facts.label(resource)), f"{gap:.0f}"
    first, second = str(previous.label), str(item.label)
    origin_name = str(facts.venue_names.get(origin, origin))
    destination_name = str(facts.venue_names.get(destination, destination))
    return Clash(
        kind=Kind.TRANSFER_TOO_SHORT,
        severity=Severity.ERROR if gap < minutes else Severity.WARNING,
        resource=resource,
        first=previous.key,
        second=item.key,
        message=TRANSFER_SHORT
        % {"name": name, "gap": gap_text, "first": first, "origin": origin_name, "second": second,
           "destination": destination_name, "minutes": str(minutes), "buffer": str(buffer)},
        message_id=TRANSFER_SHORT,
        message_args={"name": name, "gap": number(gap_text), "first": first, "origin": origin_name, "second": second,
                      "destination": destination_name, "minutes": number(minutes), "buffer": number(buffer)},
        event_id=item.event_id,
        starts_at=previous.end,
    )  # fmt: skip


def presence(resource: str, items: list[Commitment], facts: Facts) -> Iterable[Clash]:
    person = int(resource.split(":", 1)[1])
    stay = facts.presence.get(person)
    if stay is None:
        return
    for item in items:
        if not item.checks_presence:
            continue
        if stay.arrival is not None and item.start < stay.arrival:
            yield Clash(
                kind=Kind.BEFORE_ARRIVAL,
                severity=Severity.ERROR,
                resource=resource,
                first=item.key,
                second="",
                **_said(
                    ARRIVES_LATER,
                    facts.tz,
                    name=facts.label(resource),
                    label=item.label,
                    start=item.start,
                    arrival=stay.arrival,
                ),
                event_id=item.event_id,
                starts_at=item.start,
            )
        if stay.departure is not None and item.end > stay.departure:
            yield Clash(
                kind=Kind.AFTER_DEPARTURE,
                severity=Severity.ERROR,
                resource=resource,
                first=item.key,
                second="",
                **_said(
                    DEPARTS_EARLIER,
                    facts.tz,
                    name=facts.label(resource),
                    label=item.label,
                    end=item.end,
                    departure=stay.departure,
                ),
                event_id=item.event_id,
                starts_at=item.start,
            )


def room_rules(resource: str, items: list[Commitment], facts: Facts) -> Iterable[Clash]:
    """Capacity and opening hours of the room itself."""
    room = facts.rooms.get(int(resource.split(":", 1)[1]))
    if room is None:
        return
    for item in items:
        if item.expected is not None and item.expected > room.capacity:
            yield Clash(
                kind=Kind.OVER_CAPACITY,
                severity=Severity.WARNING,
                resource=resource,
                first=item.key,
                second="",
                **_said(
                    OVER_CAPACITY,
                    facts.tz,
                    label=item.label,
                    expected=item.expected,
                    room=room.label,
                    capacity=room.capacity,
                ),
                event_id=item.event_id,
                starts_at=item.start,
            )
        hours = opening_hours_errors(
            item.start, item.end, opens_at=room.opens_at, closes_at=room.closes_at, what=room.label
        )
        if hours:
            yield Clash(
                kind=Kind.OUTSIDE_OPENING_HOURS,
                severity=Severity.WARNING,
                resource=resource,
                first=item.key,
                second="",
                message=f"“{item.label}”: " + " ".join(hours.values()),
                message_id=OUTSIDE_HOURS if len(hours) == 2 else OPENS_LATER if "start" in hours else CLOSES_EARLIER,
                message_args={
                    "label": item.label,
                    "room": room.label,
                    "opens": number(f"{room.opens_at:%H:%M}"),
                    "closes": number(f"{room.closes_at:%H:%M}"),
                    "start": when(item.start, facts.tz, "H:i"),
                    "end": when(item.end, facts.tz, "j M Y H:i"),
                },
                event_id=item.event_id,
                starts_at=item.start,
            )


def out_of_service(
    commitments: Iterable[Commitment], facts: Facts, wanted: Callable[[str], bool] | None = None
) -> Iterable[Clash]:
    """Every commitment that uses a room while it is out of service: a session or bilateral in it, a task that
    prepares one there (`serves`). One clash per commitment and outage, on the room."""
    if not facts.outages:
        return
    commitments = list(commitments)
    rooms_of = {c.key: c.room_id for c in commitments if c.room_id is not None}
    for item in commitments:
        room = item.room_id if item.room_id is not None else rooms_of.get(item.serves)
        if room is None or room not in facts.outages:
            continue
        resource = f"room:{room}"
        if wanted is not None and not wanted(resource):
            continue
        for outage in facts.outages[room]:
            if not (item.start < outage.end and outage.start < item.end):
                continue
            yield Clash(
                kind=Kind.ROOM_OUT_OF_SERVICE,
                severity=Severity.ERROR,
                resource=resource,
                first=item.key,
                second=f"outage:{outage.pk}",
                **_said(
                    OUT_OF_SERVICE_IN if item.room_id is not None else OUT_OF_SERVICE_PREPARES,
                    facts.tz,
                    label=item.label,
                    start=item.start,
                    end=_Clock(item.end),
                    room=outage.room_label,
                    **{"from": outage.start},
                    until=outage.end,
                    reason=outage.reason,
                ),
                event_id=item.event_id,
                starts_at=max(item.start, outage.start),
            )


def event_dates(commitments: Iterable[Commitment], facts: Facts) -> Iterable[Clash]:
    for item in commitments:
        event = facts.events.get(item.event_id) if item.event_id is not None else None
        if event is None or not item.within_event:
            continue
        outside = within_days_errors(item.start, item.end, first=event.first_day, last=event.last_day, what=event.label)
        if outside:
            yield Clash(
                kind=Kind.OUTSIDE_EVENT_DATES,
                severity=Severity.ERROR,
                resource=f"event:{item.event_id}",
                first=item.key,
                second="",
                message=f"“{item.label}”: " + " ".join(outside.values()),
                message_id=(
                    OUTSIDE_DAYS
                    if len(outside) == 2
                    else STARTS_OUTSIDE_DAYS
                    if "start" in outside
                    else ENDS_OUTSIDE_DAYS
                ),
                message_args={
                    "label": item.label,
                    "event": event.label,
                    "first": {"at": event.first_day.isoformat(), "format": "j M Y"},
                    "last": {"at": event.last_day.isoformat(), "format": "j M Y"},
                    "start": when(item.start, facts.tz, "j M Y H:i"),
                    "end": when(item.end, facts.tz, "j M Y H:i"),
                },
                event_id=item.event_id,
                starts_at=item.start,
            )


def find_clashes(commitments: list[Commitment], facts: Facts, *, resources: set[str] | None = None) -> list[Clash]:
    """All clashes among the commitments; with `resources`, only those of these resources (a scoped re-check)."""
    # The English message is the stored one (the API's, the log's): the shared range rules speak English here
    # whatever language the request that triggered the check was in.
    with translation.override(settings.LANGUAGE_CODE):
        return _find_clashes(commitments, facts, resources)


def _find_clashes(commitments: list[Commitment], facts: Facts, resources: set[str] | None) -> list[Clash]:
    wanted = None if resources is None else resources.__contains__
    clashes: list[Clash] = []
    instants, transfers = _Instants(facts.tz), _Transfers(facts)
    # One sort of all the commitments instead of two per resource: a resource's commitments are taken in the
    # order of their ranks, their places in `_start_order` (a stable sort, as the per-resource sorts were).
    order = sorted(range(len(commitments)), key=lambda i: _start_order(commitments[i]))
    in_order = [commitments[i] for i in order]
    rank = [0] * len(commitments)
    for place, i in enumerate(order):
        rank[i] = place
    for key, ranks in _ranks_by_resource(commitments, rank, wanted).items():
        person = isinstance(key, int)  # a person is keyed by their id while grouping, named here once
        resource = f"person:{key}" if person else str(key)
        if len(ranks) > 1:
            ordered = [in_order[r] for r in sorted(ranks)]
            doubles, moves = _sweep(resource, ordered, facts, instants, transfers if person else None)
            clashes += doubles
            clashes += moves
        if person:
            if key in facts.presence:
                clashes.extend(presence(resource, [in_order[r] for r in ranks], facts))
        elif resource.startswith("room:"):
            clashes.extend(room_rules(resource, [in_order[r] for r in ranks], facts))
    clashes.extend(out_of_service(commitments, facts, wanted))
    if resources is None or any(r.startswith("event:") for r in resources):
        event_ids = (
            None if resources is None else {int(r.split(":", 1)[1]) for r in resources if r.startswith("event:")}
        )
        scoped = [c for c in commitments if event_ids is None or c.event_id in event_ids]
        clashes.extend(event_dates(scoped, facts))
    return clashes


def _ranks_by_resource(
    commitments: list[Commitment], rank: list[int], wanted: Callable[[str], bool] | None
) -> dict[str | int, list[int]]:
    """`by_resource` holding each commitment's rank instead of the commitment, the same resources in the same
    order (`Commitment.resources`, spelt out: this loop runs once per person-commitment), a person keyed by
    their id rather than "person:<id>" so that 30,000 keys are not written out one by one."""
    grouped: defaultdict[str | int, list[int]] = defaultdict(list)
    for index, c in enumerate(commitments):
        place = rank[index]
        if c.room_id is not None and (wanted is None or wanted(f"room:{c.room_id}")):
            grouped[f"room:{c.room_id}"].append(place)
        for person in c.people if wanted is None else (p for p in c.people if wanted(f"person:{p}")):
            grouped[person].append(place)
        others = [f"staff:{user}" for user in c.staff]
        if c.team_id is not None:
            others.append(f"team:{c.team_id}")
        if c.vehicle:
            others.append(f"vehicle:{c.vehicle.strip().upper()}")
        for key in others if wanted is None else filter(wanted, others):
            grouped[key].append(place)
    return grouped


def naive_clashes(commitments: list[Commitment], facts: Facts) -> set[tuple[str, str, str, str]]:
    """The oracle: every pair of commitments compared directly, O(n²). Only double bookings; for tests and
    benchmarks. Returns (kind, resource, first, second) with the pair sorted."""
    found = set()
    for i, a in enumerate(commitments):
        a_resources = set(a.resources())
        for b in commitments[i + 1 :]:
            if a.key == b.key or not (a.start < b.end and b.start < a.end):
                continue
            for resource in a_resources.intersection(b.resources()):
                family = resource.split(":", 1)[0]
                kind = DOUBLE_BOOKING[family]
                if family == "person" and int(resource.split(":", 1)[1]) in facts.heads:
                    kind = Kind.HEAD_DOUBLE_BOOKED
                first, second = sorted((a.key, b.key))
                found.add((str(kind), resource, first, second))
    return found
