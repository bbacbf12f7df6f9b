"""What planning keeps of its own: the disruptions of the day (a principal's travel changed and the plan broke)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Disruption(models.Model):
    """A principal's arrival or departure moved: what it breaks, the proposed bilateral re-plan (a
    `SchedulingRun` solved in the background), and its publication. One open disruption per person: a further
    change of the same travel updates it (and starts a fresh re-plan)."""

    class Kind(models.TextChoices):
        LATE_ARRIVAL = "late_arrival", "Late arrival"
        EARLY_ARRIVAL = "early_arrival", "Early arrival"
        LATE_DEPARTURE = "late_departure", "Late departure"
        EARLY_DEPARTURE = "early_departure", "Early departure"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PUBLISHED = "published", "Re-plan published"
        CLOSED = "closed", "Closed"

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="disruptions")
    person = models.ForeignKey("delegations.Person", on_delete=models.CASCADE, related_name="disruptions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    arrival_was = models.DateTimeField(null=True, blank=True)
    arrival_now = models.DateTimeField(null=True, blank=True)
    departure_was = models.DateTimeField(null=True, blank=True)
    departure_now = models.DateTimeField(null=True, blank=True)
    reported_by = models.CharField(max_length=150, blank=True, help_text="Who changed the travel (user or source).")
    summary = models.CharField(max_length=300, blank=True)
    impact = models.JSONField(
        default=dict,
        blank=True,
        help_text="What it breaks: sessions missed, bilaterals outside the stay, transfers now too short, tasks moved.",
    )
    run = models.ForeignKey(
        "protocol.SchedulingRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="disruptions"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["event", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="open"),
                name="disruption_one_open_per_person",
                violation_error_message="This person already has an open disruption; update that one.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.person}"
