"""What happens, where, when: events, venues, rooms, transfer times and the programme."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from asemplanner.choices import Category
from asemplanner.timeranges import fmt, opening_hours_errors, range_errors, within_days_errors
from events.clash_messages import clash_text


class TsTzRange(models.Func):
    """PostgreSQL `tstzrange(start, end, '[)')`: the half-open range the exclusion constraints compare."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresOnlyExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL; nothing on other databases.

    SQLite has no range types: there the domain check in `clean()` stands alone. `validate()` is left
    to that domain check on every database, so users get one message naming the clash, while the
    constraint guards against races between two writers on PostgreSQL.
    """

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=None):
        return None


def room_exclusion(name: str, *, active: Q) -> PostgresOnlyExclusionConstraint:
    """No two active rows may hold the same room over overlapping `[start, end)` ranges."""
    return PostgresOnlyExclusionConstraint(
        name=name,
        expressions=[
            ("room", RangeOperators.EQUAL),
            (TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS),
        ],
        condition=active,
        violation_error_message=_("This room is already booked for an overlapping time."),
    )


def precedence_errors(*, rule: str, start_letter: str, language: str = "en") -> dict[str, str]:
    """The drawn letter is one capital A–Z, given with (and only with) the drawn-letter rule, which counts in
    the Latin alphabet (names in English or French)."""
    drawn = rule == Event.PrecedenceRule.DRAWN_LETTER
    if drawn and language == "km":
        return {
            "precedence_language": gettext(
                "The drawn-letter rule counts from a letter A–Z, so it needs the partners' names "
                "in English or French; choose one of those, or another rule for names in Khmer."
            )
        }
    if drawn and not start_letter:
        return {
            "precedence_start_letter": gettext("The drawn-letter rule needs the letter drawn: one capital A–Z, e.g. M.")
        }
    if start_letter and not (len(start_letter) == 1 and "A" <= start_letter <= "Z"):
        return {
            "precedence_start_letter": gettext("“%(letter)s” is not a capital letter; give one letter A–Z, e.g. M.")
            % {"letter": start_letter}
        }
    if start_letter and not drawn:
        return {
            "precedence_start_letter": gettext(
                "A drawn letter is used only with the rule “alphabetical from a drawn "
                "letter”; choose that rule or leave the letter empty."
            )
        }
    return {}


class Event(models.Model):
    class Kind(models.TextChoices):
        SUMMIT = "summit", _("Summit")
        SIDE_EVENT = "side_event", _("Side event")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CONFIRMED = "confirmed", _("Confirmed")
        POSTPONED = "postponed", _("Postponed")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        HYBRID = "hybrid", _("Hybrid")
        VIRTUAL = "virtual", _("Virtual")

    class PrecedenceRule(models.TextChoices):
        ALPHABETICAL = "alphabetical", _("Alphabetical by partner name in English")
        JOINED = "joined", _("Date of joining ASEM, then partner name")
        DRAWN_LETTER = "drawn_letter", _("Alphabetical from a drawn letter")

    acronym = models.CharField(
        max_length=20, unique=True, help_text=_("Short name used everywhere, e.g. ASEM13."), verbose_name=_("acronym")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SIDE_EVENT, verbose_name=_("kind"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="side_events",
        help_text=_("The summit this side event belongs to."),
        verbose_name=_("parent"),
    )
    theme = models.CharField(max_length=300, blank=True, verbose_name=_("theme"))
    city = models.CharField(max_length=100, default="Phnom Penh", verbose_name=_("city"))
    host = models.ForeignKey(
        "delegations.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_events",
        verbose_name=_("host"),
    )
    start_date = models.DateField(verbose_name=_("start date"))
    end_date = models.DateField(help_text=_("Last day of the event (inclusive)."), verbose_name=_("end date"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED, verbose_name=_("status"))
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.IN_PERSON, verbose_name=_("mode"))
    notes = models.TextField(blank=True, verbose_name=_("notes"))
    retention_days = models.PositiveSmallIntegerField(
        _("retention (days)"),
        default=90,
        help_text=_(
            "Days after the last day of the event and its side events until the passports, dates of "
            "birth, photos, travel and hotels of its people are purged."
        ),
    )
    precedence_rule = models.CharField(
        _("order within a rank"),
        max_length=20,
        choices=PrecedenceRule.choices,
        default=PrecedenceRule.ALPHABETICAL,
        help_text=_("How heads of delegation of the same rank are ordered (the host always takes the chair)."),
    )
    precedence_language = models.CharField(
        _("names and order in"),
        max_length=2,
        choices=[("en", _("English")), ("fr", _("French")), ("km", _("Khmer"))],
        default="en",
        help_text=_(
            "The language of the partners' names in the order of precedence and on the seating plan, and "
            "the alphabet they are sorted by (ICU collation): ASEM uses English; French and Khmer on request."
        ),
    )
    precedence_start_letter = models.CharField(
        _("drawn letter"),
        max_length=1,
        blank=True,
        help_text=_("For “alphabetical from a drawn letter”: one capital letter A–Z; the alphabet starts there."),
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["start_date", "acronym"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="event_end_on_or_after_start"),
            models.CheckConstraint(
                condition=Q(kind="summit", parent__isnull=True) | Q(kind="side_event"),
                name="event_summit_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.acronym

    def clean(self) -> None:
        errors = range_errors(self.start_date, self.end_date, start_field="start_date", end_field="end_date")
        if self.kind == self.Kind.SUMMIT and self.parent_id:
            errors["parent"] = gettext("A summit cannot belong to another event. Leave the parent empty.")
        if self.parent_id and self.parent_id == self.pk:
            errors["parent"] = gettext("An event cannot be its own parent.")
        elif self.parent_id and self.parent is not None and self.parent.kind != self.Kind.SUMMIT:
            errors["parent"] = gettext("%(parent)s is a side event; choose a summit as the parent.") % {
                "parent": self.parent
            }
        errors |= precedence_errors(
            rule=self.precedence_rule, start_letter=self.precedence_start_letter, language=self.precedence_language
        )
        if not errors and self.pk and self.start_date and self.end_date:
            errors |= self._programme_outside_errors()
        if errors:
            raise ValidationError(errors)

    def days_with_side_events(self) -> tuple[dt.date, dt.date]:
        """First and last day of this event and, for a summit, of its side events (one query for a summit)."""
        if self.kind != self.Kind.SUMMIT or self.pk is None:
            return self.start_date, self.end_date
        span = self.side_events.aggregate(first=models.Min("start_date"), last=models.Max("end_date"))
        first = min(filter(None, (self.start_date, span["first"])))
        last = max(filter(None, (self.end_date, span["last"])))
        return first, last

    def _programme_outside_errors(self) -> dict[str, str]:
        """New dates must still hold the programme; moving both is what postponing does."""
        first = timezone.make_aware(dt.datetime.combine(self.start_date, dt.time.min))
        after = timezone.make_aware(dt.datetime.combine(self.end_date + dt.timedelta(days=1), dt.time.min))
        outside = (
            Session.objects.filter(event_id=self.pk)
            .exclude(status=Session.Status.CANCELLED)
            .filter(Q(start__lt=first) | Q(end__gt=after))
            .order_by("start")
        )
        example = outside.first()
        if example is None:
            return {}
        count = outside.count()
        return {
            "start_date": ngettext(
                "%(count)s session(s) of %(event)s would fall outside these dates (first: “%(title)s” on "
                "%(start)s). Move or cancel them first, or use “Postpone” on the event list, which moves the "
                "event with its programme, bilaterals, tasks and deadlines.",
                "%(count)s session(s) of %(event)s would fall outside these dates (first: “%(title)s” on "
                "%(start)s). Move or cancel them first, or use “Postpone” on the event list, which moves the "
                "event with its programme, bilaterals, tasks and deadlines.",
                count,
            )
            % {"count": count, "event": self.acronym, "title": example.title, "start": fmt(example.start)}
        }


class Venue(models.Model):
    class Kind(models.TextChoices):
        PALACE = "palace", _("Palace / state venue")
        CONFERENCE = "conference", _("Conference centre")
        HOTEL = "hotel", _("Hotel")
        AIRPORT = "airport", _("Airport")
        CULTURAL = "cultural", _("Cultural venue")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=200, unique=True, verbose_name=_("name"))
    short_name = models.CharField(max_length=40, blank=True, verbose_name=_("short name"))
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER, verbose_name=_("kind"))
    address = models.CharField(max_length=300, blank=True, verbose_name=_("address"))
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True, verbose_name=_("latitude"))
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True, verbose_name=_("longitude"))

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Room(models.Model):
    class Kind(models.TextChoices):
        PLENARY = "plenary", _("Plenary hall")
        MEETING = "meeting", _("Meeting room")
        BILATERAL = "bilateral", _("Bilateral room")
        DINING = "dining", _("Dining / banquet")
        PRESS = "press", _("Press centre")
        LOUNGE = "lounge", _("VIP lounge")
        OUTDOOR = "outdoor", _("Outdoor / stage")
        OTHER = "other", _("Other")

    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("venue"))
    name = models.CharField(max_length=120, verbose_name=_("name"))
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MEETING, verbose_name=_("kind"))
    capacity = models.PositiveIntegerField(
        validators=[MinValueValidator(1, message=_("Capacity must be at least 1 seat."))],
        verbose_name=_("capacity"),
    )
    opens_at = models.TimeField(
        null=True,
        blank=True,
        help_text=_("Local time; empty with 'closes at' = always open."),
        verbose_name=_("opens at"),
    )
    closes_at = models.TimeField(null=True, blank=True, verbose_name=_("closes at"))
    zone = models.ForeignKey(
        "protocol.SecurityZone",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rooms",
        verbose_name=_("zone"),
    )

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["venue__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "name"], name="room_unique_name_per_venue"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity_positive"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True, closes_at__isnull=True)
                | Q(opens_at__isnull=False, closes_at__isnull=False, closes_at__gt=F("opens_at")),
                name="room_opening_hours_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue} · {self.name}"

    def clean(self) -> None:
        errors = {}
        if (self.opens_at is None) != (self.closes_at is None):
            missing = "closes_at" if self.closes_at is None else "opens_at"
            errors[missing] = gettext("Give both opening and closing time, or neither for a room that is always open.")
        elif self.opens_at is not None and self.closes_at is not None and self.closes_at <= self.opens_at:
            errors["closes_at"] = gettext(
                "Closes at %(closes)s, not after it opens (%(opens)s). Rooms open and close on the same day."
            ) % {"closes": f"{self.closes_at:%H:%M}", "opens": f"{self.opens_at:%H:%M}"}
        if errors:
            raise ValidationError(errors)


class RoomOutage(models.Model):
    """A room out of service over `[start, end)` (a power cut, repairs, a security hold), with the reason.

    Not a fake session: the conflict engine flags every session, bilateral and task in the room then, the
    scheduler leaves the room out, and the relocation proposal finds new rooms (planning/domain/room_outages.py).
    Lifting an outage (`lifted_at`) keeps it on record. Overlapping active outages of a room are refused by
    `clean()`, re-checked under a lock on the room row by events/domain/outages.py (no exclusion constraint: an
    outage is rare, entered by staff, and the two room constraints stay the only ones on the booking path)."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="outages", verbose_name=_("room"))
    start = models.DateTimeField(verbose_name=_("start"))
    end = models.DateTimeField(verbose_name=_("end"))
    reason = models.CharField(
        max_length=200,
        help_text=_("Why, for the committee: e.g. power cut in the east wing."),
        verbose_name=_("reason"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    lifted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Set when the room is back in service early."), verbose_name=_("lifted at")
    )

    class Meta:
        ordering = ["start", "room"]
        verbose_name = _("room out of service")
        verbose_name_plural = _("rooms out of service")
        indexes = [models.Index(fields=["room", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="roomoutage_end_after_start"),
        ]

    def __str__(self) -> str:
        return gettext("%(room)s out of service %(start)s – %(end)s") % {
            "room": self.room,
            "start": fmt(self.start),
            "end": fmt(self.end),
        }

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    def clean(self) -> None:
        errors = range_errors(self.start, self.end)
        if not errors and self.room_id and self.start and self.end and self.is_active:
            other = (
                RoomOutage.objects.filter(room_id=self.room_id, lifted_at__isnull=True, start__lt=self.end,
                                          end__gt=self.start)
                .exclude(pk=self.pk)
                .first()
            )  # fmt: skip
            if other is not None:
                errors["start"] = gettext(
                    "%(room)s is already out of service from %(start)s to %(end)s (%(reason)s). Change that "
                    "period instead, or choose a period that does not overlap it."
                ) % {"room": self.room, "start": fmt(other.start), "end": fmt(other.end), "reason": other.reason}
        if errors:
            raise ValidationError(errors)


class TransferTime(models.Model):
    """Minutes by motorcade from one venue to another, door to door, in normal summit traffic."""

    from_venue = models.ForeignKey(
        Venue, on_delete=models.CASCADE, related_name="transfers_out", verbose_name=_("from venue")
    )
    to_venue = models.ForeignKey(
        Venue, on_delete=models.CASCADE, related_name="transfers_in", verbose_name=_("to venue")
    )
    minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(0, message=_("Transfer time cannot be negative; enter minutes (0 or more)."))],
        verbose_name=_("minutes"),
    )

    class Meta:
        verbose_name = _("transfer time")
        verbose_name_plural = _("transfer times")
        ordering = ["from_venue__name", "to_venue__name"]
        constraints = [
            models.UniqueConstraint(fields=["from_venue", "to_venue"], name="transfer_unique_pair"),
            models.CheckConstraint(condition=~Q(from_venue=F("to_venue")), name="transfer_between_two_venues"),
            models.CheckConstraint(condition=Q(minutes__gte=0), name="transfer_minutes_not_negative"),
        ]

    def __str__(self) -> str:
        return gettext("%(from)s → %(to)s: %(minutes)s min") % {
            "from": self.from_venue,
            "to": self.to_venue,
            "minutes": self.minutes,
        }

    def clean(self) -> None:
        if self.from_venue_id and self.from_venue_id == self.to_venue_id:
            raise ValidationError(
                {"to_venue": gettext("Choose a different venue: a transfer goes between two venues.")}
            )


