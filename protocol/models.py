"""How delegations are received, kept safe and brought together."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asemplanner.timeranges import fmt, range_errors, within_days_errors
from events.models import room_exclusion


class SecurityZone(models.Model):
    """An area with its own access rule; rooms belong to zones, accreditations grant zones."""

    code = models.CharField(
        gettext_lazy("code"),
        max_length=10,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z0-9-]{1,10}$", gettext_lazy("Use capitals, digits and dashes, e.g. Z1 or RED."))
        ],
    )
    name = models.CharField(gettext_lazy("name"), max_length=100)
    level = models.PositiveSmallIntegerField(
        gettext_lazy("level"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=gettext_lazy("1 = public areas … 5 = leaders only."),
    )
    colour = models.CharField(
        gettext_lazy("colour"),
        max_length=7,
        default="#888888",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", gettext_lazy("Use a hex colour such as #c0392b."))],
    )
    description = models.TextField(gettext_lazy("description"), blank=True)

    class Meta:
        ordering = ["level", "code"]
        verbose_name = gettext_lazy("security zone")
        verbose_name_plural = gettext_lazy("security zones")

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Team(models.Model):
    """A protocol, security or logistics team that carries out tasks (a reception party, a motorcade)."""

    class Kind(models.TextChoices):
        RECEPTION = "reception", gettext_lazy("Airport reception")
        MOTORCADE = "motorcade", gettext_lazy("Motorcade")
        SECURITY = "security", gettext_lazy("Security")
        PROTOCOL = "protocol", gettext_lazy("Protocol")
        INTERPRETATION = "interpretation", gettext_lazy("Interpretation")
        LOGISTICS = "logistics", gettext_lazy("Logistics / room setup")

    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    kind = models.CharField(gettext_lazy("kind"), max_length=20, choices=Kind.choices)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=gettext_lazy("lead"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=gettext_lazy("members")
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = gettext_lazy("team")
        verbose_name_plural = gettext_lazy("teams")

    def __str__(self) -> str:
        return self.name


class BilateralMeeting(models.Model):
    """Two delegations meeting on the sidelines of an event: requested → accepted → scheduled → held."""

    class Status(models.TextChoices):
        REQUESTED = "requested", gettext_lazy("Requested")
        ACCEPTED = "accepted", gettext_lazy("Accepted")
        DECLINED = "declined", gettext_lazy("Declined")
        SCHEDULED = "scheduled", gettext_lazy("Scheduled")
        HELD = "held", gettext_lazy("Held")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")

    ACTIVE = (Status.REQUESTED, Status.ACCEPTED, Status.SCHEDULED, Status.HELD)
    PLACED = (Status.SCHEDULED, Status.HELD)

    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, related_name="bilaterals", verbose_name=gettext_lazy("event")
    )
    requester = models.ForeignKey(
        "delegations.Delegation",
        on_delete=models.PROTECT,
        related_name="bilaterals_requested",
        verbose_name=gettext_lazy("requester"),
    )
    counterpart = models.ForeignKey(
        "delegations.Delegation",
        on_delete=models.PROTECT,
        related_name="bilaterals_invited",
        verbose_name=gettext_lazy("counterpart"),
    )
    status = models.CharField(gettext_lazy("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    priority = models.PositiveSmallIntegerField(
        gettext_lazy("priority"),
        default=3,
        validators=[
            MinValueValidator(1, gettext_lazy("Priority runs from 1 (low) to 5 (high).")),
            MaxValueValidator(5, gettext_lazy("Priority runs from 1 (low) to 5 (high).")),
        ],
    )
    duration_minutes = models.PositiveSmallIntegerField(
        gettext_lazy("duration minutes"),
        default=30,
        validators=[
            MinValueValidator(15, gettext_lazy("A bilateral lasts at least 15 minutes.")),
            MaxValueValidator(180, gettext_lazy("A bilateral lasts at most 180 minutes.")),
        ],
    )
    subject = models.CharField(gettext_lazy("subject"), max_length=300, blank=True)
    room = models.ForeignKey(
        "events.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bilaterals",
        verbose_name=gettext_lazy("room"),
    )
    start = models.DateTimeField(gettext_lazy("start"), null=True, blank=True)
    end = models.DateTimeField(gettext_lazy("end"), null=True, blank=True)
    protocol_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("protocol officer"),
    )
    requested_at = models.DateTimeField(gettext_lazy("requested at"), auto_now_add=True)
    notes = models.TextField(gettext_lazy("notes"), blank=True)

    class Meta:
        ordering = ["event", "start", "-priority"]
        verbose_name = gettext_lazy("bilateral meeting")
        verbose_name_plural = gettext_lazy("bilateral meetings")
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
                violation_error_message=gettext_lazy(
                    "These two delegations already have an open bilateral at this event."
                ),
            ),
            room_exclusion("bilateral_room_no_overlap", active=Q(status__in=["scheduled", "held"])),
        ]

    def __str__(self) -> str:
        return f"{self.requester.partner} – {self.counterpart.partner} ({self.event})"

    def clean(self) -> None:
        errors = range_errors(self.start, self.end)
        if self.requester_id and self.requester_id == self.counterpart_id:
            errors["counterpart"] = _("A bilateral needs two different delegations.")
        for field in ("requester", "counterpart"):
            delegation = getattr(self, field) if getattr(self, f"{field}_id") else None
            if delegation and self.event_id and delegation.event_id != self.event_id:
                errors[field] = _("%(delegation)s is not a delegation to %(event)s.") % {
                    "delegation": delegation,
                    "event": self.event,
                }
        if self.status in self.PLACED:
            for field in ("start", "end", "room"):
                if getattr(self, field if field != "room" else "room_id") is None:
                    errors.setdefault(field, _("A scheduled bilateral needs a start, an end and a room."))
        if not errors and self.start and self.end:
            if self.event_id:
                errors |= within_days_errors(
                    self.start, self.end, first=self.event.start_date, last=self.event.end_date, what=str(self.event)
                )
            booked = int((self.end - self.start).total_seconds() // 60)
            if booked != self.duration_minutes:
                errors["end"] = _(
                    "Start to end is %(booked)s minutes but the requested duration is %(duration)s; "
                    "change one so they agree."
                ) % {"booked": booked, "duration": self.duration_minutes}
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
                errors["room"] = _(
                    "%(room)s is already booked for %(clash)s from %(start)s to %(end)s. Choose another room or time."
                ) % {"room": self.room, "clash": clash, "start": fmt(clash.start), "end": fmt(clash.end)}
        if errors:
            raise ValidationError(errors)


class BilateralWindow(models.Model):
    """A window in which a requested bilateral would suit the requester."""

    meeting = models.ForeignKey(
        BilateralMeeting, on_delete=models.CASCADE, related_name="windows", verbose_name=gettext_lazy("meeting")
    )
    start = models.DateTimeField(gettext_lazy("start"))
    end = models.DateTimeField(gettext_lazy("end"))

    class Meta:
        ordering = ["start"]
        verbose_name = gettext_lazy("bilateral window")
        verbose_name_plural = gettext_lazy("bilateral windows")
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
        AIRPORT_RECEPTION = "airport_reception", gettext_lazy("Airport reception")
        AIRPORT_FAREWELL = "airport_farewell", gettext_lazy("Airport farewell")
        MOTORCADE = "motorcade", gettext_lazy("Motorcade")
        FLAGS = "flags", gettext_lazy("Flags")
        GIFTS = "gifts", gettext_lazy("Gifts")
        INTERPRETATION = "interpretation", gettext_lazy("Interpretation")
        SEATING = "seating", gettext_lazy("Seating")
        SECURITY_SWEEP = "security_sweep", gettext_lazy("Security sweep")
        ROOM_SETUP = "room_setup", gettext_lazy("Room setup")
        OTHER = "other", gettext_lazy("Other")

    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("Open")
        IN_PROGRESS = "in_progress", gettext_lazy("In progress")
        DONE = "done", gettext_lazy("Done")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")

    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, related_name="protocol_tasks", verbose_name=gettext_lazy("event")
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(gettext_lazy("title"), max_length=200)
    start = models.DateTimeField(gettext_lazy("start"))
    end = models.DateTimeField(gettext_lazy("end"))
    venue = models.ForeignKey(
        "events.Venue",
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=gettext_lazy("venue"),
        help_text=gettext_lazy("Where it starts."),
    )
    destination = models.ForeignKey(
        "events.Venue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks_arriving",
        verbose_name=gettext_lazy("destination"),
        help_text=gettext_lazy("For a motorcade: where it goes."),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks", verbose_name=gettext_lazy("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="protocol_tasks",
        verbose_name=gettext_lazy("assignee"),
    )
    vehicle = models.CharField(
        gettext_lazy("vehicle"),
        max_length=40,
        blank=True,
        help_text=gettext_lazy("Call sign or plate of the vehicle, if any."),
    )
    person = models.ForeignKey(
        "delegations.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="protocol_tasks",
        verbose_name=gettext_lazy("person"),
        help_text=gettext_lazy("The principal served, if any."),
    )
    delegation = models.ForeignKey(
        "delegations.Delegation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="protocol_tasks",
        verbose_name=gettext_lazy("delegation"),
    )
    status = models.CharField(gettext_lazy("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    source_key = models.CharField(
        gettext_lazy("source key"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=gettext_lazy(
            "Set on tasks generated from travel data so re-generation updates instead of duplicating."
        ),
    )
    notes = models.TextField(gettext_lazy("notes"), blank=True)
    generated = models.JSONField(
        gettext_lazy("generated"),
        default=dict,
        blank=True,
        editable=False,
        help_text=gettext_lazy(
            "The values the task generator last wrote; a field that differs was edited by hand and is kept."
        ),
    )

    class Meta:
        ordering = ["start", "kind"]
        verbose_name = gettext_lazy("protocol task")
        verbose_name_plural = gettext_lazy("protocol tasks")
        indexes = [models.Index(fields=["event", "start"]), models.Index(fields=["team", "start"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="task_end_after_start")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = range_errors(self.start, self.end)
        if self.kind == self.Kind.MOTORCADE:
            if not self.destination_id:
                errors["destination"] = _("A motorcade needs a destination venue.")
            elif self.destination_id == self.venue_id:
                errors["destination"] = _("A motorcade goes somewhere else: choose a destination other than its start.")
        if (
            self.person_id
            and self.delegation_id
            and self.person is not None
            and self.person.delegation_id != self.delegation_id
        ):
            errors["person"] = _("%(person)s is not in %(delegation)s.") % {
                "person": self.person,
                "delegation": self.delegation,
            }
        if errors:
            raise ValidationError(errors)


class RunStatus(models.TextChoices):
    """Where a solver run stands: bilateral scheduling runs here, the business forum's runs in matchmaking."""

    QUEUED = "queued", gettext_lazy("Queued")
    RUNNING = "running", gettext_lazy("Running")
    READY = "ready", gettext_lazy("Ready to preview")
    PUBLISHED = "published", gettext_lazy("Published")
    FAILED = "failed", gettext_lazy("Failed")
    SUPERSEDED = "superseded", gettext_lazy("Superseded")


