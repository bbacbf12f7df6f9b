"""Protocol Celery tasks (thin: an explicit name, ids only, one domain call)."""

from __future__ import annotations

from celery import shared_task

from protocol.domain.task_generation import GENERATE_TASK, SYSTEM_ACTOR, tasks_generate_for_events


@shared_task(name=GENERATE_TASK, acks_late=True)
def generate_tasks(event_ids: list[int]) -> dict[int, str]:
    """Re-generate the travel and bilateral tasks of these events (queued after travel changes commit)."""
    summaries = tasks_generate_for_events(event_ids=event_ids, by=SYSTEM_ACTOR)
    return {pk: str(summary) for pk, summary in summaries.items()}
