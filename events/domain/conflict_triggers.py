"""From committed writes to a batched conflict check.

Every audited write is published (asemplanner.domain.changes). Writes that can move a clash are turned
into keys of the objects they touch; the keys of one transaction are stored together after it commits
(none if it rolls back), and one check task is enqueued for everything stored within a short debounce
window, so a burst of a hundred saves runs a handful of tasks, not a hundred.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from kombu.exceptions import OperationalError

from asemplanner.domain.changes import on_commit_batch
from events.models import ConflictCheckRequest

SCHEDULED_FLAG = "planner:conflict-check-scheduled"
CHECK_TASK = "events.check_pending_conflicts"
# Past this many changed objects in one transaction (a spreadsheet import, a postponement) one full scan
# is cheaper than storing and re-checking each of them.
FULL_SCAN_ABOVE = 500
log = logging.getLogger(__name__)


def _keys(entry: Any) -> set[str]:
    label = f"{entry.content_type.app_label}.{entry.content_type.model}"
    instance, pk = entry.instance, entry.object_id
    match label:
        case "events.session":
            return {f"session:{pk}"}
        case "protocol.bilateralmeeting":
            return {f"bilateral:{pk}"}
        case "protocol.protocoltask":
            return {f"task:{pk}"}
        case "events.room":
            return {f"room:{pk}"}
        case "events.event":
            return {f"event:{pk}"}
        case "delegations.person":
            return {f"person:{pk}"}
        case "delegations.travel" | "delegations.accreditation":
            return {f"person:{instance.person_id}"}
        case "delegations.delegation":
            # A new head changes who sits in its bilaterals and who counts as a head: re-check the event.
            return {f"event:{instance.event_id}"}
        case "events.transfertime":
            return {"all"}
    return set()


def on_writes(entries: list[Any]) -> None:
    keys = set().union(*(_keys(entry) for entry in entries)) if entries else set()
    if keys:
        on_commit_batch("conflict-check", keys, conflict_check_request)


def check_delay() -> float:
    # Long enough to gather a burst of saves into one task, short enough that a clash shows within ~2 s.
    return float(settings.PLANNER_CONFLICT_CHECK_DELAY)


def conflict_check_request(keys: set[str]) -> bool:
    """Store the keys and make sure one check task is coming. Returns True when this call enqueued it."""
    if len(keys) > FULL_SCAN_ABOVE:
        keys = {"all"}
    ConflictCheckRequest.objects.bulk_create(
        [ConflictCheckRequest(key=key) for key in sorted(keys)], ignore_conflicts=True
    )
    delay = check_delay()
    # One task per window: the first request in a window enqueues it, later ones only add rows.
    if not cache.add(SCHEDULED_FLAG, "1", timeout=int(delay) + 30):
        return False
    try:
        current_app.send_task(CHECK_TASK, countdown=delay)
    except (OperationalError, OSError) as exc:
        # The write has committed; a broker outage must not turn it into an error page. The stored
        # requests wait for the next task or the periodic full scan.
        cache.delete(SCHEDULED_FLAG)
        log.warning("could not enqueue the conflict check (%s); the periodic scan will catch up", exc)
        return False
    return True
