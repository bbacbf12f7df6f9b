"""Beat drops unconfirmed spreadsheet uploads older than a day, every hour (they may hold passport data that
nobody is going to import). Staff can change or pause it in the admin (Periodic tasks)."""

from django.db import migrations

NAME = "Stale spreadsheet uploads"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "delegations.prune_imports", "interval": every, "enabled": True, "expire_seconds": 3000,
                  "description": "Drops unconfirmed member-list uploads older than a day."},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("delegations", "0003_portal"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
