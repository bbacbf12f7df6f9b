"""After migrate the roles and the beat schedules are there; the post-migrate step is idempotent, keeps what
staff edited and follows a renamed task."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from asemplanner.domain.bootstrap import beat_schedules_from_settings, planner_bootstrap
from asemplanner.roles import ROLE_MODEL_PERMISSIONS, role_permissions
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

# Written out by hand (not read from settings), so a wrong or lost entry there fails.
SCHEDULES = {
    "Full conflict scan": ("planning.scan_conflicts", 5, "minutes", None),
    "Stale spreadsheet uploads": ("delegations.prune_imports", 1, "hours", 3000),
    "Reminder sweep": ("reminders.sweep", 1, "minutes", 55),
    "Reminder sync": ("reminders.sync_all", 15, "minutes", 600),
}


def group_permissions(name: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def snapshot() -> dict[str, list]:
    """Every row the step may write, with PeriodicTask.date_changed and beat's change marker: a save shows."""
    return {
        "content types": list(ContentType.objects.order_by("pk").values_list()),
        "permissions": list(Permission.objects.order_by("pk").values_list()),
        "groups": list(Group.objects.order_by("pk").values_list()),
        "group permissions": list(Group.permissions.through.objects.order_by("pk").values_list()),
        "intervals": list(IntervalSchedule.objects.order_by("pk").values_list()),
        "periodic tasks": list(PeriodicTask.objects.order_by("pk").values_list()),
        "beat change marker": list(PeriodicTasks.objects.values_list()),
    }


def staff_edit(name: str, *, every: int, period: str, enabled: bool) -> None:
    """As in the admin (Periodic tasks): another interval, paused or not."""
    periodic = PeriodicTask.objects.get(name=name)
    periodic.interval = IntervalSchedule.objects.create(every=every, period=period)
    periodic.enabled = enabled
    periodic.save()


def test_migrate_gives_every_role_exactly_its_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_MODEL_PERMISSIONS)
    for role in ROLE_MODEL_PERMISSIONS:
        assert group_permissions(role) == role_permissions(role), role


@pytest.mark.parametrize(
    ("role", "permission"),
    [
        ("admin", "django_celery_beat.change_periodictask"),
        ("admin", "auth.change_user"),
        ("protocol", "protocol.change_bilateralmeeting"),
        ("security", "delegations.view_sensitive_person"),
        ("security", "badges.view_scanlog"),  # an app listed after the core app in INSTALLED_APPS
        ("accreditation", "badges.add_devicetoken"),
        ("logistics", "delegations.add_travel"),
    ],
    ids=["admin_beat", "admin_users", "protocol_bilaterals", "security_sensitive", "security_scans_later_app",
         "accreditation_tokens", "logistics_travel"],
)  # fmt: skip
def test_migrate_grants_role_permission(role, permission):
    assert permission in group_permissions(role)


def test_migrate_leaves_liaisons_and_logistics_without_sensitive_data():
    assert group_permissions("liaison") == set()
    assert "delegations.view_sensitive_person" not in group_permissions("logistics")


def test_migrate_creates_the_beat_schedules():
    found = {
        periodic.name: (periodic.task, periodic.interval.every, periodic.interval.period, periodic.expire_seconds)
        for periodic in PeriodicTask.objects.filter(name__in=SCHEDULES).select_related("interval")
    }
    assert found == SCHEDULES
    assert PeriodicTask.objects.filter(name__in=SCHEDULES, enabled=True).count() == len(SCHEDULES)
    assert PeriodicTask.objects.get(name="Reminder sweep").description.startswith("Claims due reminders")


def test_bootstrap_twice_changes_nothing():
    before = snapshot()
    planner_bootstrap()
    with CaptureQueriesContext(connection) as queries:
        result = planner_bootstrap()
    assert snapshot() == before
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert (result.schedules.created, result.schedules.retargeted) == ([], [])


