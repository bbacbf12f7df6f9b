import json

from django.core.management.base import BaseCommand, CommandError

from events.models import Conflict, Event
from planning.domain.conflict_checks import as_json, conflicts_check_all


class Command(BaseCommand):
    help = "Run the full conflict scan, store the results (new, resolved, reopened) and print what was found."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the clashes as one JSON object.")
        parser.add_argument("--event", metavar="ACRONYM", help="Only this event's clashes, e.g. ASEM13.")

    def handle(self, *args, **options):
        event = None
        if options["event"]:
            event = Event.objects.filter(acronym__iexact=options["event"]).first()
            if event is None:
                known = ", ".join(Event.objects.order_by("acronym").values_list("acronym", flat=True)) or "none"
                raise CommandError(f"Unknown event {options['event']!r}. Known events: {known}.")
        result, clashes = conflicts_check_all(event=event)
        labels = {c.resource: c.resource_label for c in result.created}
        labels |= dict(
            Conflict.objects.filter(fingerprint__in=[c.fingerprint for c in clashes]).values_list(
                "resource", "resource_label"
            )
        )
        clashes = sorted(clashes, key=lambda c: (c.severity != "error", c.starts_at or 0, c.kind))
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "event": event.acronym if event else None,
                        "errors": sum(c.severity == "error" for c in clashes),
                        "warnings": sum(c.severity == "warning" for c in clashes),
                        "new": len(result.created),
                        "resolved": result.resolved,
                        "clashes": [as_json(c, labels) for c in clashes],
                    },
                    indent=2,
                )
            )
            return
        for clash in clashes:
            style = self.style.ERROR if clash.severity == "error" else self.style.WARNING
            self.stdout.write(style(f"{clash.severity.upper():8}") + f"{clash.kind:<24} {clash.message}")
        self.stdout.write(result.summary())
