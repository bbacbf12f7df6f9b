"""Give the roles the new permissions: conflicts (view, acknowledge) and their own inbox."""

from django.db import migrations


def sync(apps, schema_editor):
    from asemplanner.roles import roles_sync_in_migration

    roles_sync_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("asemplanner", "0003_notification"),
        ("events", "0004_conflict_scan_schedule"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
