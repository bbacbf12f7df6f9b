"""B1 — the full conflict scan at summit size and at ten times that, side by side with its baselines.

- the scan: `gather_for_scan()` (what `conflicts_check_all` reads: 5 queries on PostgreSQL, the sessions
  bringing their attendees and accreditations as arrays) + `find_clashes()`, with its time, peak Python memory
  (tracemalloc, a separate run) and query count;
- the engine path as before: `gather()` (7 queries, the reference the other callers use) + `find_clashes()`;
- the O(n²) oracle `naive_clashes()` on the same commitments (double bookings only). Above `--naive-max`
  commitments (default 20,000: 10× summit size, ~10,000 commitments, still runs in full, in about 20 s) it
  runs on a random sample, its time is extrapolated by the number of pairs, and the output says so;
- on PostgreSQL, a floor: one SQL statement that expands every commitment from the real tables, sweeps each
  resource with window functions to keep the rows that overlap a neighbour, and pairs those with a
  `tstzrange(start, "end", '[)') &&` self-join to list the double-booked pairs.

The paths take turns within each repeat; times are the median and the minimum of the repeats. The scan's
clashes must equal the engine path's — every kind, with what `conflicts_sync` stores of each — and the double
bookings must equal the oracle's and the SQL floor's; the run checks and prints it. Prints a table and, last,
one JSON object (with the 1-minute load average before and after: the timings are only as quiet as the
machine).

    .venv/bin/python benchmarks/conflict_scan.py [--scale 1 10] [--repeat 5] [--quick]

Uses a throwaway test database on whatever DATABASE_URL points at (SQLite by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from asemplanner.choices import Category, Rank  # noqa: E402
from delegations.models import Accreditation, Delegation, Partner, Person, Travel  # noqa: E402
from events.domain.conflicts import Clash, Kind, find_clashes, naive_clashes  # noqa: E402
from events.models import Event, Room, Session, TransferTime, Venue  # noqa: E402
from planning.domain.conflict_checks import gather, gather_for_scan  # noqa: E402
from protocol.models import BilateralMeeting, ProtocolTask, Team  # noqa: E402

User = get_user_model()
Attendee = Session.attendees.through
TZ = ZoneInfo("Asia/Phnom_Penh")
DAY0 = dt.date(2020, 11, 15)  # the summit runs 15–17 Nov; its side events 13–14 Nov
BATCH = 2000
DOUBLE_BOOKING_KINDS = {
    Kind.ROOM_DOUBLE_BOOKED,
    Kind.PERSON_DOUBLE_BOOKED,
    Kind.HEAD_DOUBLE_BOOKED,
    Kind.STAFF_DOUBLE_BOOKED,
    Kind.TEAM_DOUBLE_BOOKED,
    Kind.VEHICLE_DOUBLE_BOOKED,
}
# One delegation of 20: its head, then the rest by accreditation category.
MEMBER_CATEGORIES = [Category.PRINCIPAL] + [Category.DELEGATE] * 9 + [Category.SECURITY] * 2 + [Category.MEDIA] * 2
MEMBER_CATEGORIES += [Category.LIAISON] * 2 + [Category.SUPPORT] * 4
FILLED = [
    Attendee, Travel, Accreditation, ProtocolTask, BilateralMeeting, Session, TransferTime, Room, Team, Person,
    Delegation, Partner, Event, Venue, User,
]  # fmt: skip


def at(day: int, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=TZ)


def free(booked: list[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime) -> bool:
    return all(not (s < end and start < e) for s, e in booked)


def grid(day: int, first: str, last: str, step: int = 15) -> list[dt.datetime]:
    """Start times every `step` minutes from `first` to `last` (inclusive) on `day`."""
    out, t, stop = [], at(day, first), at(day, last)
    while t <= stop:
        out.append(t)
        t += dt.timedelta(minutes=step)
    return out


def code(n: int) -> str:
    letters = ""
    for _ in range(4):
        n, r = divmod(n, 26)
        letters = chr(65 + r) + letters
    return "Q" + letters


def count(n: float) -> int:
    return max(2, round(n))


# --- the dataset -------------------------------------------------------------------------------------------------


def build(scale: float, seed: int = 13) -> dict[str, int]:
    """A summit of `scale` × (250 delegations of 20, 60 rooms in 10 venues, ~30,000 person-commitments,
    300 bilaterals, 500 protocol tasks), with deliberate clashes. Returns what was built."""
    rng = random.Random(seed)
    n_del, n_venues = count(250 * scale), max(3, round(10 * scale))
    summit = Event.objects.create(acronym="B1", name="Bench summit", kind=Event.Kind.SUMMIT, start_date=DAY0,
                                  end_date=DAY0 + dt.timedelta(days=2), status=Event.Status.CONFIRMED)  # fmt: skip
    sides = Event.objects.bulk_create(
        Event(acronym=f"B1S{k}", name=f"Bench side event {k}", kind=Event.Kind.SIDE_EVENT, parent=summit,
              start_date=DAY0 - dt.timedelta(days=2), end_date=DAY0 - dt.timedelta(days=1))
        for k in range(3)
    )  # fmt: skip

    # Venues: a palace, hotels, conference centres, an airport in every ten; 6 rooms each; every transfer known.
    def venue_kind(v: int) -> str:
        return {0: Venue.Kind.PALACE, 1: Venue.Kind.HOTEL, 2: Venue.Kind.HOTEL, 9: Venue.Kind.AIRPORT}.get(
            v % 10, Venue.Kind.CONFERENCE
        )

    venues = Venue.objects.bulk_create(
        Venue(name=f"Bench venue {v:04d}", short_name=f"V{v}", kind=venue_kind(v)) for v in range(n_venues)
    )
    TransferTime.objects.bulk_create(
        (
            TransferTime(from_venue=a, to_venue=b, minutes=10 + (i * 7 + j * 3) % 31)
            for i, a in enumerate(venues)
            for j, b in enumerate(venues)
            if i != j
        ),
        batch_size=BATCH,
    )
    people_total = n_del * len(MEMBER_CATEGORIES)
    palace_rooms = [("Plenary hall", people_total + 500), ("Hall B", people_total), ("Dining room", 3 * n_del),
                    ("Garden", 3 * n_del), ("Press centre", people_total), ("Salon", 80)]  # fmt: skip
    rooms = Room.objects.bulk_create(
        Room(venue=venue, name=palace_rooms[r][0] if v == 0 else f"Room {r + 1}",
             capacity=palace_rooms[r][1] if v == 0 else (3 * n_del if (v, r) == (1, 0) else 80))
        for v, venue in enumerate(venues)
        for r in range(6)
    )  # fmt: skip
    room_at = {(v, r): rooms[v * 6 + r] for v in range(n_venues) for r in range(6)}
    plenary, hall_b, dining, garden, press = (room_at[0, r] for r in range(5))
    ballroom = room_at[1, 0]
    normal = [v for v in range(1, n_venues) if venue_kind(v) != Venue.Kind.AIRPORT]
    meeting_rooms = [room_at[0, 5]] + [room_at[v, r] for v in normal for r in range(4)]
    bilateral_rooms = [room_at[v, r] for v in normal for r in (4, 5)]
    airports = [venues[v] for v in range(n_venues) if venue_kind(v) == Venue.Kind.AIRPORT] or [venues[-1]]
    hotels = [venues[v] for v in range(n_venues) if venue_kind(v) == Venue.Kind.HOTEL]

    # Partners, delegations of 20, their heads; every member accredited to the summit, a few revoked.
    partners = Partner.objects.bulk_create(
        (Partner(code=code(i), name=f"Bench partner {i:05d}", region="Asia" if i % 2 else "Europe", joined_year=1996)
         for i in range(n_del)),
        batch_size=BATCH,
    )  # fmt: skip
    delegations = Delegation.objects.bulk_create(
        (Delegation(partner=p, event=summit, quota=25, status=Delegation.Status.CONFIRMED) for p in partners),
        batch_size=BATCH,
    )
    people = Person.objects.bulk_create(
        (Person(delegation=d, given_name=f"G{m}", family_name=f"F{i}", function="Delegate", category=category,
                rank=Rank.HEAD_OF_STATE if m == 0 else Rank.OTHER)
         for i, d in enumerate(delegations)
         for m, category in enumerate(MEMBER_CATEGORIES)),
        batch_size=BATCH,
    )  # fmt: skip
    size = len(MEMBER_CATEGORIES)
    heads = people[::size]
    for delegation, head in zip(delegations, heads, strict=True):
        delegation.head = head
    Delegation.objects.bulk_update(delegations, ["head"], batch_size=BATCH)
    members = [p for p in people if p.category != Category.PRINCIPAL]
    accreditations = [
        Accreditation(person=p, event=summit, category=p.category, status=Accreditation.Status.APPROVED,
                      badge_number=f"S{p.pk}") if n % 97 else
        Accreditation(person=p, event=summit, category=p.category, status=Accreditation.Status.REVOKED,
                      revoked_reason="Left the delegation")
        for n, p in enumerate(people)
    ]  # fmt: skip
    side_guests: dict[int, list[Person]] = {}
    for k, side in enumerate(sides):
        guests = rng.sample(members, min(len(members), count(300 * scale)))
        side_guests[side.pk] = guests[: len(guests) * 97 // 100]
        accreditations += [
            Accreditation(person=p, event=side, category=p.category, status=Accreditation.Status.APPROVED,
                          badge_number=f"E{k}-{p.pk}") if n < len(side_guests[side.pk]) else
            Accreditation(person=p, event=side, category=p.category, status=Accreditation.Status.REVOKED,
                          revoked_reason="Withdrawn")
            for n, p in enumerate(guests)
        ]  # fmt: skip
    Accreditation.objects.bulk_create(accreditations, batch_size=BATCH)

    # Heads' travel: in town the day before; one in fifty lands late (10:00 on day 0, the opening plenary
    # started at 09:00), one in fifty leaves at 14:00 on the last day (before the closing plenary ends).
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)  # head pk → booked ranges
    arrivals, travels = {}, []
    for n, head in enumerate(heads):
        arrival = at(0, "10:00") if n % 50 == 7 else rng.choice(grid(-1, "08:00", "22:00"))
        departure = at(2, "14:00") if n % 50 == 11 else rng.choice(grid(2, "19:00", "23:30"))
        arrivals[head.pk] = arrival
        travels.append(Travel(person=head, arrival_at=arrival, departure_at=departure, hotel=hotels[n % len(hotels)],
                              arrival_airport=airports[n % len(airports)], arrival_flight=f"BX{n:05d}"))  # fmt: skip
    Travel.objects.bulk_create(travels, batch_size=BATCH)

    # The programme. Fixed sessions for everyone, the heads and some categories...
    sessions: list[Session] = []
    session_attendees: list[list[Person]] = []

    def add_session(title, event, room, start, end, audience, category="", attendees=(), expected=None, **kw):
        sessions.append(Session(title=title, event=event, room=room, start=start, end=end, audience=audience,
                                audience_category=category, expected_attendance=expected, **kw))  # fmt: skip
        session_attendees.append(list(attendees))

    A = Session.Audience
    fixed = [
        ("Opening plenary", plenary, at(0, "09:00"), at(0, "10:30"), A.ALL_DELEGATES, ""),
        ("Leaders' retreat I", plenary, at(0, "11:00"), at(0, "12:30"), A.HEADS, ""),
        ("Family photo", garden, at(0, "12:30"), at(0, "13:00"), A.HEADS, ""),
        ("Working lunch", dining, at(0, "13:00"), at(0, "14:30"), A.HEADS, ""),
        ("Senior officials' meeting", hall_b, at(0, "15:00"), at(0, "17:00"), A.CATEGORY, Category.DELEGATE),
        ("Press briefing", press, at(0, "17:30"), at(0, "18:30"), A.CATEGORY, Category.MEDIA),
        ("Security briefing", hall_b, at(1, "08:00"), at(1, "08:45"), A.CATEGORY, Category.SECURITY),
        ("Leaders' retreat II", plenary, at(1, "09:00"), at(1, "10:30"), A.HEADS, ""),
        ("Ministers' track", hall_b, at(1, "14:00"), at(1, "16:00"), A.CATEGORY, Category.DELEGATE),
        ("Gala dinner", ballroom, at(1, "19:00"), at(1, "21:30"), A.HEADS, ""),
        ("Leaders' retreat III", plenary, at(2, "09:00"), at(2, "10:30"), A.HEADS, ""),
        ("Closing plenary", plenary, at(2, "15:00"), at(2, "16:30"), A.ALL_DELEGATES, ""),
        ("Press conference", press, at(2, "16:45"), at(2, "17:30"), A.CATEGORY, Category.MEDIA),
    ]
    for title, room, start, end, audience, category in fixed:
        add_session(title, summit, room, start, end, audience, category)
        if audience in (A.HEADS, A.ALL_DELEGATES):
            for head in heads:
                busy[head.pk].append((start, end))

    # ...and named working groups of 60 in the meeting rooms. Slots on the same day overlap or touch; the
    # 14:30 slot on day 0 runs into the senior officials' meeting, on purpose.
    slots = [(at(d, a), at(d, b)) for d, a, b in [
        (0, "11:00", "12:00"), (0, "12:00", "13:00"), (0, "13:30", "14:30"), (0, "14:30", "15:30"),
        (1, "09:00", "10:00"), (1, "10:00", "11:00"), (1, "10:30", "11:30"), (1, "11:30", "12:30"),
        (1, "16:00", "17:00"), (2, "09:00", "10:00"), (2, "10:30", "12:00"), (2, "13:00", "14:00"),
    ]]  # fmt: skip
    room_booked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    named_rooms: list[tuple[Room, dt.datetime, dt.datetime]] = []

    def place(candidates: list[Room], start: dt.datetime, end: dt.datetime) -> Room | None:
        for room in candidates:
            if free(room_booked[room.pk], start, end):
                room_booked[room.pk].append((start, end))
                return room
        return None

    for n in range(count(200 * scale)):
        for start, end in rng.sample(slots, len(slots)):
            room = place(meeting_rooms, start, end)
            if room is not None:
                break
        else:
            continue
        expected = 120 if n % 20 == 3 else 60  # one in twenty expects more than its room of 80 holds
        add_session(f"Working group {n}", summit, room, start, end, A.NAMED, attendees=rng.sample(members, 60),
                    expected=expected)  # fmt: skip
        named_rooms.append((room, start, end))
    for n, (room, start, end) in enumerate(named_rooms[:3]):  # cancelled sessions hold nothing
        add_session(f"Cancelled group {n}", summit, room, start, end, A.HEADS, status=Session.Status.CANCELLED)

    # Side events: an opening for everyone accredited, a delegates' track and two named sessions each.
    for k, side in enumerate(sides):
        guests = side_guests[side.pk]
        room_a, room_b = meeting_rooms[2 * k], meeting_rooms[2 * k + 1]
        add_session("Side opening", side, room_a, at(-2, "09:00"), at(-2, "10:30"), A.ALL_DELEGATES)
        add_session("Side track", side, room_a, at(-2, "11:00"), at(-2, "12:30"), A.CATEGORY, Category.DELEGATE)
        add_session("Side panel", side, room_b, at(-2, "10:00"), at(-2, "11:30"), A.NAMED,
                    attendees=rng.sample(guests, min(30, len(guests))))  # fmt: skip
        add_session("Side dinner", side, room_a, at(-1, "19:00"), at(-1, "21:00"), A.NAMED,
                    attendees=rng.sample(guests, min(30, len(guests))))  # fmt: skip
    Session.objects.bulk_create(sessions, batch_size=BATCH)
    Attendee.objects.bulk_create(
        (Attendee(session_id=s.pk, person_id=p.pk) for s, names in zip(sessions, session_attendees, strict=True)
         for p in names),
        batch_size=BATCH,
    )  # fmt: skip

    # Staff users and teams.
    staff = [User(username=f"bench-staff-{n}", is_staff=True) for n in range(count(20 * scale))]
    for user in staff:
        user.set_unusable_password()  # no hashing: these users never log in
    User.objects.bulk_create(staff)
    staff_busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)

    def pick_staff(start: dt.datetime, end: dt.datetime, careful: bool) -> User:
        candidates = rng.sample(staff, len(staff)) if careful else [rng.choice(staff)]
        chosen = next((u for u in candidates if free(staff_busy[u.pk], start, end)), candidates[-1])
        staff_busy[chosen.pk].append((start, end))
        return chosen

    teams_of: dict[str, list[Team]] = {}
    all_teams = []
    for kind, n in [(Team.Kind.RECEPTION, 20), (Team.Kind.MOTORCADE, 40), (Team.Kind.SECURITY, 5)]:
        teams_of[kind] = [Team(name=f"Bench {kind} {i}", kind=kind) for i in range(count(n * scale))]
        all_teams += teams_of[kind]
    Team.objects.bulk_create(all_teams)
    team_busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)

    def pick_team(kind: str, start: dt.datetime, end: dt.datetime, careful: bool) -> Team:
        pool = teams_of[kind]
        candidates = rng.sample(pool, len(pool)) if careful else [rng.choice(pool)]
        chosen = next((t for t in candidates if free(team_busy[t.pk], start, end)), candidates[-1])
        team_busy[chosen.pk].append((start, end))
        return chosen

    # Bilaterals between heads: nine in ten placed where both heads are free with 30 minutes either side;
    # one in ten placed carelessly; one in a hundred in a meeting room while a working group sits there.
    windows = grid(0, "14:30", "18:15") + grid(1, "10:45", "18:00") + grid(2, "10:45", "14:15")
    margin = dt.timedelta(minutes=30)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < count(300 * scale):
        a, b = sorted(rng.sample(range(n_del), 2))
        pairs.add((a, b))
    bilaterals = []
    for n, (a, b) in enumerate(sorted(pairs)):
        duration = rng.choice([30, 45])
        length = dt.timedelta(minutes=duration)
        ha, hb = heads[a].pk, heads[b].pk
        careful = n % 10 != 0
        room = start = None
        if n % 100 == 50 and named_rooms:  # a room clash with a session, on purpose
            session_room, session_start, _ = rng.choice(named_rooms)
            if free(room_booked[-session_room.pk], session_start, session_start + length):
                room, start = session_room, session_start
                room_booked[-room.pk].append((start, start + length))
        for _ in range(60):
            if room is not None:
                break
            candidate = rng.choice(windows)
            if careful and not all(free(busy[h], candidate - margin, candidate + length + margin) for h in (ha, hb)):
                continue
            room = place(bilateral_rooms, candidate, candidate + length)
            start = candidate if room is not None else None
        if room is None:
            continue
        end = start + length
        busy[ha].append((start, end))
        busy[hb].append((start, end))
        bilaterals.append(
            BilateralMeeting(event=summit, requester=delegations[a], counterpart=delegations[b],
                             status=BilateralMeeting.Status.SCHEDULED, duration_minutes=duration, room=room,
                             start=start, end=end, protocol_officer=pick_staff(start, end, careful),
                             subject=f"Bilateral {n}")
        )  # fmt: skip
    for meeting in bilaterals[:3]:  # cancelled bilaterals keep their old room and time but hold nothing
        bilaterals.append(
            BilateralMeeting(event=summit, requester=meeting.counterpart, counterpart=meeting.requester,
                             status=BilateralMeeting.Status.CANCELLED, duration_minutes=meeting.duration_minutes,
                             room=meeting.room, start=meeting.start, end=meeting.end)
        )  # fmt: skip
    BilateralMeeting.objects.bulk_create(bilaterals, batch_size=BATCH)

    # Protocol tasks: an airport reception per head, motorcades for most heads, security sweeps. Teams,
    # vehicles and staff are picked free nine times in ten. Call signs are sometimes typed in lower case.
    tasks = []
    head_index = {h.pk: n for n, h in enumerate(heads)}

    def call_sign(head: Person, n: int) -> str:
        sign = f"HC-{head_index[head.pk]:05d}"
        return sign.lower() + " " if n % 10 == 4 else sign

    for n, head in enumerate(heads):
        start, end = arrivals[head.pk] - dt.timedelta(minutes=30), arrivals[head.pk] + dt.timedelta(minutes=15)
        careful = n % 10 != 0
        tasks.append(
            ProtocolTask(event=summit, kind=ProtocolTask.Kind.AIRPORT_RECEPTION, title=f"Reception {n}", start=start,
                         end=end, venue=airports[n % len(airports)], destination=hotels[n % len(hotels)],
                         person=head, delegation=delegations[n], vehicle=call_sign(head, n),
                         team=pick_team(Team.Kind.RECEPTION, start, end, careful),
                         assignee=pick_staff(start, end, careful) if n % 2 else None)
        )  # fmt: skip
    motorcade_windows = grid(0, "07:30", "08:20", 5) + grid(1, "07:30", "08:20", 5) + grid(2, "07:30", "08:20", 5)
    previous: tuple[str, dt.datetime] | None = None
    for n, head in enumerate(rng.sample(heads, min(len(heads), count(200 * scale)))):
        careful = n % 10 != 0
        start = rng.choice(motorcade_windows) if n % 20 != 1 else at(0, "08:40")  # into the opening plenary
        vehicle = call_sign(head, n)
        if n % 25 == 5 and previous is not None:  # the previous motorcade's car, at the same time
            vehicle, start = previous
        previous = (vehicle, start)
        end = start + dt.timedelta(minutes=30)
        tasks.append(
            ProtocolTask(event=summit, kind=ProtocolTask.Kind.MOTORCADE, title=f"Motorcade {n}", start=start, end=end,
                         venue=hotels[n % len(hotels)], destination=venues[0], person=head,
                         delegation=delegations[head_index[head.pk]], vehicle=vehicle,
                         team=pick_team(Team.Kind.MOTORCADE, start, end, careful),
                         assignee=pick_staff(start, end, careful) if n % 3 == 0 else None,
                         status=ProtocolTask.Status.CANCELLED if n % 50 == 17 else ProtocolTask.Status.OPEN)
        )  # fmt: skip
    for n in range(count(50 * scale)):
        careful = n % 10 != 0
        start = rng.choice(grid(n % 3, "06:00", "07:30"))
        end = start + dt.timedelta(minutes=60)
        venue = venues[rng.choice([0, *normal])]
        tasks.append(
            ProtocolTask(event=summit, kind=ProtocolTask.Kind.SECURITY_SWEEP, title=f"Sweep {n}", start=start,
                         end=end, venue=venue, team=pick_team(Team.Kind.SECURITY, start, end, careful),
                         assignee=pick_staff(start, end, careful))
        )  # fmt: skip
    ProtocolTask.objects.bulk_create(tasks, batch_size=BATCH)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics for both the engine's queries and the SQL floor
    return {
        "delegations": n_del,
        "people": len(people),
        "venues": n_venues,
        "rooms": len(rooms),
        "sessions": len(sessions),
        "named_attendees": sum(map(len, session_attendees)),
        "bilaterals": len(bilaterals),
        "tasks": len(tasks),
    }


def empty() -> None:
    tables = [model._meta.db_table for model in FILLED]
    sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    connection.ops.execute_sql_flush(sql)


# --- the single-SQL floor (PostgreSQL) ---------------------------------------------------------------------------


def floor_sql() -> str:
    """Every commitment expanded from the real tables as (resource, commitment, start, end) rows, then
    a window-function sweep per resource keeps only rows that overlap a neighbour (a row can only clash if it
    starts before an earlier row ends, or ends after the next one starts), and a range self-join pairs those.
    Resources and commitments travel as small integers and become text only in the final rows."""
    t = {m.__name__: m._meta.db_table for m in (Session, Attendee, Person, Delegation, Accreditation,
                                                BilateralMeeting, ProtocolTask)}  # fmt: skip
    # Only table names from the models' own metadata are interpolated; there is no outside input.
    return f"""
