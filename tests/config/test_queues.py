"""Every Celery task goes to a queue chosen on purpose, read through Celery's own router (docs/deployment.md,
"Queues"): the solver and the conflict checks never sit in front of a reminder."""

from __future__ import annotations

import pytest
from celery import current_app
from django.conf import settings

PLANNER_APPS = (
    "asemplanner", "events", "delegations", "protocol", "reminders", "badges", "matchmaking", "planning", "portal",
    "demo",
)  # fmt: skip


def planner_tasks() -> set[str]:
    """The tasks the planner's code defines, registered as a worker registers them."""
    current_app.loader.import_default_modules()
    return {name for name in current_app.tasks if name.split(".")[0] in PLANNER_APPS}


def routed_queue(task_name: str) -> str:
    return current_app.amqp.router.route({}, task_name, (), {})["queue"].name


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        pytest.param("planning.check_pending_conflicts", "conflicts", id="conflict_check_after_changes"),
        pytest.param("planning.scan_conflicts", "conflicts", id="full_conflict_scan"),
        pytest.param("reminders.sweep", "reminders", id="reminder_sweep"),
        pytest.param("reminders.send", "reminders", id="reminder_send"),
        pytest.param("planning.schedule_bilaterals", "scheduling", id="solver_run"),
        pytest.param("matchmaking.plan_forum", "scheduling", id="forum_matchmaking_run"),
        pytest.param("reminders.sync_all", "celery", id="reminder_replan_safety_net"),
        pytest.param("planning.assess_disruption", "celery", id="disruption_impact"),
        pytest.param("protocol.generate_tasks", "celery", id="protocol_task_generation"),
        pytest.param("delegations.prune_imports", "celery", id="prune_imports"),
        pytest.param("delegations.purge_personal_data", "celery", id="retention_purge"),
        pytest.param("events.healthcheck", "celery", id="healthcheck"),
    ],
)
def test_task_lands_on_its_queue(task_name, queue):
    assert task_name in planner_tasks()
    assert routed_queue(task_name) == queue


def test_every_task_the_code_defines_has_a_deliberate_route():
    tasks = planner_tasks()
    assert len(tasks) >= 11
    unrouted = tasks - set(settings.CELERY_TASK_ROUTES)
    assert not unrouted, f"tasks without an entry in CELERY_TASK_ROUTES: {sorted(unrouted)}"
    stale = set(settings.CELERY_TASK_ROUTES) - tasks
    assert not stale, f"routes for tasks nobody defines: {sorted(stale)}"


def test_reminders_have_a_queue_no_other_task_uses():
    sharing = {name for name in planner_tasks() if routed_queue(name) == "reminders"}
    assert sharing == {"reminders.sweep", "reminders.send"}
    assert routed_queue("planning.schedule_bilaterals") not in {"reminders", "conflicts"}


def test_a_worker_started_without_queues_consumes_every_routed_queue():
    """`celery worker` with no -Q (dev.py up, the README's one-worker start) listens to app.amqp.queues."""
    consumed = set(current_app.amqp.queues.consume_from or current_app.amqp.queues)
    routed = {routed_queue(name) for name in planner_tasks()}
    assert routed <= consumed
    assert consumed == {"celery", "conflicts", "reminders", "scheduling"}


def test_an_explicit_queue_still_wins_over_the_route():
    """The worker tests give each run its own reminders queue by sending there explicitly."""
    assert current_app.amqp.router.route({"queue": "reminders-test-x"}, "reminders.send", (), {})["queue"].name == (
        "reminders-test-x"
    )
