"""The migrations match the models and keep what makemigrations would not write by itself."""

from __future__ import annotations

import importlib
import io
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.operations import BtreeGistExtension
from django.core.management import call_command
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader

from badges.models import FeedCounter

pytestmark = pytest.mark.django_db


def planned_operations() -> list[tuple[str, migrations.operations.base.Operation]]:
    """Every operation of a full migrate, in the order it runs."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan = []
    for leaf in loader.graph.leaf_nodes():
        plan += [node for node in loader.graph.forwards_plan(leaf) if node not in plan]
    return [(f"{app}.{name}", op) for app, name in plan for op in loader.graph.nodes[(app, name)].operations]


def adds_exclusion_constraint(operation) -> bool:
    if isinstance(operation, migrations.AddConstraint):
        return isinstance(operation.constraint, ExclusionConstraint)
    if isinstance(operation, migrations.CreateModel):
        return any(isinstance(c, ExclusionConstraint) for c in operation.options.get("constraints", []))
    return False


def test_models_need_no_new_migration():
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())  # SystemExit(1) if they do


def test_btree_gist_is_created_before_any_exclusion_constraint():
    operations = [op for _, op in planned_operations()]
    gist = next(i for i, op in enumerate(operations) if isinstance(op, BtreeGistExtension))
    exclusions = [i for i, op in enumerate(operations) if adds_exclusion_constraint(op)]
    assert len(exclusions) == 2  # session_room_no_overlap, bilateral_room_no_overlap
    assert gist < min(exclusions)


@pytest.mark.postgres
def test_btree_gist_is_installed_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'")
        assert cursor.fetchone() == (1,)


def test_migrations_start_the_badge_feed_counter():
    migration = importlib.import_module("badges.migrations.0001_initial")
    FeedCounter.objects.all().delete()
    editor = SimpleNamespace(connection=connection)
    migration.feed_counter_start(apps, editor)
    migration.feed_counter_start(apps, editor)
    assert list(FeedCounter.objects.values_list("pk", "value")) == [(1, 0)]


def test_no_migration_syncs_roles_or_schedules():
    # They are synced after every migrate (asemplanner/domain/bootstrap.py), not by data migrations.
    planner_apps = {"asemplanner", "events", "delegations", "protocol", "reminders", "badges"}
    data_migrations = {
        name
        for name, op in planned_operations()
        if name.split(".")[0] in planner_apps and isinstance(op, migrations.RunPython)
    }
    # The one other data migration encrypts the passport data already stored; it syncs nothing.
    assert data_migrations == {"badges.0001_initial", "delegations.0004_person_encrypt_existing"}
