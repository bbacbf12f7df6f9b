"""Thin Celery tasks for delegations: a name, no objects, one domain call each."""

from __future__ import annotations

import logging

from celery import shared_task

from delegations.domain.member_import.staging import member_imports_prune
from delegations.domain.personal_data import personal_data_purge_due

log = logging.getLogger(__name__)


@shared_task(name="delegations.prune_imports", acks_late=True)
def prune_imports() -> str:
    """Beat, hourly: drop unconfirmed spreadsheet uploads older than a day (they may hold passport data).
    Idempotent: a second run finds nothing left to drop."""
    dropped = member_imports_prune(by="system")
    if dropped:
        log.info("dropped %d stale spreadsheet upload(s)", dropped)
    return f"dropped {dropped}"


@shared_task(name="delegations.purge_personal_data", acks_late=True)
def purge_personal_data() -> str:
    """Beat, daily: purge the personal data of events whose retention has passed. Idempotent: a purged
    event has nothing left to remove."""
    purges = personal_data_purge_due(by="system")
    people = sum(len(purge.people) for purge in purges)
    if people:
        log.info("purged the personal data of %d person(s) in %d event(s)", people, len(purges))
    return f"purged {people} person(s) in {len(purges)} event(s)"
