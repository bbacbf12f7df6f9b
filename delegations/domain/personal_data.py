"""Personal data of the people of an event: who saw passport data, and its purge once retention has passed.

Retention: an event's people keep their passport data, date of birth, photo, travel and hotel until
`Event.retention_days` (default 90) days after the last day of the event and, for a summit, of its side
events (their people may be accredited to the side events). From the day after, the purge removes them
and leaves one audit entry per person naming what was removed, never the values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asemplanner.domain.audit import MASK, Actor, audit_entry, audit_log_many
from asemplanner.timeranges import fmt
from delegations.models import MemberImport, Person, Travel
from events.models import Event

PURGED_FIELDS = ("passport_number", "passport_expiry", "date_of_birth", "photo")
LABELS = {
    "passport_number": gettext_lazy("passport number"),
    "passport_expiry": gettext_lazy("passport expiry"),
    "date_of_birth": gettext_lazy("date of birth"),
    "photo": gettext_lazy("photo"),
    "travel": gettext_lazy("travel"),
    "hotel": gettext_lazy("hotel"),
}


def person_sensitive_viewed(*, person: Person, by: Actor, through: str) -> None:
    """Record that `by` saw this person's passport data (never the values) — the admin page, an export.
    A read changes nothing, so nothing follows up: the entry is stored, not published."""
    audit_entry(
        action="delegations.person.passport_viewed",
        instance=person,
        by=by,
        changes={"through": [None, through]},
    ).entry.save()


def purge_allowed_from(event: Event) -> dt.date:
    """The first day the purge may run: the day after the retention period that follows the last day of the
    event and its side events."""
    _first, last = event.days_with_side_events()
    return last + dt.timedelta(days=event.retention_days + 1)


def purge_refusal(event: Event, today: dt.date) -> str:
    """Why this event's people may not be purged yet ('' when they may)."""
    allowed = purge_allowed_from(event)
    if today >= allowed:
        return ""
    _first, last = event.days_with_side_events()
    running = today <= last
    refusal = (
        _(
            "%(event)s has not ended (its last day %(last)s), side events included; its people's passport data, "
            "photos and travel are kept %(days)s days after that. The purge is allowed from %(allowed)s."
        )
        if running
        else _(
            "%(event)s ended on %(last)s, side events included; its people's passport data, photos and travel are "
            "kept %(days)s days after that. The purge is allowed from %(allowed)s."
        )
    )
    return refusal % {"event": event, "last": fmt(last), "days": event.retention_days, "allowed": fmt(allowed)}


@dataclass
class PersonPurge:
    person: Person
    removed: list[str] = field(default_factory=list)  # field names, and "travel" / "hotel"

    def __str__(self) -> str:
        return f"{self.person.full_name} ({self.person.delegation.partner}): " + ", ".join(
            str(LABELS[name]) for name in self.removed
        )


@dataclass
class EventPurge:
    event: Event
    people: list[PersonPurge]
    photo_files: list[str]
    dry_run: bool


def _what_goes(person: Person) -> list[str]:
    removed = [name for name in PURGED_FIELDS if getattr(person, name)]
    travel = getattr(person, "travel", None)
    if travel is not None:
        removed.append("travel")
        if travel.hotel_id:
            removed.append("hotel")
    return removed


@transaction.atomic
def event_personal_data_purge(
    *, event: Event, by: Actor, dry_run: bool = False, today: dt.date | None = None
) -> EventPurge:
    """Remove the passport data, dates of birth, photos (their files too, after commit), travel and hotel of
    the people of `event`'s delegations; one audit entry per person with what was removed (masked). Refused
    with a ValidationError naming the first allowed day while retention runs. A dry run changes nothing."""
    today = today or timezone.localdate()
    refusal = purge_refusal(event, today)
    if refusal:
        raise ValidationError({"event": refusal})
    people = (
        Person.objects.filter(delegation__event=event)
        .select_related("travel", "delegation__partner")
        .order_by("delegation__partner__name", "family_name", "given_name")
    )
    if not dry_run:
        people = people.select_for_update(of=("self",))
    purges = [PersonPurge(person, removed) for person in people if (removed := _what_goes(person))]
    photos = [purge.person.photo.name for purge in purges if purge.person.photo]
    result = EventPurge(event=event, people=purges, photo_files=photos, dry_run=dry_run)
    if dry_run or not purges:
        return result
    ids = [purge.person.pk for purge in purges]
    Person.objects.filter(pk__in=ids).update(
        passport_number="", passport_digest="", passport_expiry=None, date_of_birth=None, photo=""
    )
    Travel.objects.filter(person_id__in=ids).delete()  # the hotel is on the travel record
    # Uploads not yet confirmed may hold the same people's passports.
    MemberImport.objects.filter(delegation__event=event, status=MemberImport.Status.READY).update(
        rows=[], status=MemberImport.Status.DISCARDED
    )
    audit_log_many(
        [
            audit_entry(
                action="delegations.person.purged",
                instance=purge.person,
                by=by,
                changes={name: [MASK, None] for name in purge.removed},
            )
            for purge in purges
        ]
    )
    storage = Person._meta.get_field("photo").storage

    def delete_files() -> None:  # after the commit: a rolled-back purge keeps its photos
        for name in photos:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return result


def events_due_for_purge(today: dt.date | None = None) -> list[Event]:
    """Events whose retention has passed and whose people still hold something the purge removes."""
    today = today or timezone.localdate()
    holding = Q(passport_number__isnull=False) & ~Q(passport_number="")
    holding |= Q(passport_expiry__isnull=False) | Q(date_of_birth__isnull=False) | ~Q(photo="")
    holding |= Q(travel__isnull=False)
    event_ids = Person.objects.filter(holding).values("delegation__event_id")
    candidates = Event.objects.filter(pk__in=event_ids, end_date__lt=today)
    return [event for event in candidates if not purge_refusal(event, today)]


def personal_data_purge_due(*, by: Actor, dry_run: bool = False, today: dt.date | None = None) -> list[EventPurge]:
    """Purge every event whose retention has passed (beat, daily; idempotent: a purged event has nothing
    left to remove and is not listed again)."""
    return [
        event_personal_data_purge(event=event, by=by, dry_run=dry_run, today=today)
        for event in events_due_for_purge(today)
    ]
