"""The live operations board: the summit day as it is, for the staff on duty (admin:ops).

`ops_board(day, user)` reads, for one Phnom Penh day and one moment of it (`at`, default now):

- the day's arrivals and departures (in parties, as delegations.domain.flights.flights_on_day groups them) with
  their status and the teams on them: the reception and motorcade of an arrival, the motorcade and farewell of a
  departure;
- each head of delegation of the summit: where they are at `at` and what comes next, from the programme (their
  sessions by audience, their bilaterals, the protocol tasks serving them, as planning/domain/programme.py);
- open disruptions and open clashes of severity error;
- rooms out of service that day (and which are out now);
- the next two hours per venue: sessions and bilaterals running or starting in `[at, at + 2 h)`.

Each section is read only for a user whose role may view it (SECTION_PERMISSIONS, from asemplanner/roles.py);
a section the user may not see is None and costs no query. The number of queries is fixed whatever the number
of people, rooms, flights or sessions: every section is one or two queries over the day, shaped in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.i18n import local_date
from asemplanner.timeranges import local_day_bounds
from delegations.domain.flights import LEGS, STATUSES, flight_key
from delegations.models import Accreditation, Delegation, Person, Travel
from events.models import Conflict, Event, RoomOutage, Session
from planning.domain.programme import DELEGATION_TASK_KINDS
from planning.models import Disruption
from protocol.models import BilateralMeeting, ProtocolTask

WINDOW = dt.timedelta(hours=2)
OPEN_CONFLICT_STATES = (Conflict.Status.OPEN, Conflict.Status.ACKNOWLEDGED)
MAX_CONFLICTS = 50  # the board is a summary: the conflicts page has them all

# Section → the permissions that show it, from asemplanner/roles.py: whoever may view the records a section is
# made of. Admin, protocol and security see every section (security: arrivals, where the heads are, the
# disruptions and errors it is told about, rooms); logistics all but the disruptions (it has no view of them);
# accreditation views none of travel, sessions, rooms or conflicts, so it sees no section (the page says so).
SECTION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "flights": ("delegations.view_travel", "protocol.view_protocoltask"),
    "heads": ("events.view_session", "delegations.view_person"),
    "disruptions": ("planning.view_disruption",),
    "conflicts": ("events.view_conflict",),
    "outages": ("events.view_roomoutage",),
    "venues": ("events.view_session",),
}
SECTIONS = tuple(SECTION_PERMISSIONS)

# Which generated travel task belongs to which leg (protocol/domain/task_generation.py's source keys).
LEG_TASKS = {
    "arrival": ("reception", "motorcade-arrival"),
    "departure": ("motorcade-departure", "farewell"),
}
TEAM_TASK_KINDS = (
    ProtocolTask.Kind.AIRPORT_RECEPTION,
    ProtocolTask.Kind.AIRPORT_FAREWELL,
    ProtocolTask.Kind.MOTORCADE,
)


def sections_for(user) -> tuple[str, ...]:
    """The sections of the board this user's role may see, in board order."""
    return tuple(name for name, perms in SECTION_PERMISSIONS.items() if all(user.has_perm(p) for p in perms))


# --- What the board shows -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamTask:
    """A reception, motorcade or farewell on a flight: its team (or assignee) and its time."""

    kind: str
    title: str
    team: str  # the team's name, the assignee's username, or "" (unassigned)
    start: dt.datetime
    end: dt.datetime
    status: str
    motorcade: bool = False  # the board shows a motorcade's length

    @property
    def minutes(self) -> int:
        return round((self.end - self.start).total_seconds() / 60)


@dataclass(frozen=True)
class FlightRow:
    leg: str  # arrival | departure
    flight: str
    partner: str
    travellers: tuple[str, ...]
    at: dt.datetime | None
    status: str  # scheduled | delayed | landed | at_hotel | departed
    status_label: str
    was: dt.datetime | None  # for a principal's moved flight: the time before the change (its open disruption)
    tasks: tuple[TeamTask, ...]
    mixed: bool


