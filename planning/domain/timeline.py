"""The staff timelines, shaped for drawing: a day's rooms and teams, and one leader's day.

Plain functions over querysets that return dataclasses; the admin views (`events/admin_timeline.py`) only
parse the request, check access and render. Every function runs a fixed number of queries however many
rows the day holds: one per kind of bar and one for the open conflicts touching them.

Bars sit on a 06:00–24:00 local axis (the summit's working day); anything outside it is clipped to the
edge and says so, rather than vanishing. The leader's day reuses the conflict engine's own `gather()`, so
what it shows as a transfer too short is exactly what the checks flag.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import ClassVar

from django.db.models import Count, Q
from django.utils import timezone

from delegations.models import Delegation
from events.domain.conflicts import Commitment, Facts
from events.models import Conflict, Event, Session, Venue
from planning.domain.conflict_checks import gather
from protocol.models import BilateralMeeting, ProtocolTask

AXIS_START = dt.time(6, 0)
AXIS_HOURS = 18  # 06:00 to midnight
MIN_WIDTH = 0.6  # percent: a five-minute item stays visible and clickable
OPEN_STATES = (Conflict.Status.OPEN, Conflict.Status.ACKNOWLEDGED)

Link = Callable[[str], str]
"""Maps a key ("session:12", "room:3", "team:4", "person:40") to its admin page, or "" when there is none
the user may open. Views supply it; the domain never builds URLs."""


def no_link(key: str) -> str:
    return ""


# --- shared pieces ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    label: str
    left: float


@dataclass(frozen=True)
class Axis:
    """The 06:00–24:00 local window of one day, mapping instants to percentages of its width."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def for_day(cls, day: dt.date) -> Axis:
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(day, AXIS_START, tzinfo=tz)
        return cls(start=start, end=start + dt.timedelta(hours=AXIS_HOURS))

    @property
    def ticks(self) -> list[Tick]:
        return [Tick(label=f"{AXIS_START.hour + h:02d}", left=100 * h / AXIS_HOURS) for h in range(AXIS_HOURS + 1)]

    def place(self, start: dt.datetime, end: dt.datetime) -> tuple[float, float, bool]:
        """(left %, width %, clipped) for `[start, end)`; clipped when part of it lies off the axis."""
        total = (self.end - self.start).total_seconds()
        shown_start, shown_end = max(start, self.start), min(end, self.end)
        if shown_end <= shown_start:  # wholly before 06:00: a sliver at the left edge
            return 0.0, MIN_WIDTH, True
        left = 100 * (shown_start - self.start).total_seconds() / total
        width = max(100 * (shown_end - shown_start).total_seconds() / total, MIN_WIDTH)
        return min(left, 100 - width), width, (shown_start, shown_end) != (start, end)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """`[day 00:00, next day 00:00)` local: what "that day" means for intersecting commitments."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


@dataclass(frozen=True)
class OpenClash:
    """An open or acknowledged `Conflict`, as the timelines show it."""

    pk: int
    kind: str
    severity: str  # "error" | "warning"
    status: str
    resource: str
    resource_label: str
    first: str
    second: str
    message: str
    starts_at: dt.datetime | None
    url: str = ""

    @classmethod
    def of(cls, conflict: Conflict, link: Link = no_link) -> OpenClash:
        return cls(
            pk=conflict.pk,
            kind=conflict.get_kind_display(),
            severity=conflict.severity,
            status=conflict.status,
            resource=conflict.resource,
            resource_label=conflict.resource_label,
            first=conflict.first,
            second=conflict.second,
            message=conflict.message,
            starts_at=timezone.localtime(conflict.starts_at) if conflict.starts_at else None,
            url=link(f"conflict:{conflict.pk}"),
        )

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k in (self.first, self.second) if k)

    @property
    def acknowledged(self) -> bool:
        return self.status == Conflict.Status.ACKNOWLEDGED


def worst(clashes: Iterable[OpenClash]) -> str:
    """The severity a bar or row is drawn with: "error", "warning" or ""."""
    severities = {c.severity for c in clashes}
    if Conflict.Severity.ERROR in severities:
        return "error"
    return "warning" if severities else ""


def marker(severity: str) -> str:
    """The text that says what the red or amber outline says, for readers who cannot see colour."""
    return {"error": "⚠ clash", "warning": "⚠ warning"}.get(severity, "")


def open_clashes(*, keys: Iterable[str] = (), resource: str = "", link: Link = no_link) -> list[OpenClash]:
    """Open or acknowledged conflicts naming one of `keys` as first or second, or on `resource` (one query)."""
    wanted = sorted(set(keys))
    conditions = [Q(first__in=wanted), Q(second__in=wanted)] if wanted else []
    if resource:
        conditions.append(Q(resource=resource))
    if not conditions:
        return []
    condition = reduce(operator.or_, conditions)
    rows = Conflict.objects.filter(status__in=OPEN_STATES).filter(condition).order_by("severity", "starts_at", "pk")
    return [OpenClash.of(c, link) for c in rows]


def clashes_by_key(clashes: Iterable[OpenClash]) -> dict[str, list[OpenClash]]:
    by_key: dict[str, list[OpenClash]] = defaultdict(list)
    for clash in clashes:
        for key in clash.keys:
            by_key[key].append(clash)
    return by_key


def lanes(spans: Sequence[tuple[dt.datetime, dt.datetime]]) -> tuple[list[int], int]:
    """A lane per span so overlapping spans (a double booking) sit one under the other; and how many lanes."""
    ends: list[dt.datetime] = []  # the end of the last span in each lane
    assigned = [0] * len(spans)
    for index in sorted(range(len(spans)), key=lambda i: (spans[i][0], spans[i][1])):
        start, end = spans[index]
        lane = next((n for n, lane_end in enumerate(ends) if lane_end <= start), len(ends))
        if lane == len(ends):
            ends.append(end)
        else:
            ends[lane] = end
        assigned[index] = lane
    return assigned, max(len(ends), 1)


# --- the day timeline ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    key: str  # "session:12", "bilateral:3", "task:7"
    kind: str  # "session" | "bilateral" | "task"
    title: str
    detail: str
    start: dt.datetime  # local time
    end: dt.datetime
    left: float
    width: float
    clipped: bool
    lane: int
    url: str
    clashes: tuple[OpenClash, ...] = ()

    @property
    def severity(self) -> str:
        return worst(self.clashes)

    @property
    def marker(self) -> str:
        return marker(self.severity)

    @property
    def times(self) -> str:
        same_day = self.start.date() == self.end.date()
        end = f"{self.end:%H:%M}" if same_day else f"{self.end:%d %b %H:%M}"
        return f"{self.start:%H:%M}–{end}"

    @property
    def tooltip(self) -> str:
        lines = [self.title, f"{self.times} · {self.detail}" if self.detail else self.times]
        lines += [f"{marker(c.severity)}: {c.message}" for c in self.clashes]
        return "\n".join(lines)


@dataclass(frozen=True)
class Row:
    label: str
    url: str
    bars: tuple[Bar, ...]
    lanes: int
    title: str = ""

    @property
    def severity(self) -> str:
        return worst(c for bar in self.bars for c in bar.clashes)


@dataclass(frozen=True)
class RowGroup:
    """A venue's rooms; or, with no name, the team rows."""

    name: str
    full_name: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    label: str  # the heading of the label column
    groups: tuple[RowGroup, ...]


