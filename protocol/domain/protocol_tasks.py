"""Protocol tasks (the ProtocolTask rows staff work through): created and updated here, validated and audited.

Not to be confused with `protocol/tasks.py`, the Celery tasks."""

from __future__ import annotations

from typing import Any

from asemplanner.domain.audit import Actor, instance_save
from protocol.models import ProtocolTask


def task_create(*, by: Actor, **fields: Any) -> ProtocolTask:
    task = ProtocolTask(**fields)
    instance_save(instance=task, by=by)
    return task


def task_update(*, task: ProtocolTask, by: Actor, **changes: Any) -> ProtocolTask:
    for name, value in changes.items():
        setattr(task, name, value)
    instance_save(instance=task, by=by)
    return task
