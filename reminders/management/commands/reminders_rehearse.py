"""Show which reminders the rules would send over a stretch of (simulated) time; changes nothing."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from asemplanner.timeranges import fmt
from events.models import Event
from reminders.domain.rehearsal import reminders_rehearse


def _when(text: str, option: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"{option}: “{text}” is not a date or time; write e.g. 2020-10-01 or 2020-10-01T09:00."
        ) from exc
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class Command(BaseCommand):
    help = (
        "Rehearse the reminders: run the real sync, sweep and send over simulated time, in a transaction that "
        "is rolled back (mail goes nowhere). Shows who would be reminded of what, and when. While it runs "
        "(about a second for ASEM13) it holds the reminder rows it plans: a real sweep in that second skips "
        "them and sends them a minute later."
    )

    def add_arguments(self, parser):
        parser.add_argument("--event", default="ASEM13", help="Event acronym (default ASEM13); 'all' for every event.")
        parser.add_argument("--from", dest="start", help="Start of the simulated time (default: 60 days before).")
        parser.add_argument("--to", dest="end", help="End of the simulated time (default: the event's last day).")
        parser.add_argument("--user", help="Only this recipient's reminders (a username, e.g. liaison-fra).")

    def handle(self, *args, **options):
        event = None
        if options["event"] != "all":
            event = Event.objects.filter(acronym__iexact=options["event"]).first()
            if event is None:
                known = ", ".join(Event.objects.values_list("acronym", flat=True)) or "none yet"
                raise CommandError(f"--event: no event “{options['event']}”. Known: {known}, or 'all'.")
        reference = event.start_date if event else timezone.localdate()
        start = (
            _when(options["start"], "--from")
            if options["start"]
            else timezone.make_aware(dt.datetime.combine(reference - dt.timedelta(days=60), dt.time.min))
        )
        end = (
            _when(options["end"], "--to")
            if options["end"]
            else timezone.make_aware(dt.datetime.combine((event.end_date if event else reference), dt.time.max))
        )
        if end <= start:
            raise CommandError(f"--to ({fmt(end)}) must come after --from ({fmt(start)}).")
        result = reminders_rehearse(
            start=start, end=end, event_id=event.pk if event else None, username=options["user"]
        )
        self.stdout.write(f"Rehearsal from {fmt(start)} to {fmt(end)} — nothing is stored, no mail leaves.\n")
        for line in result.lines:
            flag = " (late)" if line.late else ""
            self.stdout.write(f"{fmt(line.at):>17}  {line.recipient:<14} {line.status:<8}{flag} {line.title}")
        sent = sum(1 for line in result.lines if line.status == "sent")
        self.stdout.write(
            f"\n{sent} reminder(s) sent, {len(result.lines) - sent} not needed or failed, in {result.sweeps} sweep(s); "
            f"{result.mails} mail(s) to the in-memory backend."
        )
