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

from asemplanner.choices import Category
from asemplanner.timeranges import fmt, opening_hours_errors, range_errors, within_days_errors


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
        violation_error_message="This room is already booked for an overlapping time.",
    )


def precedence_errors(*, rule: str, start_letter: str, language: str = "en") -> dict[str, str]:
    """The drawn letter is one capital A–Z, given with (and only with) the drawn-letter rule, which counts in
    the Latin alphabet (names in English or French)."""
    drawn = rule == Event.PrecedenceRule.DRAWN_LETTER
    if drawn and language == "km":
        return {
            "precedence_language": "The drawn-letter rule counts from a letter A–Z, so it needs the partners' names "
            "in English or French; choose one of those, or another rule for names in Khmer."
        }
    if drawn and not start_letter:
        return {"precedence_start_letter": "The drawn-letter rule needs the letter drawn: one capital A–Z, e.g. M."}
    if start_letter and not (len(start_letter) == 1 and "A" <= start_letter <= "Z"):
        return {"precedence_start_letter": f"“{start_letter}” is not a capital letter; give one letter A–Z, e.g. M."}
    if start_letter and not drawn:
        return {
            "precedence_start_letter": "A drawn letter is used only with the rule “alphabetical from a drawn "
            "letter”; choose that rule or leave the letter empty."
        }
    return {}


class Event(models.Model):
    class Kind(models.TextChoices):
        SUMMIT = "summit", "Summit"
        SIDE_EVENT = "side_event", "Side event"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        CONFIRMED = "confirmed", "Confirmed"
        POSTPONED = "postponed", "Postponed"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        HYBRID = "hybrid", "Hybrid"
        VIRTUAL = "virtual", "Virtual"

    class PrecedenceRule(models.TextChoices):
        ALPHABETICAL = "alphabetical", "Alphabetical by partner name in English"
        JOINED = "joined", "Date of joining ASEM, then partner name"
        DRAWN_LETTER = "drawn_letter", "Alphabetical from a drawn letter"

    acronym = models.CharField(max_length=20, unique=True, help_text="Short name used everywhere, e.g. ASEM13.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SIDE_EVENT)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="side_events",
        help_text="The summit this side event belongs to.",
    )
    theme = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, default="Phnom Penh")
    host = models.ForeignKey(
        "delegations.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="hosted_events"
    )
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last day of the event (inclusive).")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    notes = models.TextField(blank=True)
    retention_days = models.PositiveSmallIntegerField(
        "retention (days)",
        default=90,
        help_text="Days after the last day of the event and its side events until the passports, dates of "
        "birth, photos, travel and hotels of its people are purged.",
    )
    precedence_rule = models.CharField(
        "order within a rank",
        max_length=20,
        choices=PrecedenceRule.choices,
        default=PrecedenceRule.ALPHABETICAL,
        help_text="How heads of delegation of the same rank are ordered (the host always takes the chair).",
    )
    precedence_language = models.CharField(
        "names and order in",
        max_length=2,
        choices=[("en", "English"), ("fr", "French"), ("km", "Khmer")],
        default="en",
        help_text="The language of the partners' names in the order of precedence and on the seating plan, and "
        "the alphabet they are sorted by (ICU collation): ASEM uses English; French and Khmer on request.",
    )
    precedence_start_letter = models.CharField(
        "drawn letter",
        max_length=1,
        blank=True,
        help_text="For “alphabetical from a drawn letter”: one capital letter A–Z; the alphabet starts there.",
    )

    class Meta:
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
            errors["parent"] = "A summit cannot belong to another event. Leave the parent empty."
        if self.parent_id and self.parent_id == self.pk:
            errors["parent"] = "An event cannot be its own parent."
        elif self.parent_id and self.parent is not None and self.parent.kind != self.Kind.SUMMIT:
            errors["parent"] = f"{self.parent} is a side event; choose a summit as the parent."
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
            "start_date": f"{count} session(s) of {self.acronym} would fall outside these dates (first: "
            f"“{example.title}” on {fmt(example.start)}). Move or cancel them first, or use “Postpone” on the "
            "event list, which moves the event with its programme, bilaterals, tasks and deadlines."
        }