@dataclass(frozen=True)
class EventChoice:
    acronym: str
    name: str
    kind: str
    start_date: dt.date
    end_date: dt.date


@dataclass(frozen=True)
class DayTimeline:
    day: dt.date
    event: str  # the acronym filtered on, or ""
    ticks: list[Tick]
    venues: tuple[RowGroup, ...]
    teams: tuple[Row, ...]
    clashes: tuple[OpenClash, ...]
    n_sessions: int
    n_bilaterals: int
    n_tasks: int

    @property
    def previous_day(self) -> dt.date:
        return self.day - dt.timedelta(days=1)

    @property
    def next_day(self) -> dt.date:
        return self.day + dt.timedelta(days=1)

    @property
    def n_errors(self) -> int:
        return sum(1 for c in self.clashes if c.severity == Conflict.Severity.ERROR)

    @property
    def n_warnings(self) -> int:
        return sum(1 for c in self.clashes if c.severity == Conflict.Severity.WARNING)

    @property
    def is_empty(self) -> bool:
        return not (self.venues or self.teams)

    @property
    def sections(self) -> list[Section]:
        """Rooms by venue, then teams: drawn by one loop in the template."""
        sections = []
        if self.venues:
            sections.append(Section("rooms", "Rooms", "Room", self.venues))
        if self.teams:
            teams = (RowGroup(name="", full_name="", rows=self.teams),)
            sections.append(Section("teams", "Protocol tasks by team", "Team", teams))
        return sections


