"""How delegations are received, kept safe and brought together."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least

from asemplanner.timeranges import fmt, range_errors, within_days_errors
from events.models import room_exclusion


class SecurityZone(models.Model):
    """An area with its own access rule; rooms belong to zones, accreditations grant zones."""

    code = models.CharField(
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9-]{1,10}$", "Use capitals, digits and dashes, e.g. Z1 or RED.")],
    )
    name = models.CharField(max_length=100)
    level = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 = public areas … 5 = leaders only.",
    )
    colour = models.CharField(
        max_length=7,
        default="#888888",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #c0392b.")],
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["level", "code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Team(models.Model):
    """A protocol, security or logistics team that carries out tasks (a reception party, a motorcade)."""

    class Kind(models.TextChoices):
        RECEPTION = "reception", "Airport reception"
        MOTORCADE = "motorcade", "Motorcade"
        SECURITY = "security", "Security"
        PROTOCOL = "protocol", "Protocol"
        INTERPRETATION = "interpretation", "Interpretation"
        LOGISTICS = "logistics", "Logistics / room setup"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="led_teams"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class BilateralMeeting(models.Model):
    """Two delegations meeting on the sidelines of an event: requested → accepted → scheduled → held."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.REQUESTED, Status.ACCEPTED, Status.SCHEDULED, Status.HELD)
    PLACED = (Status.SCHEDULED, Status.HELD)

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="bilaterals")
    requester = models.ForeignKey(
        "delegations.Delegation", on_delete=models.PROTECT, related_name="bilaterals_requested"
    )
    counterpart = models.ForeignKey(
        "delegations.Delegation", on_delete=models.PROTECT, related_name="bilaterals_invited"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    priority = models.PositiveSmallIntegerField(
        default=3,
        validators=[
            MinValueValidator(1, "Priority runs from 1 (low) to 5 (high)."),
            MaxValueValidator(5, "Priority runs from 1 (low) to 5 (high)."),
        ],
    )
    duration_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[
            MinValueValidator(15, "A bilateral lasts at least 15 minutes."),
            MaxValueValidator(180, "A bilateral lasts at most 180 minutes."),
        ],
    )
    subject = models.CharField(max_length=300, blank=True)
    room = models.ForeignKey("events.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="bilaterals")
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    protocol_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["event", "start", "-priority"]
        indexes = [models.Index(fields=["room", "start"]), models.Index(fields=["event", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(requester=F("counterpart")), name="bilateral_two_different_delegations"
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True) | Q(end__gt=F("start")),
                name="bilateral_end_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "held"])
                | Q(start__isnull=False, end__isnull=False, room__isnull=False),
                name="bilateral_scheduled_has_time_and_room",
            ),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=5), name="bilateral_priority_1_to_5"),
            models.UniqueConstraint(
                "event",
                Least("requester", "counterpart"),
                Greatest("requester", "counterpart"),
                condition=Q(status__in=["requested", "accepted", "scheduled", "held"]),
                name="bilateral_one_active_per_pair",
                violation_error_message="These two delegations already have an open bilateral at this event.",
            ),
            room_exclusion("bilateral_room_no_overlap", active=Q(status__in=["scheduled", "held"])),
        ]

    def __str__(self) -> str:
        return f"{self.requester.partner} – {self.counterpart.partner} ({self.event})"

    def clean(self) -> None:
        errors = range_errors(self.start, self.end)
        if self.requester_id and self.requester_id == self.counterpart_id:
            errors["counterpart"] = "A bilateral needs two different delegations."
        for field in ("requester", "counterpart"):
            delegation = getattr(self, field) if getattr(self, f"{field}_id") else None
            if delegation and self.event_id and delegation.event_id != self.event_id:
                errors[field] = f"{delegation} is not a delegation to {self.event}."
        if self.status in self.PLACED:
            for field in ("start", "end", "room"):
                if getattr(self, field if field != "room" else "room_id") is None:
                    errors.setdefault(field, "A scheduled bilateral needs a start, an end and a room.")
        if not errors and self.start and self.end:
            if self.event_id:
                errors |= within_days_errors(
                    self.start, self.end, first=self.event.start_date, last=self.event.end_date, what=str(self.event)
                )
            booked = int((self.end - self.start).total_seconds() // 60)
            if booked != self.duration_minutes:
                errors["end"] = (
                    f"Start to end is {booked} minutes but the requested duration is {self.duration_minutes}; "
                    "change one so they agree."
                )
        if not errors and self.room_id and self.start and self.end and self.status in self.PLACED:
            clash = (
                BilateralMeeting.objects.filter(
                    room_id=self.room_id, status__in=self.PLACED, start__lt=self.end, end__gt=self.start
                )
                .exclude(pk=self.pk)
                .select_related("requester__partner", "counterpart__partner")
                .first()
            )
            # The overlap filter only matches rows with a start and an end; the checks narrow the types.
            if clash is not None and clash.start is not None and clash.end is not None:
                errors["room"] = (
                    f"{self.room} is already booked for {clash} from {fmt(clash.start)} to {fmt(clash.end)}. "
                    "Choose another room or time."
                )
        if errors:
            raise ValidationError(errors)


class BilateralWindow(models.Model):
    """A window in which a requested bilateral would suit the requester."""

    meeting = models.ForeignKey(BilateralMeeting, on_delete=models.CASCADE, related_name="windows")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="bilateral_window_end_after_start")]

    def __str__(self) -> str:
        return f"{fmt(self.start)} – {fmt(self.end)}"

    def clean(self) -> None:
        errors = range_errors(self.start, self.end)
        if not errors and self.meeting_id:
            event = self.meeting.event
            errors = within_days_errors(
                self.start, self.end, first=event.start_date, last=event.end_date, what=str(event)
            )
        if errors:
            raise ValidationError(errors)