@dataclass(frozen=True)
class Place:
    """One commitment of a head of delegation, as the board says it."""

    key: str  # session:12, bilateral:3, task:7
    title: str
    where: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class HeadRow:
    person_id: int
    name: str
    partner: str
    now: Place | None
    next: Place | None
    state: str  # what the head is doing when no commitment holds them: "Not yet arrived", "Departed", …


@dataclass(frozen=True)
class DisruptionRow:
    pk: int
    kind: str
    person: str
    partner: str
    summary: str
    opened_at: dt.datetime


@dataclass(frozen=True)
class ConflictRow:
    pk: int
    kind: str
    resource: str
    message: str
    starts_at: dt.datetime | None
    acknowledged: bool


@dataclass(frozen=True)
class OutageRow:
    pk: int
    room: str
    venue: str
    start: dt.datetime
    end: dt.datetime
    reason: str
    now: bool


@dataclass(frozen=True)
class VenueSlot:
    key: str
    title: str
    room: str
    start: dt.datetime
    end: dt.datetime
    running: bool  # already under way at `at`


@dataclass(frozen=True)
class VenueRow:
    venue: str
    items: tuple[VenueSlot, ...]


@dataclass
class OpsBoard:
    day: dt.date
    at: dt.datetime
    first_day: dt.date | None
    last_day: dt.date | None
    sections: tuple[str, ...]
    flights: list[FlightRow] | None = None
    heads: list[HeadRow] | None = None
    disruptions: list[DisruptionRow] | None = None
    conflicts: list[ConflictRow] | None = None
    conflicts_total: int = 0
    outages: list[OutageRow] | None = None
    venues: list[VenueRow] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def arrivals(self) -> list[FlightRow]:
        return [row for row in self.flights or [] if row.leg == "arrival"]

    @property
    def departures(self) -> list[FlightRow]:
        return [row for row in self.flights or [] if row.leg == "departure"]

    @property
    def window_end(self) -> dt.datetime:
        return self.at + WINDOW


# --- The day ------------------------------------------------------------------------------------------------
def summit_days() -> tuple[Event | None, dt.date | None, dt.date | None]:
    """The summit and the days the board covers: its first and last day (with its side events), widened by a
    day on each side for the delegations' arrivals and departures. Two queries."""
    summit = Event.objects.filter(kind=Event.Kind.SUMMIT).order_by("start_date", "pk").first()
    if summit is None:
        return None, None, None
    first, last = summit.days_with_side_events()
    return summit, first - dt.timedelta(days=1), last + dt.timedelta(days=1)


def day_clamp(day: dt.date, first: dt.date | None, last: dt.date | None) -> tuple[dt.date, str]:
    """The day within the summit's days, and the message saying why it moved ("" when it did not)."""
    if first is None or last is None or first <= day <= last:
        return day, ""
    shown = first if day < first else last
    return shown, day_clamp_note(day, first, last)


def day_clamp_note(day: dt.date, first: dt.date, last: dt.date, *, run_of_show: bool = False) -> str:
    """Why a day outside the summit's days is not shown (the board), or has no run-of-show (the PDF)."""
    shown = first if day < first else last
    dates = {
        "day": local_date(day, "d M Y"),
        "first": local_date(first, "d M"),
        "last": local_date(last, "d M Y"),
        "shown": local_date(shown, "d M Y"),
    }
    if run_of_show:
        return (
            _(
                "%(day)s is outside the summit's days (%(first)s – %(last)s, arrivals and departures included); "
                "there is no run-of-show for it; the nearest day is %(shown)s."
            )
            % dates
        )
    return (
        _(
            "%(day)s is outside the summit's days (%(first)s – %(last)s, arrivals and departures included); "
            "showing %(shown)s."
        )
        % dates
    )


