"""Beat runs the full conflict scan every 5 minutes; staff can change or pause it in the admin
(Periodic tasks, django-celery-beat)."""

from django.db import migrations

NAME = "Full conflict scan"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "planning.scan_conflicts", "interval": every, "enabled": True,
                  "description": "Finds every clash and resolves the ones that disappeared."},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_conflictcheckrequest_conflict"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
