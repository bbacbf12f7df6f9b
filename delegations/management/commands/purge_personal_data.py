from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from delegations.domain.personal_data import EventPurge, event_personal_data_purge, personal_data_purge_due
from events.models import Event


class Command(BaseCommand):
    help = (
        "Removes the passport data, dates of birth, photos (files too), travel and hotels of the people of "
        "events whose retention period after their end has passed (Event.retention_days). One audit entry "
        "per person, without the values."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--event", help="Only this event (its id or acronym); refused while retention runs.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would go and change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        if options["event"]:
            event = self._event(options["event"])
            try:
                purges = [event_personal_data_purge(event=event, by="purge_personal_data", dry_run=dry_run)]
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        else:
            purges = personal_data_purge_due(by="purge_personal_data", dry_run=dry_run)
            if not purges:
                self.stdout.write("No event's retention has passed with personal data left to purge.")
        for purge in purges:
            self._report(purge)
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")

    def _event(self, key: str) -> Event:
        event = Event.objects.filter(pk=int(key)).first() if key.isdigit() else None
        event = event or Event.objects.filter(acronym__iexact=key).first()
        if event is None:
            known = ", ".join(Event.objects.order_by("start_date").values_list("acronym", flat=True))
            raise CommandError(f"--event: no event with the id or acronym {key!r}. Events: {known}.")
        return event

    def _report(self, purge: EventPurge) -> None:
        verb = "would remove" if purge.dry_run else "removed"
        self.stdout.write(
            f"{purge.event}: {verb} the personal data of {len(purge.people)} person(s), "
            f"{len(purge.photo_files)} photo file(s)."
        )
        for person in purge.people:
            self.stdout.write(f"  {person}")
