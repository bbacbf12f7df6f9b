"""From committed writes to a batched conflict check.

Every audited write publishes its changes (asemplanner.domain.changes); planning subscribes to the models in
ROUTES (planning/apps.py). Writes that can move a clash are turned into keys of the objects they touch; the keys
of one transaction are stored together after it commits (none if it rolls back), and one check task is enqueued
for everything stored within a short debounce window, so a burst of a hundred saves runs a handful of tasks,
not a hundred.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from asemplanner.domain.changes import Change, Route, Routes, everything, itself, on_commit_batch, route_keys, via
from asemplanner.domain.queue import enqueue_on_commit
from asemplanner.refs import ALL, Ref
from delegations.models import Accreditation, Delegation, Person, Travel
from events.models import ConflictCheckRequest, Event, Room, RoomOutage, Session, TransferTime
from protocol.models import BilateralMeeting, ProtocolTask

SCHEDULED_FLAG = "planner:conflict-check-scheduled"
CHECK_TASK = "planning.check_pending_conflicts"
# Past this many changed objects in one transaction (a spreadsheet import, a postponement) one full scan
# is cheaper than storing and re-checking each of them.
FULL_SCAN_ABOVE = 500


# Written model → what to re-check (commitments, resources, whole events, or everything).
ROUTES: Routes = {
    Session: Route("the session", itself("session")),
    BilateralMeeting: Route("the bilateral", itself("bilateral")),
    ProtocolTask: Route("the task", itself("task")),
    Room: Route("what uses the room", itself("room")),
    # Taken out of service, changed or back in service: what uses its room now, and its clashes so far (in the
    # room it held before a change of room).
    RoomOutage: Route("what uses its room", lambda change: via("room", "room_id")(change) | itself("outage")(change)),
    Event: Route("the event", itself("event")),
    Person: Route("the person", itself("person")),
    Travel: Route("the person (arrival, departure)", via("person", "person_id")),
    Accreditation: Route("the person", via("person", "person_id")),
    # A delegation's new head changes who sits in its bilaterals and who counts as a head: re-check the event.
    Delegation: Route("its event (heads, bilaterals)", via("event", "event_id")),
    TransferTime: Route("everything", everything),
}


def on_changes(changes: list[Change]) -> None:
    keys = route_keys(ROUTES, changes)
    if keys:
        on_commit_batch("conflict-check", keys, conflict_check_request)


def check_delay() -> float:
    # Long enough to gather a burst of saves into one task, short enough that a clash shows within ~2 s.
    return float(settings.PLANNER_CONFLICT_CHECK_DELAY)


def conflict_check_request(refs: set[Ref]) -> None:
    """Store the references and make sure one check task is coming."""
    if len(refs) > FULL_SCAN_ABOVE:
        refs = {ALL}
    ConflictCheckRequest.objects.bulk_create(
        [ConflictCheckRequest(key=str(ref)) for ref in sorted(refs)], ignore_conflicts=True
    )
    delay = check_delay()
    # One task per window: the first request in a window enqueues it, later ones only add rows.
    if not cache.add(SCHEDULED_FLAG, "1", timeout=int(delay) + 30):
        return
    # Called after the write committed. On a broker outage the flag goes, so the next write tries again; the
    # stored requests wait for the next task or the periodic full scan.
    enqueue_on_commit(CHECK_TASK, countdown=delay, on_failure=lambda: cache.delete(SCHEDULED_FLAG))
