"""End to end: a committed change → a batched task on the broker (Redis in CI) → a real worker → the
conflict is stored; fixing it resolves it the same way."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from config.celery import app
from events.domain.sessions import session_update
from events.models import Conflict, Session
from planning.domain.conflict_triggers import SCHEDULED_FLAG
from protocol.domain.bilaterals import bilateral_accept, bilateral_request, bilateral_schedule
from tests.factories import DelegationFactory, EventFactory, RoomFactory, at


def wait_for(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.postgres  # SQLite's shared in-memory test database locks tables between the worker thread and the test
@pytest.mark.django_db(transaction=True)
def test_committed_change_is_checked_by_a_real_worker(settings):
    settings.PLANNER_CONFLICT_CHECK_DELAY = 0.2
    cache.delete(SCHEDULED_FLAG)
    with app.connection_for_write() as conn:
        for queue in app.conf.task_queues:  # the check tasks are routed to their own queue (conflicts)
            conn.default_channel.queue_purge(queue.name)
    event, room = EventFactory(acronym="ASEM13"), RoomFactory(name="Bilateral Room 2")
    session = Session.objects.create(event=event, title="Debrief", room=room, start=at(0, "10:00"), end=at(0, "11:00"))
    requester, counterpart = DelegationFactory(event=event), DelegationFactory(event=event)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # Through the domain functions, as staff would: each commit enqueues a (batched) check.
        meeting = bilateral_request(requester=requester, counterpart=counterpart, duration=30, priority=3, by="t")
        bilateral_accept(meeting=meeting, by="t")
        bilateral_schedule(meeting=meeting, room=room, start=at(0, "10:30"), by="t")
        assert wait_for(lambda: Conflict.objects.filter(kind="room_double_booked", status="open").exists())

        session_update(session=session, end=at(0, "10:30"), by="test")
        assert wait_for(lambda: Conflict.objects.filter(status="resolved").exists())
    conflict = Conflict.objects.get()
    assert conflict.first == f"session:{session.pk}" or conflict.second == f"session:{session.pk}"