class Venue(models.Model):
    class Kind(models.TextChoices):
        PALACE = "palace", "Palace / state venue"
        CONFERENCE = "conference", "Conference centre"
        HOTEL = "hotel", "Hotel"
        AIRPORT = "airport", "Airport"
        CULTURAL = "cultural", "Cultural venue"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Room(models.Model):
    class Kind(models.TextChoices):
        PLENARY = "plenary", "Plenary hall"
        MEETING = "meeting", "Meeting room"
        BILATERAL = "bilateral", "Bilateral room"
        DINING = "dining", "Dining / banquet"
        PRESS = "press", "Press centre"
        LOUNGE = "lounge", "VIP lounge"
        OUTDOOR = "outdoor", "Outdoor / stage"
        OTHER = "other", "Other"

    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MEETING)
    capacity = models.PositiveIntegerField(
        validators=[MinValueValidator(1, message="Capacity must be at least 1 seat.")]
    )
    opens_at = models.TimeField(null=True, blank=True, help_text="Local time; empty with 'closes at' = always open.")
    closes_at = models.TimeField(null=True, blank=True)
    zone = models.ForeignKey(
        "protocol.SecurityZone", on_delete=models.PROTECT, null=True, blank=True, related_name="rooms"
    )

    class Meta:
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
            errors[missing] = "Give both opening and closing time, or neither for a room that is always open."
        elif self.opens_at is not None and self.closes_at is not None and self.closes_at <= self.opens_at:
            errors["closes_at"] = (
                f"Closes at {self.closes_at:%H:%M}, not after it opens ({self.opens_at:%H:%M}). "
                "Rooms open and close on the same day."
            )
        if errors:
            raise ValidationError(errors)


