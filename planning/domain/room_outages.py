"""A room out of service: what it hits, where those things could go, and moving them there.

- `outage_impact(outage)` — the sessions, bilaterals and protocol tasks that use the room during the outage
  (the same rule as the conflict engine's room-out-of-service clash: a task is hit when it prepares a
  bilateral in the room).
- `relocation_proposal(outage)` — for each hit session a free room: big enough (the expected attendance, else
  the number of people attending), open at those hours, in a security zone its audience may enter, not out of
  service, free of sessions and bilaterals then (a bilateral room keeps its changeover around each meeting);
  the same venue first, then the nearest by motorcade transfer time, then the room a back-to-back relocated
  session already takes (the audience stays put), a room of the same kind, the smallest that fits. Two
  relocated sessions never get the same room at the same time. For each hit bilateral a re-placement by the
  scheduler (protocol.domain.scheduling.solve) on a problem that holds only the hit meetings, every other
  meeting fixed, within PLANNER_OUTAGE_SOLVER_SECONDS. Nothing found: the reason says why.
- `relocations_accept(...)` — staff accept all, some or none: in one transaction, target rooms locked, each
  target re-checked (a room that became busy meanwhile refuses the whole accept, naming it, and nothing moves),
  moved through the audited domain functions, the room rules re-checked, then each affected liaison told once.

Security zones: the engine does not check zones; here a room's zone suits a session when every attendee who may
enter the session's own room (their accreditation's zones at the event) may also enter it. When nobody attending
has zones granted yet, a zone of no higher level than the session's own room suits. A room with no zone suits.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asemplanner.domain.audit import Actor
from asemplanner.domain.notifications import notify_users
from asemplanner.i18n import languages_of, local_date, local_digits
from asemplanner.timeranges import fmt, opening_hours_errors
from delegations.models import Accreditation, Delegation, Person
from events.domain.conflicts import Commitment, Kind, Severity, find_clashes
from events.domain.sessions import session_update
from events.models import Conflict, Event, Room, RoomOutage, Session
from planning.domain.bilateral_plans import problem_load
from planning.domain.conflict_checks import OPEN_STATES, gather
from protocol.domain.bilaterals import bilateral_schedule
from protocol.domain.scheduling import Busy, Placement, solve
from protocol.models import BilateralMeeting, ProtocolTask

UNKNOWN_TRANSFER = 24 * 60  # minutes: a venue with no transfer time known ranks after every known one
HARD_ROOM_RULES = (Kind.ROOM_DOUBLE_BOOKED, Kind.ROOM_OUT_OF_SERVICE)


# --- Impact ------------------------------------------------------------------------------------------------------
@dataclass
class Impact:
    outage: RoomOutage
    sessions: list[Session] = field(default_factory=list)
    bilaterals: list[BilateralMeeting] = field(default_factory=list)
    tasks: list[ProtocolTask] = field(default_factory=list)
    commitments: dict[str, Commitment] = field(default_factory=dict)  # key → commitment (its people)
    transfer: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.sessions or self.bilaterals or self.tasks)

    def people(self, key: str) -> tuple[int, ...]:
        commitment = self.commitments.get(key)
        return commitment.people if commitment is not None else ()

    def transfer_minutes(self, a: int, b: int) -> int | None:
        if a == b:
            return 0
        known = self.transfer.get((a, b))
        return known if known is not None else self.transfer.get((b, a))


def _overlaps(start: dt.datetime, end: dt.datetime, outage: RoomOutage) -> bool:
    return start < outage.end and outage.start < end


def outage_impact(outage: RoomOutage) -> Impact:
    """What uses the room while it is out of service (nothing once the outage is lifted)."""
    impact = Impact(outage=outage)
    if not outage.is_active:
        return impact
    commitments, facts = gather()
    impact.transfer = dict(facts.transfer_minutes)
    in_room = {c.key for c in commitments if c.room_id == outage.room_id}
    hit = [c for c in commitments if (c.key in in_room or c.serves in in_room) and _overlaps(c.start, c.end, outage)]
    impact.commitments = {c.key: c for c in hit}
    ids: dict[str, list[int]] = defaultdict(list)
    for c in hit:
        kind, pk = c.key.split(":", 1)
        ids[kind].append(int(pk))
    impact.sessions = list(
        Session.objects.filter(pk__in=ids["session"])
        .select_related("event", "room__venue", "room__zone")
        .order_by("start", "pk")
    )
    impact.bilaterals = list(
        BilateralMeeting.objects.filter(pk__in=ids["bilateral"])
        .select_related("event", "room__venue", "requester__partner", "counterpart__partner")
        .order_by("start", "pk")
    )
    impact.tasks = list(
        ProtocolTask.objects.filter(pk__in=ids["task"]).select_related("venue", "team").order_by("start", "pk")
    )
    return impact


# --- Proposal ----------------------------------------------------------------------------------------------------
@dataclass
class SessionMove:
    session: Session
    room: Room | None
    why: str  # why this room, or why none
    needed: int = 0  # seats


@dataclass
class BilateralMove:
    meeting: BilateralMeeting
    room: Room | None
    start: dt.datetime | None
    end: dt.datetime | None
    why: str


@dataclass
class Proposal:
    impact: Impact
    sessions: list[SessionMove] = field(default_factory=list)
    bilaterals: list[BilateralMove] = field(default_factory=list)
    seconds: float = 0.0  # the bilateral re-plan's solver time

    @property
    def placed(self) -> int:
        return sum(1 for m in self.sessions if m.room) + sum(1 for m in self.bilaterals if m.room)


Interval = tuple[dt.datetime, dt.datetime]


# A moved item of a liaison's notice: ("session" | "bilateral", title or partner, start, end, room).
Line = tuple[str, str, dt.datetime, dt.datetime, str]
Held = tuple[Interval, str, bool]  # when, what, and whether the span already holds a bilateral's changeover


def _room_bookings(
    rooms: Iterable[int],
    lo: dt.datetime,
    hi: dt.datetime,
    *,
    moving_sessions: Iterable[int] = (),
    moving_meetings: Iterable[int] = (),
) -> dict[int, list[Held]]:
    """What holds each room around `[lo, hi)`: sessions, placed bilaterals (widened by the changeover a bilateral
    room needs around each meeting) and active outages, each with a line saying what it is; the items being
    moved leave their place. Three queries."""
    pad = dt.timedelta(minutes=settings.PLANNER_BILATERAL_CHANGEOVER_MINUTES)
    rooms = list(rooms)
    held: dict[int, list[Held]] = defaultdict(list)
    sessions = (
        Session.objects.filter(room_id__in=rooms, start__lt=hi + pad, end__gt=lo - pad)
        .exclude(status=Session.Status.CANCELLED)
        .exclude(pk__in=list(moving_sessions))
    )
    for room, start, end, title in sessions.values_list("room_id", "start", "end", "title"):
        when = f"{fmt(start)}–{local_date(timezone.localtime(end), 'H:i')}"
        held[room].append(((start, end), _("“%(title)s” %(when)s") % {"title": title, "when": when}, False))
    meetings = (
        BilateralMeeting.objects.filter(
            room_id__in=rooms, status__in=BilateralMeeting.PLACED, start__lt=hi + pad, end__gt=lo - pad
        )
        .exclude(pk__in=list(moving_meetings))
        .values_list("room_id", "start", "end", "requester__partner__name", "counterpart__partner__name")
    )
    for room, placed_at, placed_until, a, b in meetings:
        if placed_at is None or placed_until is None:  # a placed meeting has both (a database constraint)
            continue
        held[room].append(
            (
                (placed_at - pad, placed_until + pad),
                _("the bilateral %(requester)s – %(counterpart)s %(when)s (with its changeover)")
                % {"requester": a, "counterpart": b, "when": fmt(placed_at)},
                True,
            )
        )
    outages = RoomOutage.objects.filter(room_id__in=rooms, lifted_at__isnull=True, start__lt=hi + pad, end__gt=lo - pad)
    for room, start, end, reason in outages.values_list("room_id", "start", "end", "reason"):
        what = _("out of service %(start)s–%(end)s (%(reason)s)") % {
            "start": fmt(start),
            "end": fmt(end),
            "reason": reason,
        }
        held[room].append(((start, end), what, False))
    return held


def _busy_with(held: list[Held], start: dt.datetime, end: dt.datetime, *, bilateral: bool = False) -> str | None:
    """What holds the room over `[start, end)`, if anything. A bilateral keeps the changeover from everything else
    too (the scheduler's rule); a session only from bilaterals (sessions may touch)."""
    pad = dt.timedelta(minutes=settings.PLANNER_BILATERAL_CHANGEOVER_MINUTES)
    for (a, b), what, padded in held:
        if bilateral and not padded:
            a, b = a - pad, b + pad
        if a < end and start < b:
            return what
    return None


def _zone_grants(impact: Impact) -> dict[tuple[int, int], set[int]]:
    """(event, person) → the zones their accreditation grants, for everyone attending a hit session. One query."""
    people = {p for s in impact.sessions for p in impact.people(f"session:{s.pk}")}
    events = {s.event_id for s in impact.sessions}
    grants: dict[tuple[int, int], set[int]] = defaultdict(set)
    rows = (
        Accreditation.zones.through.objects.filter(
            accreditation__person_id__in=people, accreditation__event_id__in=events
        )
        .exclude(accreditation__status=Accreditation.Status.REVOKED)
        .values_list("accreditation__event_id", "accreditation__person_id", "securityzone_id")
    )
    for event, person, zone in rows:
        grants[(event, person)].add(zone)
    return grants


@dataclass
class _ZoneRule:
    allowed: set[int] | None  # zone ids; None: decided by level
    max_level: int

    def suits(self, room: Room) -> bool:
        if room.zone_id is None:
            return True
        if self.allowed is not None:
            return room.zone_id in self.allowed
        return room.zone is not None and room.zone.level <= self.max_level


def _zone_rule(session: Session, people: Iterable[int], grants: Mapping[tuple[int, int], set[int]]) -> _ZoneRule:
    own = session.room.zone
    granted = [grants[(session.event_id, p)] for p in people if (session.event_id, p) in grants]
    if own is not None:
        granted = [zones for zones in granted if own.pk in zones]  # those who may be in the session's own room
    if granted:
        return _ZoneRule(allowed=set.intersection(*granted), max_level=0)
    return _ZoneRule(allowed=None, max_level=own.level if own is not None else 1)


def _needed(session: Session, people: tuple[int, ...]) -> int:
    return session.expected_attendance or len(people) or 1


def _same_event_next_door(impact: Impact, rooms: list[int]) -> set[tuple[int, int]]:
    """(room, hit session) pairs where the room holds another session of the same event ending when the hit one
    starts or starting when it ends (one query)."""
    edges = {s.start for s in impact.sessions} | {s.end for s in impact.sessions}
    hit = {s.pk for s in impact.sessions}
    rows = (
        Session.objects.filter(event_id__in={s.event_id for s in impact.sessions}, room_id__in=rooms)
        .filter(Q(end__in=edges) | Q(start__in=edges))
        .exclude(status=Session.Status.CANCELLED)
        .exclude(pk__in=hit)
        .values_list("room_id", "event_id", "start", "end")
    )
    return {
        (room, s.pk)
        for room, event, start, end in rows
        for s in impact.sessions
        if s.event_id == event and (end == s.start or start == s.end)
    }


def _session_moves(impact: Impact) -> list[SessionMove]:
    outage = impact.outage
    if not impact.sessions:
        return []
    rooms = list(Room.objects.exclude(pk=outage.room_id).select_related("venue", "zone"))
    lo = min(s.start for s in impact.sessions)
    hi = max(s.end for s in impact.sessions)
    held = _room_bookings([r.pk for r in rooms], lo, hi)
    grants = _zone_grants(impact)
    proposed: dict[int, list[Held]] = defaultdict(list)  # rooms given to relocated sessions
    next_door = _same_event_next_door(impact, [r.pk for r in rooms])
    moves = []
    people_of = {s.pk: impact.people(f"session:{s.pk}") for s in impact.sessions}
    # The largest audiences choose first: they fit in fewest rooms.
    for session in sorted(impact.sessions, key=lambda s: (-_needed(s, people_of[s.pk]), s.start, s.pk)):
        needed = _needed(session, people_of[session.pk])
        zone = _zone_rule(session, people_of[session.pk], grants)
        venue = session.room.venue_id
        refused: dict[str, int] = defaultdict(int)
        fitting = []
        for room in rooms:
            if room.capacity < needed:
                refused["too small"] += 1
            elif opening_hours_errors(
                session.start, session.end, opens_at=room.opens_at, closes_at=room.closes_at, what=str(room)
            ):
                refused["closed at those hours"] += 1
            elif not zone.suits(room):
                refused["in a zone its audience may not enter"] += 1
            elif _busy_with(held[room.pk] + proposed[room.pk], session.start, session.end):
                refused["busy then"] += 1
            else:
                minutes = impact.transfer_minutes(venue, room.venue_id)
                # Back to back with another relocated session there: the audience stays in one room.
                # Back to back with a session of its event already there (one moved earlier, say): the same.
                continuing = (
                    any(a == session.end or b == session.start for (a, b), _what, _padded in proposed[room.pk])
                    or (room.pk, session.pk) in next_door
                )
                rank = (
                    room.venue_id != venue,
                    minutes if minutes is not None else UNKNOWN_TRANSFER,
                    not continuing,
                    room.kind != session.room.kind,
                    room.capacity,
                    room.pk,
                )
                fitting.append((rank, room, minutes))
        if not fitting:
            reasons = ", ".join(_refusal(why, n) for why, n in sorted(refused.items(), key=lambda kv: -kv[1])) or _(
                "none exist"
            )
            moves.append(
                SessionMove(
                    session,
                    None,
                    _(
                        "No room fits: %(needed)s seats needed, %(start)s–%(end)s; of %(rooms)s other rooms "
                        "%(reasons)s. Move it by hand (another time), or shorten the outage."
                    )
                    % {
                        "needed": needed,
                        "start": fmt(session.start),
                        "end": local_date(timezone.localtime(session.end), "H:i"),
                        "rooms": len(rooms),
                        "reasons": reasons,
                    },
                    needed,
                )
            )
            continue
        _rank, room, minutes = min(fitting, key=lambda item: item[0])
        proposed[room.pk].append(
            ((session.start, session.end), _("“%(title)s” (relocated here)") % {"title": session.title}, False)
        )
        if room.venue_id == venue:
            why = _("same venue, %(capacity)s seats for %(needed)s") % {"capacity": room.capacity, "needed": needed}
        elif minutes is not None:
            why = _(
                "nearest free room: %(minutes)s min from %(venue)s by motorcade, %(capacity)s seats for %(needed)s"
            ) % {"minutes": minutes, "venue": session.room.venue, "capacity": room.capacity, "needed": needed}
        else:
            why = _(
                "no room free at %(venue)s; no transfer time known to %(other)s, %(capacity)s seats for %(needed)s"
            ) % {"venue": session.room.venue, "other": room.venue, "capacity": room.capacity, "needed": needed}
        moves.append(SessionMove(session, room, why, needed))
    order = {s.pk: i for i, s in enumerate(impact.sessions)}
    return sorted(moves, key=lambda m: order[m.session.pk])


NEAR = dt.timedelta(hours=2)  # a hit bilateral is first re-placed within this of its own time


def _bilateral_moves(impact: Impact, sessions: list[SessionMove]) -> tuple[list[BilateralMove], float]:
    """The scoped re-plan: per event, the hit meetings are the only requests; every other placed meeting of the
    event and the relocated sessions are fixed (busy rooms and principals). Two passes, each within half of
    PLANNER_OUTAGE_SOLVER_SECONDS: first near the meeting's own time (within NEAR, inside its preferred windows),
    so a leader's day changes as little as it can; then anywhere, for the ones the first pass could not place."""
    moves: list[BilateralMove] = []
    seconds = 0.0
    by_event: dict[int, list[BilateralMeeting]] = defaultdict(list)
    for meeting in impact.bilaterals:
        by_event[meeting.event_id].append(meeting)
    for event_id, hit_meetings in by_event.items():
        placed, unplaced, spent = _replan(Event.objects.get(pk=event_id), {m.pk for m in hit_meetings}, sessions)
        seconds += spent
        rooms = Room.objects.select_related("venue").in_bulk([p.room for p in placed.values()])
        for meeting in hit_meetings:
            placement = placed.get(meeting.pk)
            if placement is None:
                reason = unplaced.get(meeting.pk, _("The scheduler found no place in time."))
                moves.append(BilateralMove(meeting, None, None, None, _("No place found: %(why)s") % {"why": reason}))
                continue
            room = rooms[placement.room]
            same = meeting.start == placement.start
            same_venue = meeting.room is not None and room.venue_id == meeting.room.venue_id
            if same and same_venue:
                why = _("same time, same venue")
            elif same:
                why = _("same time, at %(venue)s") % {"venue": room.venue}
            elif same_venue:
                why = _("moved to %(when)s, same venue") % {"when": fmt(placement.start)}
            else:
                why = _("moved to %(when)s, at %(venue)s") % {"when": fmt(placement.start), "venue": room.venue}
            moves.append(BilateralMove(meeting, room, placement.start, placement.end, why))
    return moves, seconds


def _replan(
    event: Event, hit: set[int], sessions: list[SessionMove]
) -> tuple[dict[int, Placement], dict[int, str], float]:
    problem, meetings = problem_load(event, replan=True)
    loaded_rooms = problem.rooms
    venue_of = {room.pk: room.venue for room in loaded_rooms}
    extra_room: dict[int, list[Interval]] = defaultdict(list)
    busy = {person: list(items) for person, items in problem.busy.items()}

    def fix(meeting: BilateralMeeting, start: dt.datetime, end: dt.datetime, room: int | None) -> None:
        """A meeting that stays (or was placed by the first pass) holds its room and both principals."""
        if room is not None:
            extra_room[room].append((start, end))
        venue = venue_of.get(room) if room is not None else None
        for person in (meeting.requester.head_id, meeting.counterpart.head_id):
            if person is not None:
                busy.setdefault(person, []).append(Busy(start, end, venue, venue, str(meeting)))

    for pk, m in meetings.items():
        if pk not in hit and m.status == BilateralMeeting.Status.SCHEDULED and m.start and m.end:
            fix(m, m.start, m.end, m.room_id)
    for move in sessions:
        if move.room is not None:
            extra_room[move.room.pk].append((move.session.start, move.session.end))
    requests = {r.key: r for r in problem.requests if r.key in hit}
    near = {}
    for key, request in requests.items():
        meeting = meetings[key]
        if meeting.start is None or meeting.end is None:
            continue
        lo, hi = meeting.start - NEAR, meeting.end + NEAR
        clipped = tuple(
            (max(a, lo), min(b, hi)) for a, b in (request.windows or ((lo, hi),)) if max(a, lo) < min(b, hi)
        )
        if clipped:
            near[key] = replace(request, windows=clipped)
    placed: dict[int, Placement] = {}
    unplaced: dict[int, str] = {}
    seconds = 0.0
    for attempt in (near, requests):
        todo = [r for k, r in attempt.items() if k not in placed]
        if not todo:
            continue
        problem.requests = todo
        problem.previous = {k: p for k, p in problem.previous.items() if k in hit}
        problem.busy = {person: list(items) for person, items in busy.items()}
        problem.rooms = [replace(r, busy=(*r.busy, *extra_room.get(r.pk, ()))) for r in loaded_rooms]
        plan = solve(
            problem,
            seconds=settings.PLANNER_OUTAGE_SOLVER_SECONDS / 2,
            gap=settings.PLANNER_SCHEDULER_GAP,
            workers=settings.PLANNER_SCHEDULER_WORKERS,
        )
        seconds += plan.seconds
        for placement in plan.placed:
            placed[placement.key] = placement
            unplaced.pop(placement.key, None)
            fix(meetings[placement.key], placement.start, placement.end, placement.room)
        unplaced.update(plan.unplaced)
    return placed, unplaced, seconds


def relocation_proposal(outage: RoomOutage, impact: Impact | None = None) -> Proposal:
    """Where each hit session and bilateral could go (nothing is written)."""
    impact = impact if impact is not None else outage_impact(outage)
    proposal = Proposal(impact=impact)
    proposal.sessions = _session_moves(impact)
    began = time.perf_counter()
    proposal.bilaterals, _solver = _bilateral_moves(impact, proposal.sessions)
    proposal.seconds = time.perf_counter() - began
    return proposal


# --- Accept ------------------------------------------------------------------------------------------------------
@dataclass
class Accepted:
    moved: list[str] = field(default_factory=list)  # "“Plenary” Peace Palace · Plenary Hall → Sokha · Ballroom"
    liaisons: list[str] = field(default_factory=list)  # usernames told
    warnings: list[str] = field(default_factory=list)  # new clashes the moves made (flagged by the check)


def _when(start: dt.datetime, end: dt.datetime) -> str:
    tz = timezone.get_current_timezone()
    return f"{local_date(start.astimezone(tz), 'D d M H:i')}–{local_date(end.astimezone(tz), 'H:i')}"


def _refusal(why: str, count: int) -> str:
    """How many rooms were refused for one reason, in the reader's language ("3 too small")."""
    texts = {
        "too small": _("%(count)s too small"),
        "closed at those hours": _("%(count)s closed at those hours"),
        "in a zone its audience may not enter": _("%(count)s in a zone its audience may not enter"),
        "busy then": _("%(count)s busy then"),
    }
    return texts[why] % {"count": count}


@transaction.atomic
def relocations_accept(
    *,
    outage: RoomOutage,
    session_moves: Mapping[int, int],
    bilateral_moves: Mapping[int, tuple[int, dt.datetime]],
    by: Actor,
) -> Accepted:
    """Move the accepted items: `session_moves` session pk → room pk, `bilateral_moves` meeting pk → (room pk,
    start). All or nothing: any refusal (an item no longer hit, a target room busy now, too small, closed)
    raises with every reason and changes nothing."""
    if not session_moves and not bilateral_moves:
        raise ValidationError(
            {"moves": _("Tick at least one proposed move to accept, or leave the page to accept none.")}
        )
    outage = RoomOutage.objects.select_for_update(of=("self",)).select_related("room__venue").get(pk=outage.pk)
    if not outage.is_active:
        raise ValidationError(
            {
                "moves": _("%(room)s is back in service (the outage was lifted); nothing needs to move.")
                % {"room": outage.room}
            }
        )
    targets = {*session_moves.values(), *(room for room, _start in bilateral_moves.values())}
    # Lock the target rooms (pk order: two accepts cannot deadlock), so nothing is booked into them between
    # this re-check and the moves; the outage's room too, as the outage writes lock it.
    locked = {
        room.pk: room
        for room in Room.objects.select_for_update(of=("self",))
        .filter(pk__in={*targets, outage.room_id})
        .select_related("venue", "zone")
        .order_by("pk")
    }
    sessions = {
        s.pk: s
        for s in Session.objects.select_for_update(of=("self",))
        .filter(pk__in=list(session_moves))
        .select_related("room__venue", "event")
    }
    meetings = {
        m.pk: m
        for m in BilateralMeeting.objects.select_for_update(of=("self",))
        .filter(pk__in=list(bilateral_moves))
        .select_related("room__venue", "requester__partner", "counterpart__partner", "event")
    }
    errors: list[str] = []
    wanted: list[tuple[str, Room, dt.datetime, dt.datetime, str]] = []  # (key, room, start, end, label)
    for pk, room_pk in session_moves.items():
        session = sessions.get(pk)
        if (
            session is None
            or session.room_id != outage.room_id
            or not session.is_active
            or not _overlaps(session.start, session.end, outage)
        ):
            errors.append(
                _("Session %(pk)s is no longer in %(room)s during the outage (moved or cancelled meanwhile).")
                % {"pk": pk, "room": outage.room}
            )
            continue
        room = locked.get(room_pk)
        if room is None or room.pk == outage.room_id:
            errors.append(_("“%(title)s”: choose a room other than the one out of service.") % {"title": session.title})
            continue
        if session.expected_attendance and room.capacity < session.expected_attendance:
            errors.append(
                _("“%(title)s”: %(room)s holds %(capacity)s, it expects %(expected)s.")
                % {
                    "title": session.title,
                    "room": room,
                    "capacity": room.capacity,
                    "expected": session.expected_attendance,
                }
            )
        hours = opening_hours_errors(
            session.start, session.end, opens_at=room.opens_at, closes_at=room.closes_at, what=str(room)
        )
        errors += [_("“%(title)s”: %(why)s") % {"title": session.title, "why": message} for message in hours.values()]
        wanted.append((f"session:{pk}", room, session.start, session.end, f"“{session.title}”"))
    for pk, (room_pk, start) in bilateral_moves.items():
        meeting = meetings.get(pk)
        if (
            meeting is None
            or meeting.status != BilateralMeeting.Status.SCHEDULED
            or meeting.room_id != outage.room_id
            or meeting.start is None
            or meeting.end is None
            or not _overlaps(meeting.start, meeting.end, outage)
        ):
            errors.append(
                _("Bilateral %(pk)s is no longer in %(room)s during the outage (moved meanwhile).")
                % {"pk": pk, "room": outage.room}
            )
            continue
        room = locked.get(room_pk)
        if room is None:  # its own room stays possible at a time clear of the outage (checked below)
            errors.append(
                _("%(meeting)s: room %(room)s does not exist; reload the proposal.")
                % {"meeting": meeting, "room": room_pk}
            )
            continue
        end = start + dt.timedelta(minutes=meeting.duration_minutes)
        wanted.append((f"bilateral:{pk}", room, start, end, str(meeting)))
    # Still free? Under the locks: what holds the rooms now, and the accepted moves among themselves.
    if wanted:
        held = _room_bookings(
            {room.pk for _k, room, _s, _e, _l in wanted},
            min(w[2] for w in wanted),
            max(w[3] for w in wanted),
            moving_sessions=list(sessions),
            moving_meetings=list(meetings),
        )
        taken: dict[int, list[Held]] = defaultdict(list)
        pad = dt.timedelta(minutes=settings.PLANNER_BILATERAL_CHANGEOVER_MINUTES)
        for key, room, start, end, label in wanted:
            is_bilateral = key.startswith("bilateral:")
            busy = _busy_with(held[room.pk] + taken[room.pk], start, end, bilateral=is_bilateral)
            if busy:
                errors.append(
                    _("%(what)s: %(room)s is busy then (%(busy)s); it became busy meanwhile. Reload the proposal.")
                    % {"what": label, "room": room, "busy": busy}
                )
            span = (start - pad, end + pad) if is_bilateral else (start, end)
            taken[room.pk].append((span, _("%(what)s, also accepted now") % {"what": label}, is_bilateral))
    if errors:
        raise ValidationError({"moves": errors})

    result = Accepted()
    moved_keys = set()
    for key, room, start, end, label in wanted:
        kind, pk_text = key.split(":", 1)
        pk = int(pk_text)
        if kind == "session":
            session = sessions[pk]
            was = session.room
            session_update(session=session, room=room, by=by)
            result.moved.append(f"{label} {_when(start, end)}: {was} → {room}")
        else:
            meeting = meetings[pk]
            was_room, was_start = meeting.room, meeting.start
            bilateral_schedule(meeting=meeting, room=room, start=start, by=by)
            result.moved.append(
                f"{label}: {fmt(was_start) if was_start else ''} {was_room} → {_when(start, end)} {room}"
            )
        moved_keys.add(key)
    result.warnings, commitments = _recheck(moved_keys)
    result.liaisons = tell_liaisons(outage, commitments, sessions, meetings, session_moves, bilateral_moves, locked)
    return result


def _recheck(keys: set[str]) -> tuple[list[str], list[Commitment]]:
    """Refuse (rolling back every move) a move that breaks a room rule; return the other new errors (a transfer
    now too short for a leader) for staff to see — the conflict check after the commit flags them."""
    commitments, facts = gather()
    mine = [c for c in commitments if c.key in keys]
    resources = {resource for c in mine for resource in c.resources()}
    errors = [
        clash
        for clash in find_clashes(commitments, facts, resources=resources)
        if clash.severity == Severity.ERROR and (clash.first in keys or clash.second in keys)
    ]
    broken = [c for c in errors if c.kind in HARD_ROOM_RULES]
    if broken:
        raise ValidationError({"moves": [_("Not moved: %(clash)s") % {"clash": c.message} for c in broken[:5]]})
    # Clashes already on record (a leader arriving late for the session anyway) are not news.
    known = set(
        Conflict.objects.filter(fingerprint__in=[c.fingerprint for c in errors], status__in=OPEN_STATES).values_list(
            "fingerprint", flat=True
        )
    )
    return [c.message for c in errors if c.fingerprint not in known], commitments


def affected_delegations(people: Iterable[int]) -> set[int]:
    return set(Person.objects.filter(pk__in=set(people)).values_list("delegation_id", flat=True))


def tell_liaisons(
    outage: RoomOutage,
    commitments: list[Commitment],
    sessions: dict[int, Session],
    meetings: dict[int, BilateralMeeting],
    session_moves: Mapping[int, int],
    bilateral_moves: Mapping[int, tuple[int, dt.datetime]],
    rooms: dict[int, Room],
) -> list[str]:
    """One notice per liaison, after the commit, listing every moved item of their delegation(s): the sessions
    their people attend and their bilaterals. Returns the usernames told."""
    by_key = {c.key: c for c in commitments}
    # delegation → lines, kept as what they say and written in each liaison's language when the notice is made
    lines: dict[int, list[Line]] = defaultdict(list)
    people_lines: list[tuple[tuple[int, ...], Line]] = []
    for pk, room_pk in session_moves.items():
        session = sessions[pk]
        people = by_key[f"session:{pk}"].people if f"session:{pk}" in by_key else ()
        people_lines.append((people, ("session", session.title, session.start, session.end, str(rooms[room_pk]))))
    delegation_of = dict(
        Person.objects.filter(pk__in={p for people, _l in people_lines for p in people}).values_list(
            "pk", "delegation_id"
        )
    )
    for people, line in people_lines:
        for delegation in {delegation_of[p] for p in people if p in delegation_of}:
            lines[delegation].append(line)
    for pk, (room_pk, _start) in bilateral_moves.items():
        meeting = meetings[pk]
        if meeting.start is None or meeting.end is None:  # bilateral_schedule() has just set both
            raise ValueError(f"{meeting} was scheduled without a start and end.")
        for side, other in ((meeting.requester, meeting.counterpart), (meeting.counterpart, meeting.requester)):
            lines[side.pk].append(("bilateral", str(other.partner), meeting.start, meeting.end, str(rooms[room_pk])))
    if not lines:
        return []
    liaisons: dict[int, tuple[Any, list[Line], int]] = {}
    through = Delegation.liaisons.through
    users = get_user_model().objects.in_bulk(
        set(through.objects.filter(delegation_id__in=list(lines)).values_list("user_id", flat=True))
    )
    for delegation_id, user_id in through.objects.filter(delegation_id__in=list(lines)).values_list(
        "delegation_id", "user_id"
    ):
        user = users[user_id]
        if not user.is_active:
            continue
        _user, mine, _first = liaisons.setdefault(user_id, (user, [], delegation_id))
        mine.extend(line for line in lines[delegation_id] if line not in mine)
    topic = f"outage:{outage.pk}:relocated:{uuid.uuid4().hex[:12]}"  # one accept, one notice per liaison
    base = settings.PLANNER_BASE_URL.rstrip("/")
    reason, room = outage.reason, outage.room

    def send() -> None:
        languages = languages_of(liaisons)
        for user_id, (user, mine, delegation_id) in liaisons.items():
            with translation.override(languages[user_id]):
                title = ngettext(
                    "%(count)s item(s) of your programme moved: %(room)s is out of service",
                    "%(count)s item(s) of your programme moved: %(room)s is out of service",
                    len(mine),
                ) % {"count": local_digits(len(mine)), "room": room}
                body = _(
                    "%(room)s is out of service %(start)s–%(end)s (%(reason)s). Moved:\n%(lines)s\nThe times are "
                    "unchanged unless stated; your delegation's programme shows the new rooms."
                ) % {
                    "room": room,
                    "start": fmt(outage.start),
                    "end": fmt(outage.end),
                    "reason": reason,
                    "lines": "\n".join(_line(line) for line in mine),
                }
            notify_users(
                users=[user],
                topic=topic,
                title=title[:200],
                body=body,
                link=base + reverse("portal:programme", args=[delegation_id]),
                mail=True,
            )

    transaction.on_commit(send)
    return sorted(user.get_username() for user, _m, _d in liaisons.values())


def _line(line: Line) -> str:
    """One moved item of a liaison's notice, in the active language."""
    kind, what, start, end, room = line
    if kind == "session":
        return _("- “%(title)s” %(when)s: now in %(room)s.") % {"title": what, "when": _when(start, end), "room": room}
    return _("- Bilateral with %(partner)s: now %(when)s in %(room)s.") % {
        "partner": what,
        "when": _when(start, end),
        "room": room,
    }


def access_outage(user: Any, pk: int) -> RoomOutage:
    """The outage, for staff who may view rooms out of service; anyone else: 404 (the page does not exist)."""
    if not (user.is_authenticated and user.has_perm("events.view_roomoutage")):
        raise Http404(_("No such room outage."))
    outage = RoomOutage.objects.select_related("room__venue", "created_by").filter(pk=pk).first()
    if outage is None:
        raise Http404(_("No such room outage."))
    return outage
