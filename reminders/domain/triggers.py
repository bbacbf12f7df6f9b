"""From committed writes to reminders that follow them.

Writes publish their changes (asemplanner.domain.changes); reminders subscribe to the models in ROUTES
(reminders/apps.py). The ones that move a deadline or a start, cancel
a subject, change who should hear of it or change a rule are turned into a sync scope, gathered per
transaction and synced once after it commits (none if it rolls back). The sync is a few queries per
transaction, so it runs right there, not in a task: a liaison who moves a bilateral sees the reminders move
when the page reloads.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import User

from asemplanner.domain.changes import Change, Route, Routes, everything, itself, on_commit_batch, route_keys, via
from asemplanner.refs import ALL, Ref
from delegations.models import Delegation, Person, Travel
from events.models import Event, Session
from protocol.models import BilateralMeeting, ProtocolTask
from reminders.domain.subjects import Scope
from reminders.domain.sync import reminders_sync
from reminders.models import Deadline, ReminderRule

log = logging.getLogger(__name__)


# Written model → the subjects whose reminders to re-plan.
ROUTES: Routes = {
    Session: Route("the session's", itself("session")),
    ProtocolTask: Route("the task's", itself("task")),
    BilateralMeeting: Route("the bilateral's", itself("bilateral")),
    # A delegation's liaisons also hear of its bilaterals and tasks: re-plan its event.
    Delegation: Route(
        "its event's",
        lambda change: {Ref("delegation", change.pk_int or 0), Ref("event-of-delegation", change.pk_int or 0)},
    ),
    Event: Route("the event's", itself("events")),
    Deadline: Route("its event's", via("events", "event_id")),
    # A flight or hotel changes the delegation's readiness (the travel and hotel reminders) and the times of the
    # protocol tasks made from it (reception, motorcade, farewell): re-plan both here, without waiting for the
    # tasks to be re-generated (which re-plans them again if their times move).
    Travel: Route("the delegation's and the person's travel tasks'", via("travel-of-person", "person_id")),
    # A rule reaches every subject of its kind; a user's roles reach every rule sent to a role.
    ReminderRule: Route("all", everything),
    User: Route("all", everything),
}


def on_changes(changes: list[Change]) -> None:
    refs = route_keys(ROUTES, changes)
    if refs:
        on_commit_batch("reminder-sync", refs, reminders_sync_refs)


def reminders_sync_refs(refs: set[Ref]) -> None:
    if ALL in refs:
        scope = Scope(all=True)
    else:
        events = frozenset(pk for kind, pk in refs if kind == "events")
        # A delegation's liaisons also hear of its bilaterals and tasks: re-plan its event.
        events |= _events_of_delegations({pk for kind, pk in refs if kind == "event-of-delegation"})
        plain = {r for r in refs if r.kind not in {"events", "event-of-delegation", "travel-of-person"}}
        plain |= _travel_subjects({pk for kind, pk in refs if kind == "travel-of-person"})
        scope = Scope(events=events, refs=frozenset(plain))
    try:
        result = reminders_sync(scope=scope)
    except Exception:
        # The write has committed; a failed re-plan is repaired by the sync_all beat task within 15 minutes.
        log.exception("reminder sync after a change failed; the periodic sync will repair it")
        return
    if result.created or result.moved or result.removed or result.notices:
        log.info("reminders re-planned: %s", result.summary())


def _travel_subjects(person_ids: set[int]) -> set[Ref]:
    """The person's delegation and the protocol tasks made from the person's travel."""
    if not person_ids:
        return set()
    delegations = Person.objects.filter(pk__in=person_ids).values_list("delegation_id", flat=True)
    tasks = ProtocolTask.objects.filter(person_id__in=person_ids, source_key__startswith="travel:")
    return {Ref("delegation", pk) for pk in delegations} | {
        Ref("task", pk) for pk in tasks.values_list("pk", flat=True)
    }


def _events_of_delegations(delegation_ids: set[int]) -> frozenset[int]:
    if not delegation_ids:
        return frozenset()
    return frozenset(Delegation.objects.filter(pk__in=delegation_ids).values_list("event_id", flat=True))
