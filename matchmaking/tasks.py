"""Matchmaking's Celery task (thin: a name, ids only, one domain call). It runs the CP-SAT solver, so it belongs
on the `scheduling` queue with the bilateral runs, away from the reminders."""

from __future__ import annotations

from celery import shared_task

from matchmaking.domain.planning import PLAN_TASK, forum_run_execute


@shared_task(name=PLAN_TASK, acks_late=True)
def plan_forum(run_id: int) -> None:
    """Solve a queued forum run; progress and the draft meetings land on the run."""
    forum_run_execute(run_id)