WITH sessions AS (
    SELECT id, event_id, room_id, start, "end", audience, audience_category
    FROM {t["Session"]} WHERE status <> 'cancelled'
), at_event AS (
    SELECT p.id AS person_id, d.event_id, p.category
    FROM {t["Person"]} p JOIN {t["Delegation"]} d ON d.id = p.delegation_id
    UNION
    SELECT person_id, event_id, category FROM {t["Accreditation"]} WHERE status <> 'revoked'
), bilaterals AS (
    SELECT id, room_id, start, "end", requester_id, counterpart_id, protocol_officer_id
    FROM {t["BilateralMeeting"]} WHERE status IN ('scheduled', 'held')
), bilateral_heads AS (
    SELECT b.id, b.start, b."end", d.id AS delegation_id, d.head_id
    FROM bilaterals b JOIN {t["Delegation"]} d ON d.id = b.requester_id
    UNION ALL
    SELECT b.id, b.start, b."end", d.id, d.head_id
    FROM bilaterals b JOIN {t["Delegation"]} d ON d.id = b.counterpart_id
), tasks AS (
    SELECT id, start, "end", person_id, assignee_id, team_id, upper(btrim(vehicle)) AS vehicle
    FROM {t["ProtocolTask"]} WHERE status <> 'cancelled'
), commitments (family, rid, vehicle, src, cid, start, "end") AS (
    -- family 1 room, 2 person, 3 staff, 4 team, 5 vehicle; src 1 session, 2 bilateral, 3 task
    SELECT 2, p.id, '', 1, s.id, s.start, s."end" FROM sessions s
    JOIN {t["Delegation"]} d ON d.event_id = s.event_id
    JOIN {t["Person"]} p ON p.id = d.head_id AND p.delegation_id = d.id
    WHERE s.audience = 'heads'
    UNION ALL SELECT 2, e.person_id, '', 1, s.id, s.start, s."end" FROM sessions s
    JOIN at_event e ON e.event_id = s.event_id WHERE s.audience = 'all_delegates'
    UNION ALL SELECT 2, e.person_id, '', 1, s.id, s.start, s."end" FROM sessions s
    JOIN at_event e ON e.event_id = s.event_id AND e.category = s.audience_category WHERE s.audience = 'category'
    UNION ALL SELECT 2, a.person_id, '', 1, s.id, s.start, s."end" FROM sessions s
    JOIN {t["Session_attendees"]} a ON a.session_id = s.id
    UNION ALL SELECT 1, room_id, '', 1, id, start, "end" FROM sessions
    UNION ALL SELECT 1, room_id, '', 2, id, start, "end" FROM bilaterals
    UNION ALL SELECT 2, p.id, '', 2, bh.id, bh.start, bh."end" FROM bilateral_heads bh
    JOIN {t["Person"]} p ON p.id = bh.head_id AND p.delegation_id = bh.delegation_id
    UNION ALL SELECT 3, protocol_officer_id, '', 2, id, start, "end" FROM bilaterals
    WHERE protocol_officer_id IS NOT NULL
    UNION ALL SELECT 2, person_id, '', 3, id, start, "end" FROM tasks WHERE person_id IS NOT NULL
    UNION ALL SELECT 3, assignee_id, '', 3, id, start, "end" FROM tasks WHERE assignee_id IS NOT NULL
    UNION ALL SELECT 4, team_id, '', 3, id, start, "end" FROM tasks WHERE team_id IS NOT NULL
    UNION ALL SELECT 5, 0, vehicle, 3, id, start, "end" FROM tasks WHERE vehicle <> ''
), swept AS (
    SELECT *, start < max("end") OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS after_overlap,
           "end" > lead(start) OVER w AS before_overlap
    FROM commitments
    WINDOW w AS (PARTITION BY family, rid, vehicle ORDER BY start, src, cid)
), busy AS (
    SELECT * FROM swept WHERE after_overlap OR before_overlap
)
-- DISTINCT: a named attendee who is also in the session's audience appears twice above
SELECT DISTINCT
       CASE a.family WHEN 1 THEN 'room:' || a.rid WHEN 2 THEN 'person:' || a.rid WHEN 3 THEN 'staff:' || a.rid
                     WHEN 4 THEN 'team:' || a.rid ELSE 'vehicle:' || a.vehicle END,
       (ARRAY['session:', 'bilateral:', 'task:'])[a.src] || a.cid,
       (ARRAY['session:', 'bilateral:', 'task:'])[b.src] || b.cid
