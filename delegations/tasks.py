"""Thin Celery tasks for delegations: a name, no objects, one domain call each."""

from __future__ import annotations

import logging

from celery import shared_task

from delegations.domain.member_import.staging import member_imports_prune

log = logging.getLogger(__name__)


@shared_task(name="delegations.prune_imports", acks_late=True)
def prune_imports() -> str:
    """Beat, hourly: drop unconfirmed spreadsheet uploads older than a day (they may hold passport data).
    Idempotent: a second run finds nothing left to drop."""
    dropped = member_imports_prune(by="system")
    if dropped:
        log.info("dropped %d stale spreadsheet upload(s)", dropped)
    return f"dropped {dropped}"
