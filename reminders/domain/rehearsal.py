"""A dry run of the reminder machinery over simulated time: what would be sent, to whom, when.

Runs the real sync, sweep and send with an explicit clock inside a transaction that is rolled back at the
end, with mail going to Django's in-memory backend: nothing is stored and nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.test.utils import override_settings

from reminders.domain.sending import reminders_sweep
from reminders.domain.subjects import Scope
from reminders.domain.sync import reminders_sync
from reminders.models import Reminder


@dataclass
class Line:
    at: dt.datetime
    recipient: str
    status: str
    late: bool
    title: str


@dataclass
class Rehearsal:
    lines: list[Line] = field(default_factory=list)
    sweeps: int = 0
    mails: int = 0


class _Rollback(Exception):
    pass


def reminders_rehearse(
    *, start: dt.datetime, end: dt.datetime, event_id: int | None = None, username: str | None = None
) -> Rehearsal:
    from django.core import mail

    rehearsal = Rehearsal()
    previous_outbox = getattr(mail, "outbox", None)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        try:
            with transaction.atomic():
                reminders_sync(scope=Scope(all=True), now=start)
                rows = Reminder.objects.all()
                if event_id:
                    rows.exclude(event_id=event_id).delete()
                if username:
                    rows.exclude(recipient__username=username).delete()
                now = start
                while True:
                    next_due = (
                        Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__gte=now, due_at__lte=end)
                        .order_by("due_at")
                        .values_list("due_at", flat=True)
                        .first()
                    )
                    if next_due is None:
                        break
                    now = next_due
                    batches = reminders_sweep(now=now, send_inline=True).batches
                    rehearsal.sweeps += 1
                    done = Reminder.objects.filter(pk__in=[pk for batch in batches for pk in batch])
                    for row in done.select_related("recipient").order_by("due_at", "recipient__username", "pk"):
                        title = row.title if row.status == Reminder.Status.SENT else row.last_error
                        rehearsal.lines.append(
                            Line(row.due_at, row.recipient.username, row.status, row.late, title or row.key)
                        )
                    now += dt.timedelta(seconds=1)
                rehearsal.mails = len(mail.outbox)
                raise _Rollback
        except _Rollback:
            pass
        finally:
            if previous_outbox is None:
                del mail.outbox
            else:
                mail.outbox = previous_outbox
    return rehearsal
