"""Exactly once against a real Celery worker process on a real Redis, through crashes and restarts.

Each test gets its own redis-server (on a free port, no persistence, like CI's) so it can restart it, and
its own worker process (`celery worker`, prefork pool) reading the test database. Mail goes to a file the
test counts (tests/reminders/mailbackends.py). The worker's clock is set with time-machine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
import time_machine
from celery import Celery
from django.db import connection

from reminders.models import Reminder
from tests.conftest import REQUIRE_SERVICES
from tests.factories import ReminderRuleFactory, at
from tests.reminders.conftest import sync_all

ROOT = Path(__file__).resolve().parents[2]
PLANNED_AT = at(-30, "16:00")  # 17 Oct 2020; the passport deadline is 26 Oct 17:00

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, seconds: float = 45.0, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


class RedisServer:
    def __init__(self, directory: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.directory, self.process = directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def up() -> bool:
            try:
                return client.ping()
            except redis.RedisError:
                return False

        wait_for(up, 10, "redis-server to start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # like a crash: nothing is saved (and there is no persistence anyway)
            self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is not installed; the reliability tests need their own Redis.")
        pytest.skip("needs the redis-server binary")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.process = env, log, None

    def start(self, *, travel: dt.datetime | None = None) -> None:
        env = dict(self.env)
        if travel:
            env["PLANNER_TEST_TRAVEL"] = travel.isoformat()
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "tests.reminders.worker_main",
                "-A",
                "config",
                "worker",
                "-P",
                "prefork",
                "-c",
                "1",
                "-Q",
                env["PLANNER_REMINDER_QUEUE"],
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "-l",
                "INFO",
                "-n",
                f"reminders-test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: "ready." in self.log.read_text(), 60, "the worker to start")

    def kill(self) -> None:
        """SIGKILL the worker and its pool: a crash, with no chance to acknowledge or clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def outbox(tmp_path):
    path = tmp_path / "outbox.jsonl"
    path.touch()

    def read() -> list[dict]:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    read.path = path
    return read


@pytest.fixture
def worker(redis_server, outbox, tmp_path):
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        f"/{settings['NAME']}",
        "REDIS_URL": redis_server.url,
        "EMAIL_BACKEND": "tests.reminders.mailbackends.FileOutboxBackend",
        "PLANNER_TEST_OUTBOX": str(outbox.path),
        "PLANNER_TEST_MAIL_HOLD": str(tmp_path / "hold"),
        "PLANNER_REMINDER_QUEUE": f"reminders-test-{uuid.uuid4().hex[:8]}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("PLANNER_TEST_TRAVEL", None)
    handle = Worker(env, tmp_path / "worker.log")
    handle.hold = tmp_path / "hold"
    # Not the current app: the planner's own enqueues in this test process must keep using the planner's app
    # (and its broker), not this client's, whose redis-server is gone after the test.
    client = Celery("test-client", broker=redis_server.url, set_as_current=False)
    client.conf.broker_connection_retry_on_startup = True

    def sweep() -> None:
        """What beat does every minute: put one sweep task on the broker."""
        client.send_task("reminders.sweep", queue=env["PLANNER_REMINDER_QUEUE"])

    handle.sweep = sweep
    yield handle
    handle.kill()
    client.close()


