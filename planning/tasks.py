"""Planning's Celery tasks (thin: a name, ids only, one domain call): conflict checks, bilateral scheduling runs."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from events.models import ConflictCheckRequest
from planning.domain.bilateral_plans import SCHEDULE_TASK, scheduling_run_execute
from planning.domain.conflict_checks import conflicts_check_all, conflicts_check_changes
from planning.domain.conflict_triggers import CHECK_TASK, SCHEDULED_FLAG
from planning.domain.disruptions import ASSESS_TASK, disruption_assess

log = logging.getLogger(__name__)


@shared_task(name=CHECK_TASK, acks_late=True)
def check_pending_conflicts() -> str:
    """Claim every stored change request and re-check the resources they touch. Idempotent: a second run
    finds nothing left to claim; a redelivered run re-checks and converges on the same records."""
    cache.delete(SCHEDULED_FLAG)  # requests stored from now on enqueue a new task
    with transaction.atomic():
        claimed = list(
            ConflictCheckRequest.objects.select_for_update(skip_locked=True).values_list("pk", "key")[:10_000]
        )
        ConflictCheckRequest.objects.filter(pk__in=[pk for pk, _ in claimed]).delete()
    keys = {key for _, key in claimed}
    if not keys:
        return "nothing to check"
    result = conflicts_check_all()[0] if "all" in keys else conflicts_check_changes(keys)
    log.info("conflict check for %d change(s): %s", len(keys), result.summary())
    return result.summary()


@shared_task(name="planning.scan_conflicts", acks_late=True)
def scan_conflicts() -> str:
    """The periodic full scan (django-celery-beat); also drains change requests a lost task left behind."""
    ConflictCheckRequest.objects.all().delete()
    result, _clashes = conflicts_check_all()
    log.info("full conflict scan: %s", result.summary())
    return result.summary()


@shared_task(name=SCHEDULE_TASK, acks_late=True)
def schedule_bilaterals(run_id: int) -> None:
    """Solve a queued bilateral scheduling run; progress and the proposal land on the run row."""
    scheduling_run_execute(run_id)


@shared_task(name=ASSESS_TASK, acks_late=True)
def assess_disruption(disruption_id: int) -> None:
    """Compute a disruption's impact and start its bilateral re-plan (or wait for the event's open run)."""
    disruption_assess(disruption_id=disruption_id)
