"""From committed writes to a batched conflict check.

Every audited write publishes its changes (asemplanner.domain.changes); planning subscribes to the models in
ROUTES (planning/apps.py). Writes that can move a clash are turned into keys of the objects they touch; the keys
of one transaction are stored together after it commits (none if it rolls back), and one check task is enqueued
for everything stored within a short debounce window, so a burst of a hundred saves runs a handful of tasks,
not a hundred.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from asemplanner.domain.changes import Change, Route, Routes, on_commit_batch, route_keys
from asemplanner.domain.queue import enqueue_on_commit
from asemplanner.refs import ALL, Ref
from delegations.models import Accreditation, Delegation, Person, Travel
from events.models import ConflictCheckRequest, Event, Room, Session, TransferTime
from protocol.models import BilateralMeeting, ProtocolTask

SCHEDULED_FLAG = "planner:conflict-check-scheduled"
CHECK_TASK = "planning.check_pending_conflicts"
# Past this many changed objects in one transaction (a spreadsheet import, a postponement) one full scan
# is cheaper than storing and re-checking each of them.
FULL_SCAN_ABOVE = 500


def _person_of(change: Change) -> set[Ref]:
    return {Ref("person", change.instance.person_id)}  # type: ignore[attr-defined]  # why: Travel, Accreditation


def _event_of(change: Change) -> set[Ref]:
    # A delegation's new head changes who sits in its bilaterals and who counts as a head: re-check the event.
    return {Ref("event", change.instance.event_id)}  # type: ignore[attr-defined]  # why: Delegation


def _itself(kind: str) -> Callable[[Change], set[Ref]]:
    return lambda change: {Ref(kind, change.pk_int or 0)}


# Written model → what to re-check (commitments, resources, whole events, or everything).
ROUTES: Routes = {
    Session: Route("the session", _itself("session")),
    BilateralMeeting: Route("the bilateral", _itself("bilateral")),
    ProtocolTask: Route("the task", _itself("task")),
    Room: Route("what uses the room", _itself("room")),
    Event: Route("the event", _itself("event")),
    Person: Route("the person", _itself("person")),
    Travel: Route("the person (arrival, departure)", _person_of),
    Accreditation: Route("the person", _person_of),
    Delegation: Route("its event (heads, bilaterals)", _event_of),
    TransferTime: Route("everything", lambda change: {ALL}),
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
