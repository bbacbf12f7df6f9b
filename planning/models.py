"""What planning keeps of its own: the disruptions of the day (a principal's travel changed and the plan broke)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Disruption(models.Model):
    """A principal's arrival or departure moved: what it breaks, the proposed bilateral re-plan (a
    `SchedulingRun` solved in the background), and its publication. One open disruption per person: a further
    change of the same travel updates it (and starts a fresh re-plan)."""

    class Kind(models.TextChoices):
        LATE_ARRIVAL = "late_arrival", _("Late arrival")
        EARLY_ARRIVAL = "early_arrival", _("Early arrival")
        LATE_DEPARTURE = "late_departure", _("Late departure")
        EARLY_DEPARTURE = "early_departure", _("Early departure")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PUBLISHED = "published", _("Re-plan published")
        CLOSED = "closed", _("Closed")

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="disruptions", verbose_name=_("event")
    )
    person = models.ForeignKey(
        "delegations.Person", on_delete=models.CASCADE, related_name="disruptions", verbose_name=_("person")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    arrival_was = models.DateTimeField(null=True, blank=True, verbose_name=_("arrival was"))
    arrival_now = models.DateTimeField(null=True, blank=True, verbose_name=_("arrival now"))
    departure_was = models.DateTimeField(null=True, blank=True, verbose_name=_("departure was"))
    departure_now = models.DateTimeField(null=True, blank=True, verbose_name=_("departure now"))
    reported_by = models.CharField(
        max_length=150,
        blank=True,
        verbose_name=_("reported by"),
        help_text=_("Who changed the travel (user or source)."),
    )
    summary = models.CharField(max_length=300, blank=True, verbose_name=_("summary"))
    impact = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("impact"),
        help_text=_(
            "What it breaks: sessions missed, bilaterals outside the stay, transfers now too short, tasks moved."
        ),
    )
    run = models.ForeignKey(
        "protocol.SchedulingRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="disruptions",
        verbose_name=_("run"),
    )
    opened_at = models.DateTimeField(auto_now_add=True, verbose_name=_("opened at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        verbose_name = _("disruption")
        verbose_name_plural = _("disruptions")
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["event", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="open"),
                name="disruption_one_open_per_person",
                violation_error_message=_("This person already has an open disruption; update that one."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.person}"
