"""Security and admin get the checkpoint scan log and the category → zones map; security makes checkpoint tokens."""

from django.db import migrations


def sync(apps, schema_editor):
    from asemplanner.roles import roles_sync_in_migration

    roles_sync_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("asemplanner", "0007_roles_invitations"),
        ("badges", "0003_checkpoints"),
        ("delegations", "0005_zone_rules"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
