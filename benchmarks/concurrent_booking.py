"""B2 — fifty concurrent writers booking one room for overlapping slots (PostgreSQL).

Each writer books the same room for a slot that overlaps every other writer's, through the planner's write
path (`session_create`: validation, then the insert that the exclusion constraint guards). All fifty pass
the validation at nearly the same moment; the database lets exactly one insert through and the others get
the constraint's message as a ValidationError — never a server error. Side by side in the same run: the
same booking uncontended (one writer at a time) and a bare INSERT with no check (the floor).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/concurrent_booking.py

Prints a table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from events.domain.sessions import session_create  # noqa: E402
from events.models import Event, Room, Session, Venue  # noqa: E402

TZ = ZoneInfo("Asia/Phnom_Penh")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def contended(event: Event, room: Room, writers: int) -> dict:
    barrier = threading.Barrier(writers)
    outcomes: list[tuple[str, float, str]] = []
    lock = threading.Lock()

    def book(i: int) -> None:
        start = dt.datetime(2020, 11, 16, 9, 0, tzinfo=TZ) + dt.timedelta(minutes=i)
        barrier.wait()
        began = time.perf_counter()
        try:
            session_create(event=event, title=f"Booking {i}", room=room, start=start, end=start + dt.timedelta(hours=2),
                           by="bench")  # fmt: skip
            outcome, message = "booked", ""
        except ValidationError as exc:
            outcome, message = "refused", "; ".join(exc.messages)
        except Exception as exc:  # noqa: BLE001 — a server error is what this benchmark must show never happens
            outcome, message = "server_error", repr(exc)
        finally:
            connections.close_all()
        with lock:
            outcomes.append((outcome, (time.perf_counter() - began) * 1000, message))

    threads = [threading.Thread(target=book, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = [ms for _, ms, _ in outcomes]
    messages = sorted({message for outcome, _, message in outcomes if outcome == "refused"})
    return {
        "writers": writers,
        "booked": sum(o == "booked" for o, _, _ in outcomes),
        "refused": sum(o == "refused" for o, _, _ in outcomes),
        "server_errors": sum(o == "server_error" for o, _, _ in outcomes),
        "refusal_messages": messages[:3],
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(p95(latencies), 1),
        "sessions_in_room": Session.objects.filter(room=room).count(),
    }


def uncontended(event: Event, room: Room, n: int) -> dict:
    latencies = []
    for i in range(n):
        start = dt.datetime(2020, 11, 17, 7, 0, tzinfo=TZ) + dt.timedelta(minutes=10 * i)
        began = time.perf_counter()
        session_create(event=event, title=f"Solo {i}", room=room, start=start, end=start + dt.timedelta(minutes=10),
                       by="bench")  # fmt: skip
        latencies.append((time.perf_counter() - began) * 1000)
    return {"bookings": n, "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(p95(latencies), 1)}


def bare_insert(event: Event, room: Room, n: int) -> dict:
    latencies = []
    for i in range(n):
        start = dt.datetime(2020, 11, 16, 7, 0, tzinfo=TZ) + dt.timedelta(minutes=10 * i)
        began = time.perf_counter()
        Session.objects.create(
            event=event, title=f"Raw {i}", room=room, start=start, end=start + dt.timedelta(minutes=10)
        )
        latencies.append((time.perf_counter() - began) * 1000)
    return {"bookings": n, "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(p95(latencies), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=50)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("B2 needs PostgreSQL (its exclusion constraint is what decides the race); set DATABASE_URL.")
        print(json.dumps({"benchmark": "concurrent_booking", "skipped": "needs PostgreSQL"}))
        return
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        event = Event.objects.create(
            acronym="B2", name="Bench", start_date=dt.date(2020, 11, 16), end_date=dt.date(2020, 11, 17)
        )
        venue = Venue.objects.create(name="Peace Palace")
        room = Room.objects.create(venue=venue, name="Plenary Hall", capacity=600)
        floor_room = Room.objects.create(venue=venue, name="Floor", capacity=600)
        race = contended(event, room, args.writers)
        solo = uncontended(event, Room.objects.create(venue=venue, name="Solo", capacity=600), 50)
        floor = bare_insert(event, floor_room, 50)
        print(f"{'case':<34}{'booked':>8}{'refused':>9}{'5xx':>5}{'p50 ms':>9}{'p95 ms':>9}")
        print(f"{'50 writers, one room, overlapping':<34}{race['booked']:>8}{race['refused']:>9}"
              f"{race['server_errors']:>5}{race['p50_ms']:>9}{race['p95_ms']:>9}")  # fmt: skip
        for label, row in (("one writer at a time (with check)", solo), ("bare INSERT, no check (floor)", floor)):
            print(f"{label:<34}{row['bookings']:>8}{0:>9}{0:>5}{row['p50_ms']:>9}{row['p95_ms']:>9}")
        print("refusal message:", race["refusal_messages"][0] if race["refusal_messages"] else "—")
        ok = race["booked"] == 1 and race["server_errors"] == 0 and race["sessions_in_room"] == 1
        print(json.dumps({"benchmark": "concurrent_booking", "database": "postgresql", "exactly_one_booked": ok,
                          "contended": race, "uncontended": solo, "bare_insert": floor}))  # fmt: skip
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
