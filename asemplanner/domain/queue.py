"""Enqueueing Celery tasks by name, after the transaction commits, with the broker-outage guard in one place.

Domain code never imports a tasks module: it names the task (`"planning.check_pending_conflicts"`), so the
tasks import the domain and not the other way round. The task is sent only once the write it follows has
committed (a worker would not see uncommitted rows), and a broker that is down never turns a committed write
into an error page: the failure is logged and `on_failure` runs, and every follow-up has a periodic safety net
(the beat scan, the reminder sync, the admin's re-generation) that catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)


def _registered(task_name: str) -> Any:
    """The task, if this process knows it (importing the apps' tasks modules once, as a worker does)."""
    if task_name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks.get(task_name)


def _send(
    task_name: str,
    *,
    args: Sequence[Any] = (),
    countdown: float | None = None,
    queue: str | None = None,
    on_failure: Callable[[], object] | None = None,
) -> bool:
    """Send the task now. Returns False (and logs, and calls `on_failure`) when the broker cannot take it."""
    options: dict[str, Any] = {}
    if countdown is not None:
        options["countdown"] = countdown
    if queue is not None:
        options["queue"] = queue
    try:
        task = _registered(task_name)
        if task is not None:
            task.apply_async(args=list(args), **options)  # honours task_always_eager (tests, a worker-less setup)
        else:
            current_app.send_task(task_name, args=list(args), **options)
    except (OperationalError, OSError) as exc:
        log.warning("could not enqueue %s (%s); its periodic safety net will catch up", task_name, exc)
        if on_failure is not None:
            on_failure()
        return False
    return True


def enqueue_on_commit(
    task_name: str,
    *,
    args: Sequence[Any] = (),
    countdown: float | None = None,
    queue: str | None = None,
    on_failure: Callable[[], object] | None = None,  # its result is ignored
) -> None:
    """Send the task after the current transaction commits (at once outside one; never after a rollback).
    Every enqueue of the planner goes through here."""
    transaction.on_commit(lambda: _send(task_name, args=args, countdown=countdown, queue=queue, on_failure=on_failure))
