"""Give admin and accreditation the device tokens (make, revoke) and the print log (view)."""

from django.db import migrations


def sync(apps, schema_editor):
    from asemplanner.roles import roles_sync_in_migration

    roles_sync_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("asemplanner", "0005_roles_reminders"),
        ("badges", "0002_feed_start"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