def test_bootstrap_recreates_a_deleted_schedule_and_role():
    PeriodicTask.objects.filter(name="Stale spreadsheet uploads").delete()
    Group.objects.filter(name="security").delete()
    result = planner_bootstrap()
    assert result.schedules.created == ["Stale spreadsheet uploads"]
    periodic = PeriodicTask.objects.get(name="Stale spreadsheet uploads")
    assert (periodic.task, periodic.interval.every, periodic.interval.period, periodic.expire_seconds) == (
        "delegations.prune_imports", 1, "hours", 3000
    )  # fmt: skip
    assert group_permissions("security") == role_permissions("security")


def test_bootstrap_keeps_an_interval_and_pause_staff_set():
    staff_edit("Reminder sweep", every=2, period="minutes", enabled=False)
    result = planner_bootstrap()
    periodic = PeriodicTask.objects.select_related("interval").get(name="Reminder sweep")
    assert (periodic.interval.every, periodic.interval.period, periodic.enabled) == (2, "minutes", False)
    assert (result.schedules.created, result.schedules.retargeted) == ([], [])
    assert PeriodicTask.objects.filter(name="Reminder sweep").count() == 1


def test_bootstrap_follows_a_renamed_task_and_keeps_staff_edits(settings):
    staff_edit("Full conflict scan", every=10, period="minutes", enabled=False)
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    PeriodicTasks.objects.update(last_update=long_ago)
    renamed = copy.deepcopy(settings.PLANNER_BEAT_SCHEDULES)
    next(entry for entry in renamed if entry["name"] == "Full conflict scan")["task"] = "planning.scan_everything"
    settings.PLANNER_BEAT_SCHEDULES = renamed

    result = planner_bootstrap()

    assert result.schedules.retargeted == ["Full conflict scan"]
    periodic = PeriodicTask.objects.select_related("interval").get(name="Full conflict scan")
    assert periodic.task == "planning.scan_everything"
    assert (periodic.interval.every, periodic.interval.period, periodic.enabled) == (10, "minutes", False)
    # A running beat (DatabaseScheduler) reloads its schedule when this marker moves.
    assert PeriodicTasks.objects.get().last_update > long_ago
    assert PeriodicTask.objects.get(name="Reminder sync").task == "reminders.sync_all"


def test_post_migrate_signal_runs_the_step_after_every_apps_permissions():
    # Without the permissions of an app listed after the core app, the core app's post_migrate round would
    # come before Django's round for that app creates them.
    Permission.objects.filter(content_type__app_label="badges").delete()
    Group.objects.filter(name="admin").delete()
    PeriodicTask.objects.all().delete()

    emit_post_migrate_signal(verbosity=1, interactive=False, db="default")

    assert group_permissions("security") == role_permissions("security")
    assert group_permissions("admin") == role_permissions("admin")
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= set(SCHEDULES)


def test_post_migrate_step_prints_nothing(capsys):
    Group.objects.filter(name="protocol").delete()
    emit_post_migrate_signal(verbosity=1, interactive=False, db="default")
    assert Group.objects.filter(name="protocol").exists()
    assert capsys.readouterr() == ("", "")


def test_every_scheduled_task_is_a_registered_celery_task():
    celery_app.loader.import_default_modules()
    missing = {entry["task"] for entry in settings.PLANNER_BEAT_SCHEDULES} - set(celery_app.tasks)
    assert missing == set()


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "x", "task": "t", "every": 5, "period": "fortnights"},
        {"name": "x", "task": "t", "every": 0, "period": "minutes"},
        {"name": "x", "task": "t", "every": 5, "period": "minutes", "expires": 30},
        {"name": "x", "every": 5, "period": "minutes"},
    ],
    ids=["unknown_period", "never", "misspelt_key", "no_task"],
)
def test_schedule_settings_mistake_fails_loudly(entry):
    with pytest.raises(ImproperlyConfigured):
        beat_schedules_from_settings([entry])