def _bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def ops_board(day: dt.date | None, user, *, at: dt.datetime | None = None) -> OpsBoard:
    """The board for `day` (default today in Phnom Penh, clamped to the summit's days) at the moment `at`
    (default now when `day` is today, else the start of `day`), with the sections `user` may see."""
    summit, first, last = summit_days()
    today = timezone.localdate()
    notes: list[str] = []
    day, note = day_clamp(day or today, first, last)
    if note:
        notes.append(note)
    day_start, day_end = _bounds(day)
    if at is None:
        now = timezone.now()
        at = now if day_start <= now < day_end else day_start
    at = timezone.localtime(at)
    board = OpsBoard(day=day, at=at, first_day=first, last_day=last, sections=sections_for(user), notes=notes)
    wanted = set(board.sections)
    if not wanted:
        return board
    window_end = max(day_end, at + WINDOW)
    sessions = _sessions(day_start, window_end) if wanted & {"heads", "venues"} else []
    bilaterals = _bilaterals(day_start, window_end) if wanted & {"heads", "venues"} else []
    disruptions = _open_disruptions() if wanted & {"disruptions", "flights"} else []
    if "flights" in wanted:
        board.flights = _flights(day, disruptions)
    if "heads" in wanted:
        board.heads = _heads(summit, at, day_start, day_end, sessions, bilaterals)
    if "disruptions" in wanted:
        board.disruptions = [
            DisruptionRow(
                pk=d.pk,
                kind=d.get_kind_display(),
                person=str(d.person),
                partner=d.person.delegation.partner.name,
                summary=d.summary,
                opened_at=timezone.localtime(d.opened_at),
            )
            for d in disruptions
        ]
    if "conflicts" in wanted:
        board.conflicts, board.conflicts_total = _conflicts()
    if "outages" in wanted:
        board.outages = _outages(day_start, day_end, at)
    if "venues" in wanted:
        board.venues = _venues(at, sessions, bilaterals)
    return board


# --- Sections -----------------------------------------------------------------------------------------------
def _open_disruptions() -> list[Disruption]:
    return list(
        Disruption.objects.filter(status=Disruption.Status.OPEN)
        .select_related("person__delegation__partner")
        .order_by("-opened_at", "-pk")
    )


@dataclass(frozen=True)
class _Traveller:
    person_id: int
    name: str
    at: dt.datetime
    status: str
    airport_id: int | None


@dataclass
class _Party:
    """The members of one delegation on one flight on the day: flights_on_day's parties, read as plain rows."""

    leg: str
    flight: str
    partner: str
    travellers: list[_Traveller]

    @property
    def first(self) -> _Traveller:
        return self.travellers[0]


def flight_parties(day: dt.date) -> list[_Party]:
    """The day's arrivals and departures grouped as `delegations.domain.flights.flights_on_day` groups them (leg,
    delegation, flight number as compared; a traveller without a number alone) and in its order, in one query of
    plain rows: at summit size thousands of travellers land on one day, and model instances of each traveller,
    person, delegation and partner cost the board most of its time (tests/planning/test_ops_board.py checks the
    two agree)."""
    start, end = local_day_bounds(day, day)
    rows = (
        Travel.objects.filter(
            Q(arrival_at__gte=start, arrival_at__lt=end) | Q(departure_at__gte=start, departure_at__lt=end)
        )
        .order_by("pk")
        .values_list(
            "pk", "person_id", "person__honorific", "person__given_name", "person__family_name",
            "person__delegation_id", "person__delegation__partner__name", "arrival_flight", "arrival_at",
            "arrival_status", "arrival_airport_id", "departure_flight", "departure_at", "departure_status",
            "departure_airport_id",
        )
    )  # fmt: skip
    parties: dict[tuple[str, int, str], _Party] = {}
    for row in rows:
        pk, person, honorific, given, family, delegation, partner = row[:7]
        name = " ".join(part for part in (honorific, given, family) if part)
        legs: tuple[tuple[str, dt.datetime | None, str, int | None], ...] = (row[7:11], row[11:15])
        for leg, (number, time, status, airport) in zip(LEGS, legs, strict=True):
            if time is None or not (start <= time < end):
                continue
            key = (leg, delegation, flight_key(number) or f"#{pk}")
            traveller = _Traveller(person, name, time, status, airport)
            if key in parties:
                parties[key].travellers.append(traveller)
            else:
                parties[key] = _Party(leg=leg, flight=number, partner=partner, travellers=[traveller])
    return sorted(parties.values(), key=lambda p: (p.first.at, p.partner, p.flight))