def timeline_events() -> list[EventChoice]:
    """Every event, the summit first (one query): the filter choices and the default day."""
    rows = Event.objects.order_by("-kind", "start_date", "acronym").values_list(
        "acronym", "name", "kind", "start_date", "end_date"
    )
    # "summit" sorts after "side_event", so descending puts the summit first.
    return [EventChoice(*row) for row in rows]


def default_day(events: Sequence[EventChoice], today: dt.date) -> dt.date:
    """The summit's first day, or today when there is no summit."""
    summit = next((e for e in events if e.kind == Event.Kind.SUMMIT), None)
    return summit.start_date if summit else today


@dataclass(frozen=True)
class _Item:
    key: str
    kind: str
    title: str
    detail: str
    start: dt.datetime
    end: dt.datetime


def _bars(items: list[_Item], axis: Axis, link: Link, by_key: dict[str, list[OpenClash]]) -> tuple[list[Bar], int]:
    assigned, n_lanes = lanes([(i.start, i.end) for i in items])
    bars = []
    for item, lane in zip(items, assigned, strict=True):
        left, width, clipped = axis.place(item.start, item.end)
        bars.append(
            Bar(
                key=item.key,
                kind=item.kind,
                title=item.title,
                detail=item.detail,
                start=timezone.localtime(item.start),
                end=timezone.localtime(item.end),
                left=left,
                width=width,
                clipped=clipped,
                lane=lane,
                url=link(item.key),
                clashes=tuple(by_key.get(item.key, ())),
            )
        )
    bars.sort(key=lambda b: (b.start, b.lane))
    return bars, n_lanes


