"""Give admin and protocol the liaison invitations (send, revoke)."""

from django.db import migrations


def sync(apps, schema_editor):
    from asemplanner.roles import roles_sync_in_migration

    roles_sync_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("asemplanner", "0006_roles_badges"),
        ("delegations", "0003_portal"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
