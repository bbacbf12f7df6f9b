"""B9 — 10,000 reminders falling due together: swept, sent, counted.

100 sessions start at the same moment; a "T-1h" rule tells each of 100 room-setup staff about each of them:
10,000 reminders due now. A real Celery worker (in-process, two threads, on the configured broker — Redis
when REDIS_URL is set) takes two sweeps fired at once (as if beat ran twice), claims everything and sends it
to Django's in-memory mail backend. Measured: time from the first sweep to the last reminder marked sent, the
number of Celery tasks that took, and duplicates (messages with the same Message-ID; must be 0).

Side by side, in the same run, on the same 10,000 rows (reset between runs):

- **naive**: the sweep most projects start with — select what is due and unsent, enqueue one task per
  reminder; the task loads it, sends it if it is not marked sent yet, marks it sent. Also fired twice.
- **floor**: no Celery and no per-reminder transaction: the 10,000 messages built and handed to the mail
  backend in one loop, then one UPDATE marking every row sent. What sending costs at the least.

    REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/reminders_sweep.py [--sessions 100 --staff 100]

Prints a table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # the worker logs every task at INFO

import django  # noqa: E402

django.setup()

from celery.contrib.testing.worker import start_worker  # noqa: E402
from celery.signals import task_prerun  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, Permission, User  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.mail import EmailMessage, get_connection  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from asemplanner.roles import LOGISTICS, roles_sync  # noqa: E402
from config.celery import app  # noqa: E402
from events.models import Event, Room, Session, Venue  # noqa: E402
from reminders.domain.subjects import Scope  # noqa: E402
from reminders.domain.sync import reminders_sync  # noqa: E402
from reminders.models import Reminder, ReminderRule  # noqa: E402

tasks_run: Counter = Counter()


@task_prerun.connect
def _count(task=None, **kwargs):
    tasks_run[task.name] += 1


@app.task(name="bench.naive_send", acks_late=True)
def naive_send(pk: int) -> None:
    reminder = Reminder.objects.select_related("recipient").get(pk=pk)
    if reminder.status == Reminder.Status.SENT:
        return
    EmailMessage(f"Reminder {pk}", "Room setup.", None, [reminder.recipient.email],
                 headers={"Message-ID": f"<naive.{reminder.key}@bench>"}).send()  # fmt: skip
    Reminder.objects.filter(pk=pk).update(status=Reminder.Status.SENT, sent_at=timezone.now())


@app.task(name="bench.naive_sweep", acks_late=True)
def naive_sweep() -> None:
    for pk in Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__lte=timezone.now()).values_list(
        "pk", flat=True
    ):
        naive_send.delay(pk)


def build(sessions: int, staff: int) -> None:
    roles_sync(Group, Permission)
    today = timezone.localdate()
    event = Event.objects.create(acronym="B9", name="Benchmark summit", kind="summit", start_date=today,
                                 end_date=today + dt.timedelta(days=1))  # fmt: skip
    venue = Venue.objects.create(name="Benchmark venue")
    rooms = Room.objects.bulk_create(Room(venue=venue, name=f"Room {n}", capacity=50) for n in range(sessions))
    start = timezone.now() + dt.timedelta(hours=1) - dt.timedelta(seconds=5)  # T-1h: due five seconds ago
    Session.objects.bulk_create(
        Session(event=event, title=f"Session {n}", room=room, start=start, end=start + dt.timedelta(hours=1))
        for n, room in enumerate(rooms)
    )
    users = User.objects.bulk_create(
        User(username=f"setup{n}", email=f"setup{n}@bench.example", is_staff=True) for n in range(staff)
    )
    Group.objects.get(name=LOGISTICS).user_set.add(*users)
    ReminderRule.objects.create(
        name="Room setup T-1h",
        what="session",
        offset_minutes=-60,
        to_role=LOGISTICS,
        subject_template="{{ offset }}: {{ what }}",
        body_template="{{ what }} at {{ when }}",
    )


def reset() -> None:
    Reminder.objects.update(status=Reminder.Status.PENDING, queued_at=None, sent_at=None, late=False, attempts=0,
                            title="", body="")  # fmt: skip
    from asemplanner.models import Notification

    Notification.objects.all().delete()
    mail.outbox = []
    tasks_run.clear()


def wait_all_sent(total: int, timeout: float) -> float:
    started = time.perf_counter()
    while Reminder.objects.filter(status=Reminder.Status.SENT).count() < total:
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"not all {total} reminders were sent within {timeout} s")
        time.sleep(0.05)
    return time.perf_counter() - started


def duplicates() -> int:
    ids = Counter(m.extra_headers["Message-ID"] for m in mail.outbox)
    return sum(n - 1 for n in ids.values() if n > 1)


def run_worker(fire, total: int, timeout: float) -> tuple[float, int, int]:
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30):
        started = time.perf_counter()
        fire()
        fire()  # beat fires again (a slow minute, a second beat by mistake)
        wait_all_sent(total, timeout)
        elapsed = time.perf_counter() - started
        time.sleep(1.0)  # let stragglers (a second sweep's tasks) finish before counting
    return elapsed, sum(tasks_run.values()), duplicates()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--staff", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        # Two worker threads writing one in-memory SQLite test database lock each other's tables.
        raise SystemExit("B9 needs PostgreSQL: set DATABASE_URL=postgres://... (and REDIS_URL for the real broker).")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        build(args.sessions, args.staff)
        started = time.perf_counter()
        planned = reminders_sync(scope=Scope(all=True), now=timezone.now() - dt.timedelta(days=1))
        sync_s = time.perf_counter() - started
        total = Reminder.objects.count()
        assert total == args.sessions * args.staff, planned.summary()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(app.conf.task_default_queue)

        reset()
        ours_s, ours_tasks, ours_dups = run_worker(lambda: app.send_task("reminders.sweep"), total, args.timeout)
        ours_sent = len(mail.outbox)

        reset()
        naive_s, naive_tasks, naive_dups = run_worker(lambda: naive_sweep.delay(), total, args.timeout)
        naive_sent = len(mail.outbox)

        reset()
        started = time.perf_counter()
        rows = list(Reminder.objects.select_related("recipient"))
        with get_connection() as backend, transaction.atomic():
            messages = [
                EmailMessage(f"Reminder {r.pk}", "Room setup.", None, [r.recipient.email],
                             headers={"Message-ID": f"<floor.{r.key}@bench>"})
                for r in rows
            ]  # fmt: skip
            backend.send_messages(messages)
            Reminder.objects.update(status=Reminder.Status.SENT, sent_at=timezone.now())
        floor_s = time.perf_counter() - started

        broker = app.conf.broker_url.split("://", 1)[0]
        print(f"{total:,} reminders due together; broker {broker}, database {connection.vendor}, "
              f"batch {settings.PLANNER_REMINDER_BATCH_SIZE}; sync planned them in {sync_s:.2f} s")  # fmt: skip
        print(f"{'':<10}{'seconds':>9}{'per s':>9}{'tasks':>8}{'mails':>8}{'dupes':>7}")
        for name, secs, tasks, sent, dups in (
            ("planner", ours_s, ours_tasks, ours_sent, ours_dups),
            ("naive", naive_s, naive_tasks, naive_sent, naive_dups),
            ("floor", floor_s, 0, total, 0),
        ):
            print(f"{name:<10}{secs:>9.1f}{total / secs:>9.0f}{tasks:>8}{sent:>8}{dups:>7}")
        print(json.dumps({
            "benchmark": "reminders_sweep", "broker": broker, "database": connection.vendor, "reminders": total,
            "sync_s": round(sync_s, 2), "planner_s": round(ours_s, 2), "planner_tasks": ours_tasks,
            "planner_mails": ours_sent, "planner_duplicates": ours_dups, "naive_s": round(naive_s, 2),
            "naive_tasks": naive_tasks, "naive_mails": naive_sent, "naive_duplicates": naive_dups,
            "floor_s": round(floor_s, 2), "planner_vs_floor": round(ours_s / floor_s, 1),
            "goal_zero_duplicates": ours_dups == 0,
        }))  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
