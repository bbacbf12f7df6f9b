"""B11 — the live operations board at summit size, side by side with a naive board in the same run.

The board (planning/domain/ops_board.py `ops_board()` + the fragment template the page refreshes every 30 s) is
built with `bulk_create` at two sizes — 2,500 people in 30 rooms and 5,000 people in 60 rooms by default — and
rendered for an admin (every section) on the summit's first day at 10:00. The naive board answers the same
questions with queries per head (their sessions, bilaterals, tasks, travel), per arriving traveller (the
reception and motorcade teams) and per venue (its next two hours), and reads related rows lazily. Both must give
the same heads' now and next, the same arrivals and the same venues; the run says so. Prints a table and, last,
one JSON object.

    .venv/bin/python benchmarks/ops_board.py [--sizes 2500:30 5000:60] [--repeat 5]

Uses a throwaway test database on whatever DATABASE_URL points at (SQLite by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from delegations.domain.flights import flights_on_day  # noqa: E402
from delegations.models import Accreditation, Delegation, Partner, Person, Travel  # noqa: E402
from events.models import Conflict, Event, Room, RoomOutage, Session, TransferTime, Venue  # noqa: E402
from planning.domain.ops_board import TEAM_TASK_KINDS, WINDOW, ops_board  # noqa: E402
from planning.domain.programme import DELEGATION_TASK_KINDS  # noqa: E402
from planning.models import Disruption  # noqa: E402
from protocol.models import BilateralMeeting, ProtocolTask, Team  # noqa: E402

TZ = ZoneInfo("Asia/Phnom_Penh")
DAY = dt.date(2020, 11, 16)
AT = dt.datetime.combine(DAY, dt.time(10, 0), tzinfo=TZ)
PER_DELEGATION = 20
ROOMS_PER_VENUE = 6


def at(hour: int, minute: int = 0, day: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=TZ)


def build(people: int, rooms: int, tag: str) -> Event:
    """A summit of `people` people in delegations of 20 and `rooms` rooms in venues of 6 (plus an airport and a
    hotel): heads landing through the morning with reception and motorcade tasks, four sessions a room (for
    everyone, for the heads, for a category, for named people), bilaterals of the heads all day, a few rooms out
    of service, open disruptions and errors. Everything through bulk_create."""
    summit = Event.objects.create(acronym=f"S{tag}", name=f"Summit {tag}", kind=Event.Kind.SUMMIT,
                                  start_date=DAY, end_date=DAY + dt.timedelta(days=1))  # fmt: skip
    airport = Venue.objects.create(name=f"Airport {tag}", short_name=f"PNH{tag}", kind=Venue.Kind.AIRPORT)
    hotel = Venue.objects.create(name=f"Hotel {tag}", short_name=f"H{tag}", kind=Venue.Kind.HOTEL)
    venues = Venue.objects.bulk_create(
        Venue(name=f"Venue {tag}-{n}", short_name=f"V{tag}-{n}", kind=Venue.Kind.CONFERENCE)
        for n in range(max(rooms // ROOMS_PER_VENUE, 1))
    )
    every = [airport, hotel, *venues]
    TransferTime.objects.bulk_create(
        TransferTime(from_venue=a, to_venue=b, minutes=15 + (a.pk + b.pk) % 20) for a in every for b in every if a != b
    )
    room_rows = Room.objects.bulk_create(
        Room(venue=venue, name=f"Room {tag}-{v}-{n}", capacity=1000, kind=Room.Kind.MEETING)
        for v, venue in enumerate(venues)
        for n in range(ROOMS_PER_VENUE)
    )[:rooms]
    teams = Team.objects.bulk_create(
        [Team(name=f"Reception {tag}-{n}", kind=Team.Kind.RECEPTION) for n in range(5)]
        + [Team(name=f"Motorcade {tag}-{n}", kind=Team.Kind.MOTORCADE) for n in range(5)]
    )
    n_delegations = people // PER_DELEGATION
    partners = Partner.objects.bulk_create(
        Partner(code=f"{tag}{n:04d}", name=f"Partner {tag}-{n:04d}", region="Asia", joined_year=1996)
        for n in range(n_delegations)
    )
    delegations = Delegation.objects.bulk_create(Delegation(partner=p, event=summit, quota=30) for p in partners)
    persons = Person.objects.bulk_create(
        Person(delegation=d, given_name=f"G{i}", family_name=f"F{d.pk}", function="Delegate",
               category="principal" if i == 0 else "delegate", rank=10 if i == 0 else 90)
        for d in delegations
        for i in range(PER_DELEGATION)
    )  # fmt: skip
    heads = [p for p in persons if p.given_name == "G0"]
    for delegation, head in zip(delegations, heads, strict=True):
        delegation.head = head
    Delegation.objects.bulk_update(delegations, ["head"])
    Accreditation.objects.bulk_create(
        Accreditation(person=p, event=summit, category=p.category, status="approved", badge_number=f"{tag}-{p.pk}")
        for p in persons
    )
    travels, tasks = [], []
    for n, person in enumerate(persons):
        head = person.given_name == "G0"
        k = n // PER_DELEGATION
        # Parties land over three days (the day before, the board's day, the day after), 06:00–16:00.
        landing = at(6, 0, day=k % 3 - 1) + dt.timedelta(minutes=k * 7 % 600)
        travels.append(Travel(person=person, arrival_flight=f"PG{n // PER_DELEGATION:04d}", arrival_at=landing,
                              arrival_airport=airport, departure_flight=f"PG{9000 + n // PER_DELEGATION}",
                              departure_at=at(18, 0, day=1), departure_airport=airport, hotel=hotel,
                              arrival_status="delayed" if n // PER_DELEGATION % 9 == 0 else "scheduled"))  # fmt: skip
        if head:
            tasks.append(
                ProtocolTask(
                    event=summit,
                    kind=ProtocolTask.Kind.AIRPORT_RECEPTION,
                    title=f"Reception {n}",
                    start=landing - dt.timedelta(minutes=30),
                    end=landing + dt.timedelta(minutes=30),
                    venue=airport,
                    team=teams[k % 5],
                    person=person,
                    delegation_id=person.delegation_id,
                    source_key=f"travel:{person.pk}:reception",
                )
            )
            tasks.append(ProtocolTask(event=summit, kind=ProtocolTask.Kind.MOTORCADE, title=f"Motorcade {n}",
                                      start=landing + dt.timedelta(minutes=30), end=landing + dt.timedelta(minutes=65),
                                      venue=airport, destination=hotel, team=teams[5 + k % 5], person=person,
                                      delegation_id=person.delegation_id,
                                      source_key=f"travel:{person.pk}:motorcade-arrival"))  # fmt: skip
    Travel.objects.bulk_create(travels)
    ProtocolTask.objects.bulk_create(tasks)
    audiences = [Session.Audience.ALL_DELEGATES, Session.Audience.HEADS, Session.Audience.CATEGORY,
                 Session.Audience.NAMED]  # fmt: skip
    bilateral_rooms = room_rows[-max(rooms // 6, 1) :]  # a sixth of the rooms: bilaterals only
    sessions = Session.objects.bulk_create(
        Session(event=summit, title=f"Session {tag}-{r}-{s}", room=room, start=at(8 + 2 * s, 30),
                end=at(9 + 2 * s, 45), audience=audiences[(r + s) % 4], audience_category="delegate")
        for r, room in enumerate(room_rows[: len(room_rows) - len(bilateral_rooms)])
        for s in range(4)
    )  # fmt: skip
    named = [s for s in sessions if s.audience == Session.Audience.NAMED]
    Session.attendees.through.objects.bulk_create(
        Session.attendees.through(session_id=s.pk, person_id=heads[(i * 7 + j) % len(heads)].pk)
        for i, s in enumerate(named)
        for j in range(3)
    )
    meetings = []
    for i in range(len(delegations) // 2):
        room = bilateral_rooms[i % len(bilateral_rooms)]
        slot = i // len(bilateral_rooms)
        start = at(8) + dt.timedelta(minutes=45 * (slot % 16))
        if slot >= 16:
            break
        meetings.append(BilateralMeeting(event=summit, requester=delegations[2 * i], counterpart=delegations[2 * i + 1],
                                         status=BilateralMeeting.Status.SCHEDULED, room=room, start=start,
                                         end=start + dt.timedelta(minutes=30), duration_minutes=30, priority=3))  # fmt: skip
    BilateralMeeting.objects.bulk_create(meetings)
    RoomOutage.objects.bulk_create(
        RoomOutage(room=room, start=at(9), end=at(12), reason="Power cut") for room in room_rows[: max(rooms // 20, 1)]
    )
    Disruption.objects.bulk_create(
        Disruption(event=summit, person=head, kind=Disruption.Kind.LATE_ARRIVAL, summary="Lands later")
        for head in heads[:: max(len(heads) // 10, 1)]
    )
    now = timezone.now()
    Conflict.objects.bulk_create(
        Conflict(fingerprint=f"{tag}-{n}", kind=Conflict.Kind.PERSON_DOUBLE_BOOKED, severity=Conflict.Severity.ERROR,
                 resource=f"person:{heads[n].pk}", resource_label=str(heads[n]), first="session:1", message="Clash",
                 starts_at=at(9), first_seen=now, last_seen=now)
        for n in range(min(len(heads), 30))
    )  # fmt: skip
    return summit


def board_render(user) -> tuple[dict, str]:
    board = ops_board(DAY, user, at=AT)
    html = render_to_string(
        "admin/planning/_ops_board.html",
        {"board": board, "errors": [], "updated": timezone.localtime(), "can_run_of_show": True, "is_live": False},
    )
    heads = {h.person_id: (h.now.key if h.now else None, h.next.key if h.next else None) for h in board.heads or []}
    arrivals = {(f.partner, f.flight): (f.status, len(f.tasks)) for f in board.arrivals}
    return {"heads": heads, "arrivals": arrivals, "venues": len(board.venues or [])}, html


def naive_board(summit: Event) -> tuple[dict, str]:
    """The same answers, written the obvious way: queries per head, per flight party and per venue."""
    day_start = at(0)
    day_end = day_start + dt.timedelta(days=1)
    heads = {}
    for delegation in Delegation.objects.filter(event=summit, head__isnull=False).order_by("partner__name"):
        head = delegation.head  # a query
        accredited = list(Accreditation.objects.filter(person=head).exclude(status="revoked"))
        events = {delegation.event_id, *(a.event_id for a in accredited)}
        pairs = {(delegation.event_id, head.category), *((a.event_id, a.category) for a in accredited)}
        category_q = Q()
        for event_id, category in pairs:
            category_q |= Q(event_id=event_id, audience_category=category)
        sessions = Session.objects.filter(start__lt=day_end, end__gt=day_start).exclude(status="cancelled").filter(
            Q(attendees=head) | Q(audience="heads", event=delegation.event_id)
            | Q(audience="all_delegates", event_id__in=events) | (Q(audience="category") & category_q)
        ).distinct()  # fmt: skip
        places = [(f"session:{s.pk}", s.start, s.end, f"{s.room.venue} {s.room}") for s in sessions]
        for meeting in BilateralMeeting.objects.filter(Q(requester=delegation) | Q(counterpart=delegation)).filter(
            status__in=BilateralMeeting.PLACED, start__lt=day_end, end__gt=day_start
        ):  # fmt: skip
            places.append((f"bilateral:{meeting.pk}", meeting.start, meeting.end, f"{meeting.room}"))
        for task in ProtocolTask.objects.filter(person=head, kind__in=DELEGATION_TASK_KINDS).exclude(
            status="cancelled"
        ):
            if task.start < day_end and task.end > day_start:
                places.append((f"task:{task.pk}", task.start, task.end, f"{task.venue}"))
        places.sort(key=lambda p: (p[1], p[2], p[0]))
        travel = Travel.objects.filter(person=head).first()
        # Before landing and after take-off the head is in no session (the board's rule).
        in_town = travel is None or (
            (travel.arrival_at is None or travel.arrival_at <= AT)
            and (travel.departure_at is None or travel.departure_at > AT)
        )
        now = next((p for p in places if p[1] <= AT < p[2]), None) if in_town else None
        following = next((p for p in places if p[1] >= AT and p[1] < day_end and p != now), None)
        heads[head.pk] = (now[0] if now else None, following[0] if following else None)
    arrivals = {}
    for party in flights_on_day(DAY):  # the flights page's reading, then the teams party by party
        if party.leg != "arrival":
            continue
        names = []
        for travel in party.travels:
            for task in ProtocolTask.objects.filter(person=travel.person_id, kind__in=TEAM_TASK_KINDS):
                if task.source_key and task.source_key.rsplit(":", 1)[-1] in ("reception", "motorcade-arrival"):
                    names.append(task.team.name if task.team_id else "")
        arrivals[(party.delegation.partner.name, party.flight)] = (party.status, len(names))
    venues = 0
    for venue in Venue.objects.all():
        running = Session.objects.filter(room__venue=venue, start__lt=AT + WINDOW, end__gt=AT).exclude(
            status="cancelled"
        )
        meetings = BilateralMeeting.objects.filter(room__venue=venue, start__lt=AT + WINDOW, end__gt=AT)
        items = [str(s.room) for s in running] + [str(m.room) for m in meetings]
        venues += bool(items)
    lines = [str(d.person) + str(d.person.delegation.partner) for d in Disruption.objects.filter(status="open")]
    lines += [c.message for c in Conflict.objects.filter(severity="error", status__in=("open", "acknowledged"))]
    lines += [f"{o.room} {o.room.venue}" for o in RoomOutage.objects.filter(lifted_at__isnull=True)]
    return {"heads": heads, "arrivals": arrivals, "venues": venues}, "\n".join(lines)


def measure(fn, repeat: int) -> tuple[int, float, object]:
    """Queries of one call (counted by an execute wrapper: the naive board outgrows the 9,000 queries Django's
    query log keeps) and the median milliseconds of `repeat` calls after a warm-up."""
    fn()  # warm caches (templates, content types, permissions)
    timings, queries, result = [], 0, None
    for _ in range(repeat):
        count = [0]

        def counted(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            started = time.perf_counter()
            result = fn()
            timings.append((time.perf_counter() - started) * 1000)
        queries = count[0]
    return queries, statistics.median(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["2500:30", "5000:60"], help="people:rooms")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-repeat", type=int, default=3)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = get_user_model().objects.create_superuser("bench", "bench@example.org", "bench-password-123")
        results = []
        header = f"{'people':>7}{'rooms':>7}{'heads':>7}{'board q':>9}{'naive q':>9}{'board ms':>10}{'naive ms':>10}"
        print(header + f"{'ratio':>8}  same answers")
        for n, size in enumerate(args.sizes):
            people, rooms = (int(part) for part in size.split(":"))
            # One summit at a time: the board shows the first summit, so each size starts from an empty database.
            for model in (Conflict, Disruption, RoomOutage, BilateralMeeting, ProtocolTask, Session, Accreditation,
                          Travel):  # fmt: skip
                model.objects.all().delete()
            Delegation.objects.update(head=None)
            for model in (Person, Delegation, Partner, Team, Room, TransferTime, Venue, Event):
                model.objects.all().delete()
            started = time.perf_counter()
            summit = build(people, rooms, tag=chr(65 + n))
            built = time.perf_counter() - started
            bq, bms, (board, _html) = measure(lambda: board_render(user), args.repeat)
            nq, nms, (naive, _text) = measure(lambda summit=summit: naive_board(summit), args.naive_repeat)
            same = board["heads"] == naive["heads"] and board["arrivals"] == naive["arrivals"]
            same = same and board["venues"] == naive["venues"]
            results.append(
                {"people": people, "rooms": rooms, "heads": len(board["heads"]), "board_queries": bq,
                 "naive_queries": nq, "board_ms": round(bms, 1), "naive_ms": round(nms, 1),
                 "naive_over_board": round(nms / bms, 1), "same_answers": same, "build_s": round(built, 1)}
            )  # fmt: skip
            print(f"{people:>7}{rooms:>7}{len(board['heads']):>7}{bq:>9}{nq:>9}{bms:>10.1f}{nms:>10.1f}"
                  f"{nms / bms:>7.1f}×  {'yes' if same else 'NO'}")  # fmt: skip
        flat = len({r["board_queries"] for r in results}) == 1
        print(json.dumps({"benchmark": "ops_board", "database": connection.vendor, "board_query_count_flat": flat,
                          "results": results}))  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