@dataclass(frozen=True)
class _Task:
    person_id: int
    kind: str
    title: str
    team: str
    start: dt.datetime
    end: dt.datetime
    status: str
    source_key: str
    venue_id: int
    destination_id: int | None


def _flights(day: dt.date, disruptions: list[Disruption]) -> list[FlightRow]:
    """Two queries: the day's flights, and the reception, motorcade and farewell tasks of their travellers."""
    parties = flight_parties(day)
    people = {traveller.person_id for party in parties for traveller in party.travellers}
    tasks_by_person: dict[int, list[_Task]] = defaultdict(list)
    if people:
        rows = (
            ProtocolTask.objects.filter(person_id__in=people, kind__in=TEAM_TASK_KINDS)
            .exclude(status=ProtocolTask.Status.CANCELLED)
            .order_by("start", "pk")
            .values_list(
                "person_id",
                "kind",
                "title",
                "team__name",
                "assignee__username",
                "start",
                "end",
                "status",
                "source_key",
                "venue_id",
                "destination_id",
            )  # fmt: skip
        )
        for person, kind, title, team, assignee, start, end, status, key, venue, destination in rows:
            if person is not None:
                tasks_by_person[person].append(
                    _Task(
                        person, kind, title, team or assignee or "", start, end, status, key or "", venue, destination
                    )
                )
    moved = {d.person_id: d for d in disruptions}
    return [_flight_row(party, tasks_by_person, moved) for party in parties]


def _leg_of(task: _Task, party: _Party) -> str | None:
    """Which leg a travel task serves: by its generated key, else by kind and the airport it starts from."""
    if task.source_key.startswith("travel:"):
        suffix = task.source_key.rsplit(":", 1)[-1]
        return next((leg for leg, suffixes in LEG_TASKS.items() if suffix in suffixes), None)
    if task.kind == ProtocolTask.Kind.AIRPORT_RECEPTION:
        return "arrival"
    if task.kind == ProtocolTask.Kind.AIRPORT_FAREWELL:
        return "departure"
    airport = party.first.airport_id
    if airport is None:
        return None
    if party.leg == "arrival" and task.venue_id == airport:
        return "arrival"
    if party.leg == "departure" and task.destination_id == airport:
        return "departure"
    return None


def _flight_row(party: _Party, tasks_by_person: dict[int, list[_Task]], moved: dict[int, Disruption]) -> FlightRow:
    tasks: list[TeamTask] = []
    was = None
    for traveller in party.travellers:
        for task in tasks_by_person.get(traveller.person_id, []):
            if _leg_of(task, party) != party.leg:
                continue
            tasks.append(
                TeamTask(
                    kind=str(ProtocolTask.Kind(task.kind).label),
                    title=task.title,
                    team=task.team,
                    start=timezone.localtime(task.start),
                    end=timezone.localtime(task.end),
                    status=str(ProtocolTask.Status(task.status).label),
                    motorcade=task.kind == ProtocolTask.Kind.MOTORCADE,
                )
            )
        disruption = moved.get(traveller.person_id)
        if disruption is not None and was is None:
            before = disruption.arrival_was if party.leg == "arrival" else disruption.departure_was
            now = disruption.arrival_now if party.leg == "arrival" else disruption.departure_now
            if before is not None and before != now:
                was = timezone.localtime(before)
    first = party.first
    return FlightRow(
        leg=party.leg,
        flight=party.flight,
        partner=party.partner,
        travellers=tuple(t.name for t in party.travellers),
        at=timezone.localtime(first.at),
        status=first.status,
        status_label=STATUSES[party.leg].get(first.status, first.status),
        was=was,
        tasks=tuple(sorted(tasks, key=lambda t: (t.start, t.kind))),
        mixed=len({(t.at, t.status) for t in party.travellers}) > 1,
    )


