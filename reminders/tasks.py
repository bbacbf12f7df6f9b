"""Thin Celery tasks for reminders: a name, primitive arguments, one domain call each."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from reminders.domain.sending import reminders_send, reminders_sweep
from reminders.domain.subjects import Scope
from reminders.domain.sync import reminders_sync

log = logging.getLogger(__name__)


@shared_task(name="reminders.sweep", acks_late=True, reject_on_worker_lost=True)
def sweep() -> str:
    """Beat, every minute: claim what is due and enqueue it in batches. Safe to run twice at once."""
    result = reminders_sweep()
    if result.claimed:
        log.info("reminder sweep: %s", result.summary())
    return result.summary()


@shared_task(name="reminders.send", acks_late=True, reject_on_worker_lost=True)
def send(ids: list[int], claim: str | None = None) -> str:
    """Send one batch of reminders claimed at `claim`; a redelivered batch sends nothing twice."""
    claimed_at = dt.datetime.fromisoformat(claim) if claim else None
    result = reminders_send(ids=[int(pk) for pk in ids], claim=claimed_at)
    log.info("reminders sent: %s", result.summary())
    return result.summary()


@shared_task(name="reminders.sync_all", acks_late=True, reject_on_worker_lost=True)
def sync_all() -> str:
    """Beat, every 15 minutes: bring every reminder in line with the rules (catches a change a trigger missed)."""
    result = reminders_sync(scope=Scope(all=True))
    log.info("reminder sync: %s", result.summary())
    return result.summary()
