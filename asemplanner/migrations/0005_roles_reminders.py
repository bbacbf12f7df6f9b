"""Give the roles the reminder permissions: deadlines and rules (admin, protocol), reminders (view; retry)."""

from django.db import migrations


def sync(apps, schema_editor):
    from asemplanner.roles import roles_sync_in_migration

    roles_sync_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("asemplanner", "0004_roles_conflicts_inbox"),
        ("reminders", "0002_beat_schedule"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