def day_timeline(*, day: dt.date, event: str = "", link: Link = no_link) -> DayTimeline:
    """Rooms (by venue) and teams with what they hold on `day`, and the open clashes among it: 4 queries."""
    day_start, day_end = day_bounds(day)
    axis = Axis.for_day(day)
    on_day = Q(start__lt=day_end, end__gt=day_start)
    of_event = Q(event__acronym=event) if event else Q()

    sessions = (
        Session.objects.exclude(status=Session.Status.CANCELLED)
        .filter(on_day, of_event)
        .select_related("room__venue", "event")
        .order_by("start", "pk")
    )
    bilaterals = (
        BilateralMeeting.objects.filter(on_day, of_event, status__in=BilateralMeeting.PLACED, room__isnull=False)
        .select_related("room__venue", "event", "requester__partner", "counterpart__partner")
        .order_by("start", "pk")
    )
    tasks = (
        ProtocolTask.objects.exclude(status=ProtocolTask.Status.CANCELLED)
        .filter(on_day, of_event)
        .select_related("team", "venue", "destination", "event")
        .order_by("start", "pk")
    )

    rooms: dict[int, list[_Item]] = defaultdict(list)
    room_of = {}
    for session in sessions:
        room_of[session.room_id] = session.room
        detail = f"{session.event.acronym} · {session.get_kind_display()}"
        rooms[session.room_id].append(
            _Item(f"session:{session.pk}", "session", session.title, detail, session.start, session.end)
        )
    n_sessions = sum(len(items) for items in rooms.values())
    n_bilaterals = 0
    for meeting in bilaterals:
        n_bilaterals += 1
        room_of[meeting.room_id] = meeting.room
        # The same label as the conflict engine's, so the page and the clash messages name it alike.
        title = f"Bilateral {meeting.requester.partner.name} – {meeting.counterpart.partner.name}"
        detail = " · ".join(filter(None, [meeting.event.acronym, meeting.subject]))
        rooms[meeting.room_id].append(
            _Item(f"bilateral:{meeting.pk}", "bilateral", title, detail, meeting.start, meeting.end)
        )

    teams: dict[int | None, list[_Item]] = defaultdict(list)
    team_of = {}
    for task in tasks:
        team_of[task.team_id] = task.team
        route = f"{task.venue} → {task.destination}" if task.destination_id else str(task.venue)
        detail = " · ".join(filter(None, [task.event.acronym, route, task.vehicle]))
        teams[task.team_id].append(_Item(f"task:{task.pk}", "task", task.title, detail, task.start, task.end))
    n_tasks = sum(len(items) for items in teams.values())

    keys = [item.key for items in (*rooms.values(), *teams.values()) for item in items]
    clashes = open_clashes(keys=keys, link=link)
    by_key = clashes_by_key(clashes)

    venues: dict[int, list[Row]] = defaultdict(list)
    venue_of = {}
    for room_id in sorted(rooms, key=lambda r: (room_of[r].venue.name, room_of[r].name)):
        room = room_of[room_id]
        venue_of[room.venue_id] = room.venue
        bars, n_lanes = _bars(rooms[room_id], axis, link, by_key)
        title = f"{room.get_kind_display()}, {room.capacity} seats"
        venues[room.venue_id].append(
            Row(label=room.name, url=link(f"room:{room_id}"), bars=tuple(bars), lanes=n_lanes, title=title)
        )
    venue_groups = tuple(
        RowGroup(name=str(venue_of[v]), full_name=venue_of[v].name, rows=tuple(venues[v]))
        for v in sorted(venues, key=lambda v: venue_of[v].name)
    )

    team_rows = []
    for team_id in sorted(teams, key=lambda t: (t is None, team_of[t].name if t is not None else "")):
        bars, n_lanes = _bars(teams[team_id], axis, link, by_key)
        team = team_of[team_id]
        team_rows.append(
            Row(
                label=team.name if team else "No team",
                url=link(f"team:{team_id}") if team else "",
                bars=tuple(bars),
                lanes=n_lanes,
                title=team.get_kind_display() if team else "Tasks not yet given to a team",
            )
        )

    return DayTimeline(
        day=day,
        event=event,
        ticks=axis.ticks,
        venues=venue_groups,
        teams=tuple(team_rows),
        clashes=tuple(clashes),
        n_sessions=n_sessions,
        n_bilaterals=n_bilaterals,
        n_tasks=n_tasks,
    )


# --- one leader's day ------------------------------------------------------------------------------------


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
    heads = [(d.head, d.partner.name) for d in delegations]
    counts: dict[tuple[str, str], int] = {}
    if with_clashes and heads:
        rows = (
            Conflict.objects.filter(status__in=OPEN_STATES, resource__in=[f"person:{p.pk}" for p, _ in heads])
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
        return {"error": "⚠ too short", "warning": "⚠ tight"}.get(self.severity, "")

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
            return {"error": "⚠ too short", "warning": "⚠ tight"}.get(self.severity, "")
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
    for entry, lane in zip([e for e in entries if isinstance(e, CommitmentEntry)], assigned, strict=True):
        left, width, _clipped = axis.place(entry.start, entry.end)
        tooltip = "\n".join([entry.title, f"{entry.start:%H:%M}–{entry.end:%H:%M} · {entry.room or entry.venue}"])
        kind = entry.key.partition(":")[0]
        bars.append(Segment(entry.title, left, width, lane, entry.severity, entry.url, kind, tooltip))
    transfers = []
    for entry in entries:
        if isinstance(entry, TransferEntry) and entry.needed_minutes is not None:
            left, width, _clipped = axis.place(entry.start, entry.start + dt.timedelta(minutes=entry.needed_minutes))
            tooltip = (
                f"{entry.origin} → {entry.destination}: {entry.transfer_minutes} min + {entry.buffer_minutes} min "
                f"buffer needed, {entry.gap_minutes} min available"
            )
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
