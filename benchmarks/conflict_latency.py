"""B8 — from a committed change to its conflict visible, through a real Celery worker.

On the seeded ASEM13 data, the "Senior officials' debrief" is moved in and out of the SGP–THA bilateral's
slot in Peace Palace Bilateral Room 2, N times, through the planner's write path (`session_update`). Each
commit stores a change request and enqueues the batched check after PLANNER_CONFLICT_CHECK_DELAY; a real
worker (in-process, on the configured broker — Redis when REDIS_URL is set) runs the scoped check, and the
clash record opens or resolves. Measured: commit → visible (p50, p95), the task's own run time, and the
Celery share (queueing, debounce and transport: everything that is not the check itself).

    REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/conflict_latency.py [--changes 20]

Prints a table; the last line is one JSON object.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from celery.contrib.testing.worker import start_worker  # noqa: E402
from celery.signals import task_postrun, task_prerun  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from config.celery import app  # noqa: E402
from demo.seed import seed_asem13  # noqa: E402
from events.domain.sessions import session_update  # noqa: E402
from events.models import Conflict, Session  # noqa: E402
from planning.domain.conflict_checks import conflicts_check_all  # noqa: E402
from planning.domain.conflict_triggers import CHECK_TASK, SCHEDULED_FLAG  # noqa: E402

runs: dict[str, float] = {}
durations: list[float] = []


@task_prerun.connect
def _started(task_id=None, task=None, **kwargs):
    if task.name == CHECK_TASK:
        runs[task_id] = time.perf_counter()


@task_postrun.connect
def _finished(task_id=None, task=None, **kwargs):
    if task.name == CHECK_TASK and task_id in runs:
        durations.append((time.perf_counter() - runs.pop(task_id)) * 1000)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=15.0)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        seed_asem13()
        conflicts_check_all()
        cache.delete(SCHEDULED_FLAG)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(app.conf.task_default_queue)
        debrief = Session.objects.get(title="Senior officials' debrief")
        start = debrief.start
        clash = lambda: Conflict.objects.filter(kind="room_double_booked", resource=f"room:{debrief.room_id}")  # noqa: E731
        totals = []
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            for i in range(args.changes):
                overlapping = i % 2 == 1  # the clash exists after the seed; the first change removes it
                end = start + dt.timedelta(minutes=45 if overlapping else 10)
                want = "open" if overlapping else "resolved"
                session_update(session=debrief, end=end, by="bench")
                committed = time.perf_counter()
                while not clash().filter(status=want).exists():
                    if time.perf_counter() - committed > args.timeout:
                        raise SystemExit(f"change {i}: the clash did not become {want} within {args.timeout} s")
                    time.sleep(0.005)
                totals.append((time.perf_counter() - committed) * 1000)
                time.sleep(0.05)
        task_ms = statistics.median(durations) if durations else float("nan")
        p50, p95_total = statistics.median(totals), p95(totals)
        celery_share = (p50 - task_ms) / p50 if durations else float("nan")
        broker = app.conf.broker_url.split("://", 1)[0]
        print(f"broker {broker}, database {connection.vendor}, debounce {settings.PLANNER_CONFLICT_CHECK_DELAY} s")
        print(f"{'changes':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'check task ms':>15}{'celery share':>14}")
        print(f"{len(totals):>8}{p50:>9.0f}{p95_total:>9.0f}{max(totals):>9.0f}{task_ms:>15.0f}{celery_share:>14.0%}")
        print(json.dumps({
            "benchmark": "conflict_latency", "broker": broker, "database": connection.vendor,
            "debounce_s": settings.PLANNER_CONFLICT_CHECK_DELAY, "changes": len(totals),
            "p50_ms": round(p50), "p95_ms": round(p95_total), "max_ms": round(max(totals)),
            "check_task_ms_median": round(task_ms), "check_tasks_run": len(durations),
            "celery_share": round(celery_share, 3), "goal_p95_le_2000_ms": p95_total <= 2000,
        }))  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