@dataclass(frozen=True)
class _SessionRow:
    pk: int
    title: str
    event_id: int
    room: str
    venue_id: int
    venue: str
    start: dt.datetime
    end: dt.datetime
    audience: str
    category: str


def _venue_label(short: str, name: str) -> str:
    return short or name


def _sessions(start: dt.datetime, end: dt.datetime) -> list[_SessionRow]:
    rows = (
        Session.objects.filter(start__lt=end, end__gt=start)
        .exclude(status=Session.Status.CANCELLED)
        .order_by("start", "pk")
        .values_list(
            "id", "title", "event_id", "room__name", "room__venue_id", "room__venue__short_name",
            "room__venue__name", "start", "end", "audience", "audience_category",
        )
    )  # fmt: skip
    return [
        _SessionRow(pk, title, event, room, venue, _venue_label(short, name), s, e, audience, category)
        for pk, title, event, room, venue, short, name, s, e, audience, category in rows
    ]


@dataclass(frozen=True)
class _BilateralRow:
    pk: int
    title: str
    requester: int
    counterpart: int
    room: str
    venue_id: int | None
    venue: str
    start: dt.datetime
    end: dt.datetime


def _bilaterals(start: dt.datetime, end: dt.datetime) -> list[_BilateralRow]:
    rows = (
        BilateralMeeting.objects.filter(status__in=BilateralMeeting.PLACED, start__lt=end, end__gt=start)
        .order_by("start", "pk")
        .values_list(
            "id", "requester_id", "counterpart_id", "requester__partner__name", "counterpart__partner__name",
            "room__name", "room__venue_id", "room__venue__short_name", "room__venue__name", "start", "end",
        )
    )  # fmt: skip
    result = []
    for pk, req, cp, a, b, room, venue, short, name, s, e in rows:
        if s is None or e is None:
            continue  # a placed meeting has its time (the model's rule)
        label = _venue_label(short or "", name or "")
        title = _("Bilateral %(requester)s – %(counterpart)s") % {"requester": a, "counterpart": b}
        result.append(_BilateralRow(pk, title, req, cp, room or "", venue, label, s, e))
    return result