class SchedulingRun(models.Model):
    """One automatic placement of an event's accepted bilaterals: queued, solved by a Celery worker, previewed
    by staff, then published (or left). `proposal` and `unplaced` hold the result until it is published."""

    class Kind(models.TextChoices):
        PLAN = "plan", gettext_lazy("Plan the accepted requests")
        REPLAN = "replan", gettext_lazy("Re-plan after a disruption (move as few as possible)")
        SHORT_NOTICE = "short_notice", gettext_lazy("Place a short-notice request (published meetings stay)")

    Status = RunStatus

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="scheduling_runs", verbose_name=gettext_lazy("event")
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=20, choices=Kind.choices, default=Kind.PLAN)
    status = models.CharField(gettext_lazy("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(
        gettext_lazy("progress"), default=0, help_text=gettext_lazy("Percent, while it runs.")
    )
    message = models.CharField(gettext_lazy("message"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("requested by"),
    )
    requested_at = models.DateTimeField(gettext_lazy("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(gettext_lazy("finished at"), null=True, blank=True)
    published_at = models.DateTimeField(gettext_lazy("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("published by"),
    )
    only = models.JSONField(
        gettext_lazy("only"),
        default=list,
        blank=True,
        help_text=gettext_lazy(
            "The bilaterals (pks) this run places or may move; empty: all of the event's accepted (and, for a "
            "re-plan, scheduled) ones. The others stay where they are."
        ),
    )
    allow_moves = models.BooleanField(
        gettext_lazy("allow moves"),
        default=True,
        help_text=gettext_lazy("Whether published meetings may move (a short-notice request places around them)."),
    )
    proposal = models.JSONField(
        gettext_lazy("proposal"), default=list, blank=True, help_text="[{meeting, room, start, end, moved}]"
    )
    unplaced = models.JSONField(gettext_lazy("unplaced"), default=list, blank=True, help_text="[{meeting, reason}]")
    figures = models.JSONField(gettext_lazy("figures"), default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = gettext_lazy("scheduling run")
        verbose_name_plural = gettext_lazy("scheduling runs")
        indexes = [models.Index(fields=["event", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.event} · {self.get_status_display()}"
