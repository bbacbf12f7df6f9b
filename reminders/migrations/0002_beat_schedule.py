"""Beat sweeps due reminders every minute and re-syncs all reminders every 15 minutes; staff can change or
pause both in the admin (Periodic tasks). A sweep message older than 55 s expires unrun: while workers are
down, sweeps do not pile up on the broker, and the first sweep after they return claims everything due."""

from django.db import migrations

SCHEDULES = [
    ("Reminder sweep", "reminders.sweep", 1, 55, "Claims due reminders and sends them, each exactly once."),
    ("Reminder sync", "reminders.sync_all", 15, 600, "Re-plans every reminder from the rules (a safety net)."),
]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes, expires, description in SCHEDULES:
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "interval": every, "enabled": True, "expire_seconds": expires,
                      "description": description},
        )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