def _heads(
    summit: Event | None,
    at: dt.datetime,
    day_start: dt.datetime,
    day_end: dt.datetime,
    sessions: list[_SessionRow],
    bilaterals: list[_BilateralRow],
) -> list[HeadRow]:
    """Each head of the summit's delegations, now and next. Four queries: the heads with their travel, the
    events they are accredited to, the named attendees among them, and the tasks serving them that day."""
    if summit is None:
        return []
    delegations = list(
        Delegation.objects.filter(event=summit, head__isnull=False)
        .select_related("head__travel", "partner")
        .order_by("partner__name")
    )
    heads = {d.head.pk: d for d in delegations if d.head is not None}  # head → their summit delegation
    heads_by_pk = {d.head.pk: d.head for d in delegations if d.head is not None}
    if not heads:
        return []
    # The events each head belongs to, with their category there (as people_index: the delegation's event with
    # the person's own category, and every event they are accredited to).
    member_of: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for delegation in delegations:
        head = delegation.head
        if head is not None:
            member_of[head.pk].add((delegation.event_id, head.category))
    accredited = Accreditation.objects.filter(person_id__in=heads).exclude(status=Accreditation.Status.REVOKED)
    for person, event, category in accredited.values_list("person_id", "event_id", "category"):
        member_of[person].add((event, category))
    named: dict[int, set[int]] = defaultdict(set)
    if sessions:
        through = Session.attendees.through.objects.filter(session_id__in=[s.pk for s in sessions], person_id__in=heads)
        for session_id, person_id in through.values_list("session_id", "person_id"):
            named[session_id].add(person_id)
    head_of = {d.pk: d.head_id for d in delegations}  # a bilateral occupies the head of each side
    audiences = _audiences(heads, member_of)
    places: dict[int, list[Place]] = defaultdict(list)
    for s in sessions:
        place = Place(f"session:{s.pk}", s.title, _where(s.venue, s.room), s.start, s.end)  # shared by its heads
        for person in _attendees(s, audiences, named.get(s.pk, set())):
            places[person].append(place)
    for b in bilaterals:
        for delegation_id in (b.requester, b.counterpart):
            principal = head_of.get(delegation_id)
            if principal is not None:
                places[principal].append(Place(f"bilateral:{b.pk}", b.title, _where(b.venue, b.room), b.start, b.end))
    tasks = (
        ProtocolTask.objects.filter(person_id__in=heads, kind__in=DELEGATION_TASK_KINDS, start__lt=day_end)
        .filter(end__gt=day_start)
        .exclude(status=ProtocolTask.Status.CANCELLED)
        .values_list(
            "id",
            "title",
            "person_id",
            "venue__short_name",
            "venue__name",
            "destination__short_name",
            "destination__name",
            "start",
            "end",
        )  # fmt: skip
    )
    for pk, title, person, v_short, v_name, d_short, d_name, start, end in tasks:
        where = _venue_label(v_short, v_name)
        if d_name:
            where = f"{where} → {_venue_label(d_short or '', d_name)}"
        places[person].append(Place(f"task:{pk}", title, where, start, end))
    rows = []
    for person, delegation in heads.items():
        mine = sorted(places[person], key=lambda p: (p.start, p.end, p.key))
        rows.append(_head_row(heads_by_pk[person], delegation, mine, at, day_end))
    return rows


@dataclass(frozen=True)
class _Audiences:
    """The heads by what a session's audience asks for: heads of an event's delegations, everyone at an event,
    a category at an event."""

    heads_of_event: dict[int, set[int]]
    at_event: dict[int, set[int]]
    category_at_event: dict[tuple[int, str], set[int]]


def _audiences(heads: dict[int, Delegation], member_of: dict[int, set[tuple[int, str]]]) -> _Audiences:
    heads_of_event: dict[int, set[int]] = defaultdict(set)
    at_event: dict[int, set[int]] = defaultdict(set)
    category_at_event: dict[tuple[int, str], set[int]] = defaultdict(set)
    for person, delegation in heads.items():
        heads_of_event[delegation.event_id].add(person)
        for event, category in member_of[person]:
            at_event[event].add(person)
            category_at_event[(event, category)].add(person)
    return _Audiences(heads_of_event, at_event, category_at_event)


def _attendees(session: _SessionRow, audiences: _Audiences, named: set[int]) -> set[int]:
    """The heads who attend a session, by its audience as the conflict engine expands it
    (planning/domain/commitments.py): named people, the heads of the event's delegations, everyone at the event,
    or a category at the event."""
    if session.audience == Session.Audience.HEADS:
        return named | audiences.heads_of_event.get(session.event_id, set())
    if session.audience == Session.Audience.ALL_DELEGATES:
        return named | audiences.at_event.get(session.event_id, set())
    if session.audience == Session.Audience.CATEGORY:
        return named | audiences.category_at_event.get((session.event_id, session.category), set())
    return named


def _where(venue: str, room: str) -> str:
    return " · ".join(part for part in (venue, room) if part)