def plan_reminders(count: int, *, first_due: dt.datetime, spacing: dt.timedelta) -> list[Reminder]:
    """`count` passport reminders for the summit's liaison, falling due from `first_due`, `spacing` apart."""
    deadline = at(-21, "17:00")
    for n in range(count):
        offset = first_due + n * spacing - deadline
        ReminderRuleFactory(offset_minutes=int(offset.total_seconds() // 60))
    with time_machine.travel(PLANNED_AT, tick=False):
        sync_all()
    return list(Reminder.objects.order_by("due_at"))


def statuses() -> list[str]:
    return list(Reminder.objects.order_by("due_at").values_list("status", flat=True))


def test_due_reminder_is_sent_once_by_one_sweep(summit, worker, outbox):
    (reminder,) = plan_reminders(1, first_due=at(-30, "17:00"), spacing=dt.timedelta(0))
    worker.start(travel=reminder.due_at + dt.timedelta(seconds=5))
    worker.sweep()
    wait_for(lambda: statuses() == ["sent"], what="the reminder to be sent")
    worker.sweep()  # beat's next minute: nothing left to claim
    worker.sweep()
    time.sleep(2)
    assert len(outbox()) == 1
    assert outbox()[0]["to"] == ["liaison-x@example.org"]
    reminder.refresh_from_db()
    assert reminder.late is False


def test_worker_killed_mid_send_sends_exactly_once_after_redelivery(summit, worker, outbox):
    (reminder,) = plan_reminders(1, first_due=at(-30, "17:00"), spacing=dt.timedelta(0))
    worker.hold.touch()  # the mail server will hang until the test lets go
    worker.start(travel=reminder.due_at + dt.timedelta(seconds=5))
    worker.sweep()
    started = Path(f"{worker.hold}.started")
    wait_for(started.exists, what="the send to start")
    os.kill(int(started.read_text()), signal.SIGKILL)  # the pool process, in the middle of sending
    worker.hold.unlink()
    wait_for(lambda: statuses() == ["sent"], what="the redelivered send")
    time.sleep(1)
    assert len(outbox()) == 1
    assert "WorkerLostError" in worker.log.read_text() or "SIGKILL" in worker.log.read_text()


def test_workers_down_for_two_hours_send_each_missed_reminder_once_marked_late(summit, worker, outbox):
    first_due = at(-30, "17:10")
    reminders = plan_reminders(4, first_due=first_due, spacing=dt.timedelta(minutes=30))
    assert [r.due_at for r in reminders][-1] == at(-30, "18:40")
    worker.start(travel=first_due + dt.timedelta(hours=2))  # 19:10: every one is overdue
    worker.sweep()
    wait_for(lambda: statuses() == ["sent"] * 4, what="the missed reminders")
    worker.sweep()
    time.sleep(2)
    sent = outbox()
    assert len(sent) == 4
    assert len({line["message_id"] for line in sent}) == 4
    assert list(Reminder.objects.values_list("late", flat=True)) == [True] * 4


def test_worker_crash_and_redis_restart_lose_nothing_and_duplicate_nothing(summit, worker, outbox, redis_server):
    reminders = plan_reminders(3, first_due=at(-30, "17:00"), spacing=dt.timedelta(minutes=1))
    worker.env["PLANNER_REMINDER_REQUEUE_AFTER"] = "3"
    worker.hold.touch()
    worker.start(travel=reminders[-1].due_at + dt.timedelta(seconds=5))
    worker.sweep()
    wait_for(Path(f"{worker.hold}.started").exists, what="the send to start")
    # Everything goes down at once: the worker (pool included) and Redis with every message on it.
    worker.kill()
    redis_server.stop()
    assert set(statuses()) == {"queued"}
    redis_server.start()
    worker.hold.unlink()
    worker.start(travel=reminders[-1].due_at + dt.timedelta(seconds=30))
    worker.sweep()  # beat's next sweep hands the stranded claims out again
    wait_for(lambda: statuses() == ["sent"] * 3, what="the stranded reminders")
    worker.sweep()
    time.sleep(2)
    assert len(outbox()) == 3
    assert len({line["message_id"] for line in outbox()}) == 3


def test_redis_restarted_under_a_running_worker_loses_nothing(summit, worker, outbox, redis_server):
    reminders = plan_reminders(2, first_due=at(-30, "17:00"), spacing=dt.timedelta(minutes=1))
    worker.start(travel=reminders[-1].due_at + dt.timedelta(seconds=5))
    redis_server.stop()  # Redis goes away (and, with no persistence, everything on it) under a running worker
    time.sleep(1)
    redis_server.start()
    worker.sweep()  # beat's next minute, once Redis is back; the worker has reconnected by itself
    wait_for(lambda: statuses() == ["sent"] * 2, 90, what="the reminders after the restart")
    worker.sweep()
    time.sleep(2)
    assert len(outbox()) == 2
