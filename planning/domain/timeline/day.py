"""A day's timeline: rooms as rows with sessions and bilaterals as bars, and the protocol tasks per team."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.i18n import local_date, local_digits
from events.models import Conflict, Event, Session
from planning.domain.timeline.axis import (
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
from protocol.models import BilateralMeeting, ProtocolTask, Team


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
        end = local_date(self.end, "H:i") if same_day else local_date(self.end, "d M H:i")
        return f"{local_date(self.start, 'H:i')}–{end}"

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
            sections.append(Section("rooms", _("Rooms"), _("Room"), self.venues))
        if self.teams:
            teams = (RowGroup(name="", full_name="", rows=self.teams),)
            sections.append(Section("teams", _("Protocol tasks by team"), _("Team"), teams))
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
        if meeting.room is None or meeting.start is None or meeting.end is None:
            continue  # the query asks for placed meetings with a room: a placed meeting has a time
        n_bilaterals += 1
        room_of[meeting.room.pk] = meeting.room
        # The same label as the conflict engine's, so the page and the clash messages name it alike.
        title = f"Bilateral {meeting.requester.partner.name} – {meeting.counterpart.partner.name}"
        detail = " · ".join(filter(None, [meeting.event.acronym, meeting.subject]))
        rooms[meeting.room.pk].append(
            _Item(f"bilateral:{meeting.pk}", "bilateral", title, detail, meeting.start, meeting.end)
        )

    teams: dict[int | None, list[_Item]] = defaultdict(list)
    team_of: dict[int | None, Team | None] = {}
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
        title = _("%(kind)s, %(capacity)s seats") % {
            "kind": room.get_kind_display(),
            "capacity": local_digits(room.capacity),
        }
        venues[room.venue_id].append(
            Row(label=room.name, url=link(f"room:{room_id}"), bars=tuple(bars), lanes=n_lanes, title=title)
        )
    venue_groups = tuple(
        RowGroup(name=str(venue_of[v]), full_name=venue_of[v].name, rows=tuple(venues[v]))
        for v in sorted(venues, key=lambda v: venue_of[v].name)
    )

    team_rows = []
    for team_id in sorted(teams, key=lambda t: (t is None, _name(team_of[t]))):
        bars, n_lanes = _bars(teams[team_id], axis, link, by_key)
        team = team_of[team_id]
        team_rows.append(
            Row(
                label=team.name if team else _("No team"),
                url=link(f"team:{team_id}") if team else "",
                bars=tuple(bars),
                lanes=n_lanes,
                title=team.get_kind_display() if team else _("Tasks not yet given to a team"),
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


def _name(team: Team | None) -> str:
    return team.name if team is not None else ""
