"""From committed writes to reminders that follow them.

Audited writes are published (asemplanner.domain.changes); the ones that move a deadline or a start, cancel
a subject, change who should hear of it or change a rule are turned into a sync scope, gathered per
transaction and synced once after it commits (none if it rolls back). The sync is a few queries per
transaction, so it runs right there, not in a task: a liaison who moves a bilateral sees the reminders move
when the page reloads.
"""

from __future__ import annotations

import logging
from typing import Any

from asemplanner.domain.changes import on_commit_batch
from reminders.domain.subjects import Scope
from reminders.domain.sync import reminders_sync

log = logging.getLogger(__name__)
ALL = ("all", 0)


def _refs(entry: Any) -> set[tuple[str, int]]:
    label = f"{entry.content_type.app_label}.{entry.content_type.model}"
    instance = entry.instance
    pk = int(entry.object_id) if str(entry.object_id).isdigit() else 0
    match label:
        case "events.session":
            return {("session", pk)}
        case "protocol.protocoltask":
            return {("task", pk)}
        case "protocol.bilateralmeeting":
            return {("bilateral", pk)}
        case "delegations.delegation":
            return {("delegation", pk)} | {("event-of-delegation", pk)}
        case "events.event":
            return {("events", pk)}
        case "reminders.deadline":
            return {("events", instance.event_id)}
        case "reminders.reminderrule" | "auth.user":
            # A rule reaches every subject of its kind; a user's roles reach every rule sent to a role.
            return {ALL}
    return set()


def on_writes(entries: list[Any]) -> None:
    refs = set().union(*(_refs(entry) for entry in entries)) if entries else set()
    if refs:
        on_commit_batch("reminder-sync", refs, reminders_sync_refs)


def reminders_sync_refs(refs: set[tuple[str, int]]) -> None:
    if ALL in refs:
        scope = Scope(all=True)
    else:
        events = frozenset(pk for kind, pk in refs if kind == "events")
        # A delegation's liaisons also hear of its bilaterals and tasks: re-plan its event.
        events |= _events_of_delegations({pk for kind, pk in refs if kind == "event-of-delegation"})
        scope = Scope(events=events, refs=frozenset(r for r in refs if r[0] not in {"events", "event-of-delegation"}))
    try:
        result = reminders_sync(scope=scope)
    except Exception:
        # The write has committed; a failed re-plan is repaired by the sync_all beat task within 15 minutes.
        log.exception("reminder sync after a change failed; the periodic sync will repair it")
        return
    if result.created or result.moved or result.removed or result.notices:
        log.info("reminders re-planned: %s", result.summary())


def _events_of_delegations(delegation_ids: set[int]) -> frozenset[int]:
    if not delegation_ids:
        return frozenset()
    from delegations.models import Delegation

    return frozenset(Delegation.objects.filter(pk__in=delegation_ids).values_list("event_id", flat=True))