FROM busy a JOIN busy b
  ON a.family = b.family AND a.rid = b.rid AND a.vehicle = b.vehicle AND (a.src, a.cid) < (b.src, b.cid)
 AND tstzrange(a.start, a."end", '[)') && tstzrange(b.start, b."end", '[)')
"""  # noqa: S608


# --- measuring ---------------------------------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def spread(samples: list[float]) -> dict[str, float]:
    """Median and minimum in ms: on a shared machine the minimum is the run the others disturbed least."""
    return {"median": ms(statistics.median(samples)), "min": ms(min(samples))}


def as_records(clashes: list[Clash]) -> set[tuple]:
    """Everything a clash stores (`conflicts_sync`): the identity check compares these, all kinds."""
    return {
        (str(c.kind), str(c.severity), c.resource, c.first, c.second, c.message, c.event_id, c.starts_at,
         json.dumps(c.message_payload, sort_keys=True))
        for c in clashes
    }  # fmt: skip


def queries_of(fn) -> int:
    connection.queries_log.clear()  # the log keeps 9,000 queries; the build ran far more
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def measure(scale: float, repeat: int, naive_max: int, seed: int) -> dict:
    built = build(scale, seed)
    gather()  # warm up: imports, content types, the connection
    gather_for_scan()
    floor = floor_sql() if connection.vendor == "postgresql" else None
    # The paths take turns within each repeat, so a burst of load from elsewhere falls on all of them.
    timings: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeat):
        for name, collect in (("engine", gather), ("scan", gather_for_scan)):
            gc.collect()
            started = time.perf_counter()
            commitments, facts = collect()
            gathered = time.perf_counter()
            clashes = find_clashes(commitments, facts)
            finished = time.perf_counter()
            timings[f"{name}_gather"].append(gathered - started)
            timings[f"{name}_find"].append(finished - gathered)
            timings[name].append(finished - started)
            del commitments, facts, clashes  # dropped before the next run, not while it runs
        if floor is not None:
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(floor)
                rows = cursor.fetchall()
                timings["sql"].append(time.perf_counter() - started)
    engine_queries, scan_queries = queries_of(gather), queries_of(gather_for_scan)

    gc.collect()
    tracemalloc.start()
    commitments, facts = gather_for_scan()
    clashes = find_clashes(commitments, facts)
    peak_bytes = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    # The new path against the old one, every kind and everything stored; then the double bookings against the
    # oracle and the SQL floor.
    old_commitments, old_facts = gather()
    old_clashes = find_clashes(old_commitments, old_facts)
    scan_same_as_engine = as_records(clashes) == as_records(old_clashes) and len(clashes) == len(old_clashes)
    engine = {
        (str(c.kind), c.resource, *sorted((c.first, c.second))) for c in clashes if c.kind in DOUBLE_BOOKING_KINDS
    }
    reported = sum(1 for c in clashes if c.kind in DOUBLE_BOOKING_KINDS)

    # The oracle: on every commitment, or on a random sample whose pairs are then a subset of all pairs.
    n = len(old_commitments)
    if n <= naive_max:
        sample, basis = old_commitments, "full"
    else:
        sample = random.Random(seed).sample(old_commitments, naive_max)
        basis = f"sample of {naive_max} of {n} commitments, time × n(n-1)/m(m-1)"
    started = time.perf_counter()
    oracle = naive_clashes(sample, old_facts)
    naive_s = (time.perf_counter() - started) * (n * (n - 1)) / (len(sample) * (len(sample) - 1))
    keys = {c.key for c in sample}
    engine_on_sample = {c for c in engine if c[2] in keys and c[3] in keys}

    sql_same, sql_pairs = None, None
    if floor is not None:
        sql = {(resource, *sorted((a, b))) for resource, a, b in rows}
        sql_pairs = len(rows)
        sql_same = sql == {(resource, a, b) for _kind, resource, a, b in engine} and len(rows) == len(sql)

    t = {name: spread(samples) for name, samples in timings.items()}
    sql_t = t.get("sql")
    return {
        "scale": scale,
        **built,
        "commitments": len(commitments),
        "person_commitments": sum(len(c.people) for c in commitments),
        "clashes": len(clashes),
        "clashes_by_kind": dict(Counter(str(c.kind) for c in clashes).most_common()),
        "double_bookings": len(engine),
        "double_bookings_reported_once": reported == len(engine),
        "engine_queries": engine_queries,
        "scan_queries": scan_queries,
        "timings_ms": t,
        "scan_over_sql": None if sql_t is None else ratios(t["scan"], sql_t),
        "engine_over_sql": None if sql_t is None else ratios(t["engine"], sql_t),
        "peak_mib": round(peak_bytes / 2**20, 1),
        "naive_ms": ms(naive_s),
        "naive_basis": basis,
        "naive_same": oracle == engine_on_sample,
        "naive_compared_pairs": len(oracle),
        "scan_same_as_engine": scan_same_as_engine,
        "sql_same": sql_same,
        "sql_pairs": sql_pairs,
    }


def ratios(path: dict[str, float], sql: dict[str, float]) -> dict[str, float]:
    return {"median": round(path["median"] / sql["median"], 2), "min": round(path["min"] / sql["min"], 2)}


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, nargs="+", default=[1, 10], help="multiples of summit size")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement (median and minimum)")
    parser.add_argument("--naive-max", type=int, default=20000, help="above this many commitments, sample the oracle")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--quick", action="store_true", help="smoke run: scales 0.1 and 0.2, one repeat")
    args = parser.parse_args()
    scales = [0.1, 0.2] if args.quick else sorted(args.scale)
    repeat = 1 if args.quick else args.repeat

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        results = []
        load_before = os.getloadavg()[0]
        print(f"B1 full conflict scan on {connection.vendor}, {repeat} runs each, ms as median / minimum")
        print(f"{'scale':>5}{'people':>8}{'commit.':>8}{'person-c.':>10}{'clashes':>8}{'double':>7}  "
              f"{'path':<34}{'q':>3}{'gather ms':>16}{'find ms':>16}{'total ms':>16}{'/ SQL floor':>14}")  # fmt: skip
        for scale in scales:
            empty()
            r = measure(scale, repeat, args.naive_max, args.seed)
            results.append(r)
            t = r["timings_ms"]
            lead = (f"{scale:>4g}×{r['people']:>8}{r['commitments']:>8}{r['person_commitments']:>10}"
                    f"{r['clashes']:>8}{r['double_bookings']:>7}")  # fmt: skip
            blank = " " * len(lead)
            rows = [
                ("scan: gather_for_scan + find_clashes", r["scan_queries"], t["scan_gather"], t["scan_find"],
                 t["scan"], r["scan_over_sql"]),
                ("engine: gather + find_clashes", r["engine_queries"], t["engine_gather"], t["engine_find"],
                 t["engine"], r["engine_over_sql"]),
            ]  # fmt: skip
            if "sql" in t:
                rows.append(("SQL floor (one statement)", 1, None, None, t["sql"], None))
            for n, (name, q, g, f, total, ratio) in enumerate(rows):
                print(f"{lead if n == 0 else blank}  {name:<34}{q:>3}{pair(g):>16}{pair(f):>16}{pair(total):>16}"
                      f"{(pair(ratio, 2) + '×') if ratio else '':>14}")  # fmt: skip
            mark = "" if r["naive_basis"] == "full" else "*"
            print(f"{blank}  {'oracle naive_clashes (O(n²), once)':<34}{'':>3}{'':>16}{'':>16}"
                  f"{r['naive_ms']:>15.1f}{mark:1}")  # fmt: skip
        for r in results:
            if r["naive_basis"] != "full":
                print(f"* {r['scale']:g}×: oracle timed on a {r['naive_basis']}; compared on that sample's "
                      f"{r['naive_compared_pairs']} double bookings")  # fmt: skip

        base, top = results[0], results[-1]
        growth_factor = top["scale"] / base["scale"]
        on_pg = base["scan_over_sql"] is not None
        goals = {
            "scan_over_sql": base["scan_over_sql"],
            "scan_over_sql_at_top_scale": top["scan_over_sql"],
            "engine_over_sql": base["engine_over_sql"],
            "scan_queries": sorted({r["scan_queries"] for r in results}),
            "engine_queries": sorted({r["engine_queries"] for r in results}),
            "naive_over_scan": round(base["naive_ms"] / base["timings_ms"]["scan"]["median"], 2),
            "growth": round(top["timings_ms"]["scan"]["median"] / base["timings_ms"]["scan"]["median"], 2),
        }
        met = {
            "scan_over_sql_le_1_5": None if not on_pg else base["scan_over_sql"]["median"] <= 1.5,
            "scan_queries_le_5": all(r["scan_queries"] <= 5 for r in results),
            "naive_over_scan_ge_100": goals["naive_over_scan"] >= 100,
            "growth_le_1_2_per_scale": goals["growth"] <= 1.2 * growth_factor,
        }
        same = all(
            r["scan_same_as_engine"] and r["naive_same"] and r["sql_same"] is not False
            and r["double_bookings_reported_once"]
            for r in results
        )  # fmt: skip
        print(f"clash sets identical (scan = engine, all kinds and messages; double bookings = oracle"
              f"{' = SQL floor' if on_pg else ''}): {'yes' if same else 'NO'}")  # fmt: skip
        print(f"queries per scan: {goals['scan_queries']} (engine {goals['engine_queries']}; goal ≤ 5: "
              f"{verdict(met['scan_queries_le_5'])})")  # fmt: skip
        if on_pg:
            print(f"at {base['scale']:g}×: scan / SQL floor = {pair(goals['scan_over_sql'], 2)}× median / minimum "
                  f"(goal ≤ 1.5× on the median: {verdict(met['scan_over_sql_le_1_5'])}); engine / SQL floor = "
                  f"{pair(goals['engine_over_sql'], 2)}×")  # fmt: skip
            if top is not base:
                print(f"at {top['scale']:g}×: scan / SQL floor = {pair(goals['scan_over_sql_at_top_scale'], 2)}×")
        else:
            print("scan / SQL floor: no floor on this database (PostgreSQL only)")
        print(f"at {base['scale']:g}×: oracle / scan = {goals['naive_over_scan']}× "
              f"(goal ≥ 100×: {verdict(met['naive_over_scan_ge_100'])})")  # fmt: skip
        print(f"scan time at {top['scale']:g}× / at {base['scale']:g}× = {goals['growth']}× "
              f"(goal ≤ {1.2 * growth_factor:g}×: {verdict(met['growth_le_1_2_per_scale'])})")  # fmt: skip
        load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        print(f"1-minute load average before / after: {load[0]} / {load[1]} (2 cores)")
        print(json.dumps({"benchmark": "conflict_scan", "database": connection.vendor, "sets_identical": same,
                          "repeat": repeat, "load_average_1min": load, "ratios": goals, "goals_met": met,
                          "results": results}, default=str))  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def pair(value: dict[str, float] | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value['median']:.{digits}f} / {value['min']:.{digits}f}"


if __name__ == "__main__":
    main()
