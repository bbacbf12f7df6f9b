"""What every database needs before anyone logs in: the staff roles and the Celery beat schedules.

`planner_bootstrap` runs after every `migrate` (and after `flush`), connected to `post_migrate` in
`AsemplannerConfig.ready()`, so a change to `roles.py` or to `settings.PLANNER_BEAT_SCHEDULES` reaches every
database on its next deploy without a data migration. It is idempotent (a second run writes nothing) and
prints nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from asemplanner.roles import roles_sync

PERIODS = frozenset(period for period, _ in IntervalSchedule.PERIOD_CHOICES)


@dataclass(frozen=True)
class BeatSchedule:
    """A periodic task the planner needs: run `task` every `every` `period` (days, hours, minutes, seconds).

    `expire_seconds`: a message still queued that long after beat sent it is dropped unrun."""

    name: str
    task: str
    every: int
    period: str
    expire_seconds: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ImproperlyConfigured(f"Beat schedule {self.name!r}: period must be one of {sorted(PERIODS)}.")
        if self.every < 1:
            raise ImproperlyConfigured(f"Beat schedule {self.name!r}: every must be 1 or more.")


@dataclass
class BeatSyncResult:
    """Names of the periodic tasks the sync created, and of those whose task name it brought up to date."""

    created: list[str] = field(default_factory=list)
    retargeted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BootstrapResult:
    roles: dict[str, int]
    schedules: BeatSyncResult


def beat_schedules_from_settings(entries: Iterable[Mapping[str, Any]] | None = None) -> list[BeatSchedule]:
    """`settings.PLANNER_BEAT_SCHEDULES` (or `entries`) as typed schedules; a misspelt key fails loudly."""
    entries = settings.PLANNER_BEAT_SCHEDULES if entries is None else entries
    try:
        return [BeatSchedule(**entry) for entry in entries]
    except TypeError as exc:
        raise ImproperlyConfigured(f"PLANNER_BEAT_SCHEDULES: {exc}") from exc


def permissions_create_all(*, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS, verbosity: int = 0) -> None:
    """Create the missing content types and permissions of every installed app.

    Django does this in post_migrate too, but one app at a time in INSTALLED_APPS order, and the core app's
    turn comes before the apps listed after it: the roles could not get their permissions in the same
    migrate. Doing it for all apps first is idempotent; Django's own rounds then find nothing to add."""
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=verbosity, interactive=False, using=using, apps=apps)


def beat_schedules_sync(*, schedules: Sequence[BeatSchedule], using: str = DEFAULT_DB_ALIAS) -> BeatSyncResult:
    """Create each missing periodic task, with an interval schedule of its period.

    A periodic task that exists keeps what staff may have changed in the admin (interval, enabled, expiry,
    description); only its task name follows the settings, so that a task renamed in the code is not left
    scheduled under a name no worker knows. PeriodicTask.save() also tells a running beat to reload."""
    result = BeatSyncResult()
    existing = {
        periodic.name: periodic
        for periodic in PeriodicTask.objects.using(using).filter(name__in=[schedule.name for schedule in schedules])
    }
    for schedule in schedules:
        periodic = existing.get(schedule.name)
        if periodic is None:
            PeriodicTask(
                name=schedule.name,
                task=schedule.task,
                interval=_interval(every=schedule.every, period=schedule.period, using=using),
                enabled=True,
                expire_seconds=schedule.expire_seconds,
                description=schedule.description,
            ).save(using=using)
            result.created.append(schedule.name)
        elif periodic.task != schedule.task:
            periodic.task = schedule.task
            periodic.save(using=using, update_fields=["task"])
            result.retargeted.append(schedule.name)
    return result


def planner_bootstrap(
    *, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS, verbosity: int = 0
) -> BootstrapResult | None:
    """Permissions of all apps, then the roles and the beat schedules. `apps` is the migrated state that
    post_migrate passes: when it lacks a model (after `migrate auth zero`, say), there is nothing to sync."""
    if not _migrated(apps, "auth.Group", "auth.Permission", "django_celery_beat.PeriodicTask"):
        return None
    with transaction.atomic(using=using):
        permissions_create_all(apps=apps, using=using, verbosity=verbosity)
        # Not strict: after a partial migrate (`migrate asemplanner` on a fresh database) the apps not yet
        # migrated have no permissions; the next full migrate grants them.
        roles = roles_sync(Group, Permission, strict=False, using=using)
        schedules = beat_schedules_sync(schedules=beat_schedules_from_settings(), using=using)
    return BootstrapResult(roles=roles, schedules=schedules)


def _interval(*, every: int, period: str, using: str) -> IntervalSchedule:
    # (every, period) is not unique in django-celery-beat: staff may have made the same interval twice.
    interval = IntervalSchedule.objects.using(using).filter(every=every, period=period).order_by("pk").first()
    return interval or IntervalSchedule.objects.using(using).create(every=every, period=period)


def _migrated(apps: Apps, *models: str) -> bool:
    try:
        for model in models:
            apps.get_model(model)
    except LookupError:
        return False
    return True