class RoomOutage(models.Model):
    """A room out of service over `[start, end)` (a power cut, repairs, a security hold), with the reason.

    Not a fake session: the conflict engine flags every session, bilateral and task in the room then, the
    scheduler leaves the room out, and the relocation proposal finds new rooms (planning/domain/room_outages.py).
    Lifting an outage (`lifted_at`) keeps it on record. Overlapping active outages of a room are refused by
    `clean()`, re-checked under a lock on the room row by events/domain/outages.py (no exclusion constraint: an
    outage is rare, entered by staff, and the two room constraints stay the only ones on the booking path)."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="outages")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, help_text="Why, for the committee: e.g. power cut in the east wing.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True, help_text="Set when the room is back in service early.")

    class Meta:
        ordering = ["start", "room"]
        verbose_name = "room out of service"
        verbose_name_plural = "rooms out of service"
        indexes = [models.Index(fields=["room", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="roomoutage_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.room} out of service {fmt(self.start)} – {fmt(self.end)}"

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
                errors["start"] = (
                    f"{self.room} is already out of service from {fmt(other.start)} to {fmt(other.end)} "
                    f"({other.reason}). Change that period instead, or choose a period that does not overlap it."
                )
        if errors:
            raise ValidationError(errors)


class TransferTime(models.Model):
    """Minutes by motorcade from one venue to another, door to door, in normal summit traffic."""

    from_venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="transfers_out")
    to_venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="transfers_in")
    minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(0, message="Transfer time cannot be negative; enter minutes (0 or more).")]
    )

    class Meta:
        ordering = ["from_venue__name", "to_venue__name"]
        constraints = [
            models.UniqueConstraint(fields=["from_venue", "to_venue"], name="transfer_unique_pair"),
            models.CheckConstraint(condition=~Q(from_venue=F("to_venue")), name="transfer_between_two_venues"),
            models.CheckConstraint(condition=Q(minutes__gte=0), name="transfer_minutes_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.from_venue} → {self.to_venue}: {self.minutes} min"

    def clean(self) -> None:
        if self.from_venue_id and self.from_venue_id == self.to_venue_id:
            raise ValidationError({"to_venue": "Choose a different venue: a transfer goes between two venues."})


class Session(models.Model):
    """A programme item of an event, in one room over `[start, end)`."""

    class Kind(models.TextChoices):
        PLENARY = "plenary", "Plenary"
        RETREAT = "retreat", "Retreat"
        WORKING_LUNCH = "working_lunch", "Working lunch"
        GALA_DINNER = "gala_dinner", "Gala dinner"
        PRESS_CONFERENCE = "press_conference", "Press conference"
        FAMILY_PHOTO = "family_photo", "Family photo"
        CEREMONY = "ceremony", "Ceremony"
        MEETING = "meeting", "Meeting"
        PERFORMANCE = "performance", "Performance"
        OTHER = "other", "Other"

    class Audience(models.TextChoices):
        HEADS = "heads", "Heads of delegation"
        ALL_DELEGATES = "all_delegates", "All delegates"
        CATEGORY = "category", "One accreditation category"
        NAMED = "named", "Named people only"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MEETING)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="sessions")
    start = models.DateTimeField()
    end = models.DateTimeField()
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.NAMED)
    audience_category = models.CharField(
        max_length=20, choices=Category.choices, blank=True, help_text="Only when the audience is one category."
    )
    attendees = models.ManyToManyField(
        "delegations.Person",
        blank=True,
        related_name="sessions",
        help_text="Named people, in addition to the audience.",
    )
    expected_attendance = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    notes = models.TextField(blank=True)

    class Meta:
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
            errors["audience_category"] = "Choose the category that attends, or pick another audience."
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
                    errors["room"] = (
                        f"{room} is already booked for “{clash.title}” ({clash.event}) from "
                        f"{fmt(clash.start)} to {fmt(clash.end)}. "
                        "Choose another room or time; sessions may touch but not overlap."
                    )
        if errors:
            raise ValidationError(errors)


class Conflict(models.Model):
    """A clash found by the engine (events/domain/conflicts.py), kept while it lasts.

    The fingerprint identifies the clash (kind, resource, the commitments involved), so a re-check updates
    `last_seen` instead of adding a duplicate, and an acknowledgement survives re-checks. A clash that is
    no longer found is resolved automatically; if it comes back it reopens.
    """

    class Kind(models.TextChoices):
        ROOM_DOUBLE_BOOKED = "room_double_booked", "Room booked twice"
        PERSON_DOUBLE_BOOKED = "person_double_booked", "Person in two places"
        HEAD_DOUBLE_BOOKED = "head_double_booked", "Head of delegation double-booked"
        STAFF_DOUBLE_BOOKED = "staff_double_booked", "Staff member double-booked"
        TEAM_DOUBLE_BOOKED = "team_double_booked", "Team on two tasks at once"
        VEHICLE_DOUBLE_BOOKED = "vehicle_double_booked", "Vehicle on two tasks at once"
        TRANSFER_TOO_SHORT = "transfer_too_short", "Transfer too short"
        BEFORE_ARRIVAL = "before_arrival", "Expected before arrival"
        AFTER_DEPARTURE = "after_departure", "Expected after departure"
        OVER_CAPACITY = "over_capacity", "Over room capacity"
        OUTSIDE_EVENT_DATES = "outside_event_dates", "Outside the event's dates"
        OUTSIDE_OPENING_HOURS = "outside_opening_hours", "Outside opening hours"
        ROOM_OUT_OF_SERVICE = "room_out_of_service", "Room out of service"

    class Severity(models.TextChoices):
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    fingerprint = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True, related_name="conflicts")
    resource = models.CharField(max_length=60, help_text="room:12, person:40, team:3, vehicle:M01, …")
    resource_label = models.CharField(max_length=200)
    first = models.CharField(max_length=40, help_text="The first commitment: session:12, bilateral:3, task:7")
    second = models.CharField(max_length=40, blank=True)
    message = models.TextField()
    starts_at = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledge_reason = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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


class ConflictCheckRequest(models.Model):
    """A changed object waiting for the next batched conflict check (one row per object, however often
    it changed). The check task claims and deletes rows; the periodic full scan drains any left over."""

    key = models.CharField(max_length=60, unique=True, help_text="session:12, bilateral:3, person:40, …")
    requested_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
