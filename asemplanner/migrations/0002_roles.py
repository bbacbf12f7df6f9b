"""Create the staff role groups (admin, protocol, security, logistics, accreditation) and the liaison group.

Permissions are normally created after `migrate` finishes (post_migrate); they are created here first so
the groups can receive them on a fresh database.
"""

from django.db import migrations


def create_roles(apps, schema_editor):
    from asemplanner.roles import roles_sync_in_migration

    roles_sync_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("asemplanner", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0002_initial"),
        ("delegations", "0002_initial"),
        ("protocol", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
