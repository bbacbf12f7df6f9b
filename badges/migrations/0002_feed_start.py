"""The feed's counter, and a place in the feed for every badge that already exists (in id order)."""

from django.db import migrations


def start(apps, schema_editor):
    FeedCounter = apps.get_model("badges", "FeedCounter")
    BadgeState = apps.get_model("badges", "BadgeState")
    Accreditation = apps.get_model("delegations", "Accreditation")
    rows = list(
        Accreditation.objects.exclude(status="requested").order_by("pk").values_list("pk", "event_id", "badge_number")
    )
    BadgeState.objects.bulk_create(
        [
            BadgeState(accreditation_id=pk, event_id=event_id, seq=n, badge_number=number or "")
            for n, (pk, event_id, number) in enumerate(rows, 1)
        ],
        batch_size=500,
    )
    FeedCounter.objects.update_or_create(pk=1, defaults={"value": len(rows)})


class Migration(migrations.Migration):
    dependencies = [("badges", "0001_initial"), ("delegations", "0002_initial")]

    operations = [migrations.RunPython(start, migrations.RunPython.noop)]