class Session(models.Model):
    """A programme item of an event, in one room over `[start, end)`."""

    class Kind(models.TextChoices):
        PLENARY = "plenary", _("Plenary")
        RETREAT = "retreat", _("Retreat")
        WORKING_LUNCH = "working_lunch", _("Working lunch")
        GALA_DINNER = "gala_dinner", _("Gala dinner")
        PRESS_CONFERENCE = "press_conference", _("Press conference")
        FAMILY_PHOTO = "family_photo", _("Family photo")
        CEREMONY = "ceremony", _("Ceremony")
        MEETING = "meeting", _("Meeting")
        PERFORMANCE = "performance", _("Performance")
        OTHER = "other", _("Other")

    class Audience(models.TextChoices):
        HEADS = "heads", _("Heads of delegation")
        ALL_DELEGATES = "all_delegates", _("All delegates")
        CATEGORY = "category", _("One accreditation category")
        NAMED = "named", _("Named people only")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("event"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MEETING, verbose_name=_("kind"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("room"))
    start = models.DateTimeField(verbose_name=_("start"))
    end = models.DateTimeField(verbose_name=_("end"))
    audience = models.CharField(
        max_length=20, choices=Audience.choices, default=Audience.NAMED, verbose_name=_("audience")
    )
    audience_category = models.CharField(
        max_length=20,
        choices=Category.choices,
        blank=True,
        help_text=_("Only when the audience is one category."),
        verbose_name=_("audience category"),
    )
    attendees = models.ManyToManyField(
        "delegations.Person",
        blank=True,
        related_name="sessions",
        help_text=_("Named people, in addition to the audience."),
        verbose_name=_("attendees"),
    )
    expected_attendance = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("expected attendance"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED, verbose_name=_("status"))
    notes = models.TextField(blank=True, verbose_name=_("notes"))

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["start", "room"]
        indexes = [models.Index(fields=["room", "start"]), models.Index(fields=["event", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
            models.CheckConstraint(
                condition=~Q(audience="category") | ~Q(audience_category=""),
                name="session_category_audience_names_category",
            ),
            room_exclusion("session_room_no_overlap", active=~Q(status="cancelled")),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.CANCELLED

    def clean(self) -> None:
        errors = range_errors(self.start, self.end)
        if self.audience == self.Audience.CATEGORY and not self.audience_category:
            errors["audience_category"] = gettext("Choose the category that attends, or pick another audience.")
        if not errors and self.event_id and self.start and self.end:
            errors |= within_days_errors(
                self.start, self.end, first=self.event.start_date, last=self.event.end_date, what=str(self.event)
            )
        if not errors and self.room_id and self.start and self.end:
            room = self.room
            errors |= opening_hours_errors(
                self.start, self.end, opens_at=room.opens_at, closes_at=room.closes_at, what=str(room)
            )
            if self.is_active:
                clash = (
                    Session.objects.filter(room=room, start__lt=self.end, end__gt=self.start)
                    .exclude(status=self.Status.CANCELLED)
                    .exclude(pk=self.pk)
                    .order_by("start")
                    .first()
                )
                if clash:
                    errors["room"] = gettext(
                        "%(room)s is already booked for “%(title)s” (%(event)s) from %(start)s to %(end)s. "
                        "Choose another room or time; sessions may touch but not overlap."
                    ) % {
                        "room": room,
                        "title": clash.title,
                        "event": clash.event,
                        "start": fmt(clash.start),
                        "end": fmt(clash.end),
                    }
        if errors:
            raise ValidationError(errors)


class Conflict(models.Model):
    """A clash found by the engine (events/domain/conflicts.py), kept while it lasts.

    The fingerprint identifies the clash (kind, resource, the commitments involved), so a re-check updates
    `last_seen` instead of adding a duplicate, and an acknowledgement survives re-checks. A clash that is
    no longer found is resolved automatically; if it comes back it reopens.
    """

    class Kind(models.TextChoices):
        ROOM_DOUBLE_BOOKED = "room_double_booked", _("Room booked twice")
        PERSON_DOUBLE_BOOKED = "person_double_booked", _("Person in two places")
        HEAD_DOUBLE_BOOKED = "head_double_booked", _("Head of delegation double-booked")
        STAFF_DOUBLE_BOOKED = "staff_double_booked", _("Staff member double-booked")
        TEAM_DOUBLE_BOOKED = "team_double_booked", _("Team on two tasks at once")
        VEHICLE_DOUBLE_BOOKED = "vehicle_double_booked", _("Vehicle on two tasks at once")
        TRANSFER_TOO_SHORT = "transfer_too_short", _("Transfer too short")
        BEFORE_ARRIVAL = "before_arrival", _("Expected before arrival")
        AFTER_DEPARTURE = "after_departure", _("Expected after departure")
        OVER_CAPACITY = "over_capacity", _("Over room capacity")
        OUTSIDE_EVENT_DATES = "outside_event_dates", _("Outside the event's dates")
        OUTSIDE_OPENING_HOURS = "outside_opening_hours", _("Outside opening hours")
        ROOM_OUT_OF_SERVICE = "room_out_of_service", _("Room out of service")

    class Severity(models.TextChoices):
        ERROR = "error", _("Error")
        WARNING = "warning", _("Warning")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    fingerprint = models.CharField(max_length=32, unique=True, verbose_name=_("fingerprint"))
    kind = models.CharField(max_length=30, choices=Kind.choices, verbose_name=_("kind"))
    severity = models.CharField(max_length=10, choices=Severity.choices, verbose_name=_("severity"))
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="conflicts", verbose_name=_("event")
    )
    resource = models.CharField(
        max_length=60, help_text=_("room:12, person:40, team:3, vehicle:M01, …"), verbose_name=_("resource")
    )
    resource_label = models.CharField(max_length=200, verbose_name=_("resource label"))
    first = models.CharField(
        max_length=40, help_text=_("The first commitment: session:12, bilateral:3, task:7"), verbose_name=_("first")
    )
    second = models.CharField(max_length=40, blank=True, verbose_name=_("second"))
    message = models.TextField(verbose_name=_("message"))
    # The message as a msgid and its arguments ({"msgid": ..., "args": {...}}, events/clash_messages.py), so each
    # reader sees it in their language; `message` stays the English text (the API's, the log's).
    message_args = models.JSONField(default=dict, blank=True, verbose_name=_("message arguments"))
    starts_at = models.DateTimeField(null=True, blank=True, verbose_name=_("starts at"))
    first_seen = models.DateTimeField(verbose_name=_("first seen"))
    last_seen = models.DateTimeField(verbose_name=_("last seen"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))
    acknowledge_reason = models.TextField(blank=True, verbose_name=_("acknowledge reason"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))

    class Meta:
        verbose_name = _("conflict")
        verbose_name_plural = _("conflicts")
        ordering = ["status", "severity", "starts_at"]
        indexes = [
            models.Index(fields=["status", "severity"]),
            models.Index(fields=["resource"]),
            models.Index(fields=["first"]),
            models.Index(fields=["second"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="acknowledged") | ~Q(acknowledge_reason=""),
                name="conflict_acknowledged_with_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.resource_label}"

    @property
    def display_message(self) -> str:
        """The message in the active language (the stored English when it has no msgid)."""
        return clash_text(self.message_args, self.message)


class ConflictCheckRequest(models.Model):
    """A changed object waiting for the next batched conflict check (one row per object, however often
    it changed). The check task claims and deletes rows; the periodic full scan drains any left over."""

    key = models.CharField(
        max_length=60, unique=True, help_text=_("session:12, bilateral:3, person:40, …"), verbose_name=_("key")
    )
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("requested at"))

    class Meta:
        verbose_name = _("conflict check request")
        verbose_name_plural = _("conflict check requests")

    def __str__(self) -> str:
        return self.key
