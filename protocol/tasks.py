"""Protocol Celery tasks (thin: an explicit name, ids only, one domain call)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="protocol.generate_tasks", acks_late=True)
def generate_tasks(event_ids: list[int]) -> dict[int, str]:
    """Re-generate the travel and bilateral tasks of these events (queued after travel changes commit)."""
    from protocol.domain.task_generation import SYSTEM_ACTOR, tasks_generate_for_events

    summaries = tasks_generate_for_events(event_ids=event_ids, by=SYSTEM_ACTOR)
    return {pk: str(summary) for pk, summary in summaries.items()}


@shared_task(name="protocol.schedule_bilaterals", acks_late=True)
def schedule_bilaterals(run_id: int) -> None:
    """Solve a queued bilateral scheduling run; progress and the proposal land on the run row."""
    from protocol.domain.bilateral_plans import scheduling_run_execute

    scheduling_run_execute(run_id)