class ProtocolTask(models.Model):
    """Work for a team or person over `[start, end)`: a reception, a motorcade, flags, a security sweep."""

    class Kind(models.TextChoices):
        AIRPORT_RECEPTION = "airport_reception", "Airport reception"
        AIRPORT_FAREWELL = "airport_farewell", "Airport farewell"
        MOTORCADE = "motorcade", "Motorcade"
        FLAGS = "flags", "Flags"
        GIFTS = "gifts", "Gifts"
        INTERPRETATION = "interpretation", "Interpretation"
        SEATING = "seating", "Seating"
        SECURITY_SWEEP = "security_sweep", "Security sweep"
        ROOM_SETUP = "room_setup", "Room setup"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="protocol_tasks")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    start = models.DateTimeField()
    end = models.DateTimeField()
    venue = models.ForeignKey(
        "events.Venue", on_delete=models.PROTECT, related_name="tasks", help_text="Where it starts."
    )
    destination = models.ForeignKey(
        "events.Venue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks_arriving",
        help_text="For a motorcade: where it goes.",
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="protocol_tasks"
    )
    vehicle = models.CharField(max_length=40, blank=True, help_text="Call sign or plate of the vehicle, if any.")
    person = models.ForeignKey(
        "delegations.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="protocol_tasks",
        help_text="The principal served, if any.",
    )
    delegation = models.ForeignKey(
        "delegations.Delegation", on_delete=models.PROTECT, null=True, blank=True, related_name="protocol_tasks"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    source_key = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Set on tasks generated from travel data so re-generation updates instead of duplicating.",
    )
    notes = models.TextField(blank=True)
    generated = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="The values the task generator last wrote; a field that differs was edited by hand and is kept.",
    )

    class Meta:
        ordering = ["start", "kind"]
        indexes = [models.Index(fields=["event", "start"]), models.Index(fields=["team", "start"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="task_end_after_start")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = range_errors(self.start, self.end)
        if self.kind == self.Kind.MOTORCADE:
            if not self.destination_id:
                errors["destination"] = "A motorcade needs a destination venue."
            elif self.destination_id == self.venue_id:
                errors["destination"] = "A motorcade goes somewhere else: choose a destination other than its start."
        if (
            self.person_id
            and self.delegation_id
            and self.person is not None
            and self.person.delegation_id != self.delegation_id
        ):
            errors["person"] = f"{self.person} is not in {self.delegation}."
        if errors:
            raise ValidationError(errors)


class SchedulingRun(models.Model):
    """One automatic placement of an event's accepted bilaterals: queued, solved by a Celery worker, previewed
    by staff, then published (or left). `proposal` and `unplaced` hold the result until it is published."""

    class Kind(models.TextChoices):
        PLAN = "plan", "Plan the accepted requests"
        REPLAN = "replan", "Re-plan after a disruption (move as few as possible)"
        SHORT_NOTICE = "short_notice", "Place a short-notice request (published meetings stay)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        READY = "ready", "Ready to preview"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded"

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="scheduling_runs")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PLAN)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, while it runs.")
    message = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    only = models.JSONField(
        default=list,
        blank=True,
        help_text="The bilaterals (pks) this run places or may move; empty: all of the event's accepted (and, for a "
        "re-plan, scheduled) ones. The others stay where they are.",
    )
    allow_moves = models.BooleanField(
        default=True, help_text="Whether published meetings may move (a short-notice request places around them)."
    )
    proposal = models.JSONField(default=list, blank=True, help_text="[{meeting, room, start, end, moved}]")
    unplaced = models.JSONField(default=list, blank=True, help_text="[{meeting, reason}]")
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["event", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.event} · {self.get_status_display()}"