def _head_row(
    head: Person, delegation: Delegation, places: list[Place], at: dt.datetime, day_end: dt.datetime
) -> HeadRow:
    travel = getattr(head, "travel", None)
    arrival = travel.arrival_at if travel else None
    departure = travel.departure_at if travel else None
    # Before landing and after take-off the head is in no session, whatever the programme's audience says.
    in_town = (arrival is None or arrival <= at) and (departure is None or at < departure)
    current = next((p for p in places if p.start <= at < p.end), None) if in_town else None
    # Next: what comes after now, the reception that meets the plane included (it starts before the landing).
    following = next((p for p in places if p.start >= at and p.start < day_end and p != current), None)
    state = ""
    if current is None:
        if arrival is not None and at < arrival:
            lands = local_date(timezone.localtime(arrival), "d M H:i")
            if travel is not None and travel.arrival_status == "delayed":
                state = _("Not yet arrived (delayed, lands %(when)s)") % {"when": lands}
            else:
                state = _("Not yet arrived (lands %(when)s)") % {"when": lands}
        elif departure is not None and at >= departure:
            state = _("Departed")
        elif travel is not None and travel.arrival_status == "at_hotel":
            state = _("At the hotel (%(hotel)s)") % {"hotel": travel.hotel} if travel.hotel_id else _("At the hotel")
        else:
            previous = [p for p in places if p.end <= at]
            last_place = previous[-1].where or previous[-1].title if previous else ""
            state = _("Free (last: %(where)s)") % {"where": last_place} if previous else _("Free")
    return HeadRow(
        person_id=head.pk,
        name=str(head),
        partner=delegation.partner.name,
        now=_local(current),
        next=_local(following),
        state=state,
    )


def _local(place: Place | None) -> Place | None:
    if place is None:
        return None
    return Place(place.key, place.title, place.where, timezone.localtime(place.start), timezone.localtime(place.end))


def _conflicts() -> tuple[list[ConflictRow], int]:
    """The open errors, soonest first: at most MAX_CONFLICTS rows, and how many there are (two queries)."""
    rows = Conflict.objects.filter(severity=Conflict.Severity.ERROR, status__in=OPEN_CONFLICT_STATES)
    total = rows.count()
    shown = [
        ConflictRow(
            pk=c.pk,
            kind=c.get_kind_display(),
            resource=c.resource_label,
            message=c.message,
            starts_at=timezone.localtime(c.starts_at) if c.starts_at else None,
            acknowledged=c.status == Conflict.Status.ACKNOWLEDGED,
        )
        for c in rows.order_by("starts_at", "pk")[:MAX_CONFLICTS]
    ]
    return shown, total


def _outages(day_start: dt.datetime, day_end: dt.datetime, at: dt.datetime) -> list[OutageRow]:
    rows = (
        RoomOutage.objects.filter(lifted_at__isnull=True, start__lt=day_end, end__gt=day_start)
        .select_related("room__venue")
        .order_by("start", "pk")
    )
    return [
        OutageRow(
            pk=o.pk,
            room=o.room.name,
            venue=o.room.venue.short_name or o.room.venue.name,
            start=timezone.localtime(o.start),
            end=timezone.localtime(o.end),
            reason=o.reason,
            now=o.start <= at < o.end,
        )
        for o in rows
    ]


def _venues(at: dt.datetime, sessions: Iterable[_SessionRow], bilaterals: Iterable[_BilateralRow]) -> list[VenueRow]:
    """Sessions and bilaterals running at `at` or starting before `at + 2 h`, by venue (venues by name)."""
    until = at + WINDOW
    by_venue: dict[str, list[VenueSlot]] = defaultdict(list)
    for s in sessions:
        if s.start < until and s.end > at:
            by_venue[s.venue].append(VenueSlot(f"session:{s.pk}", s.title, s.room, s.start, s.end, s.start <= at))
    for b in bilaterals:
        if b.start < until and b.end > at:
            by_venue[b.venue or _("No venue")].append(
                VenueSlot(f"bilateral:{b.pk}", b.title, b.room, b.start, b.end, b.start <= at)
            )
    return [
        VenueRow(
            venue=venue,
            items=tuple(
                VenueSlot(i.key, i.title, i.room, timezone.localtime(i.start), timezone.localtime(i.end), i.running)
                for i in sorted(items, key=lambda i: (i.start, i.room, i.key))
            ),
        )
        for venue, items in sorted(by_venue.items())
    ]
