"""Deadlines per event, reminder rules staff edit, and the reminders the rules materialise into."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from asemplanner.roles import STAFF_ROLES
from asemplanner.timeranges import fmt
from reminders.validators import deadline_errors, rule_errors


class Deadline(models.Model):
    """By when something is due for one event: liaisons' data, or the accreditation office's approvals."""

    class Kind(models.TextChoices):
        MEMBERS = "members", "Member list"
        PHOTOS = "photos", "Photos"
        PASSPORTS = "passports", "Passport data"
        TRAVEL = "travel", "Travel (flights)"
        HOTEL = "hotel", "Hotel"
        ACCREDITATIONS = "accreditations", "Accreditations approved"

    LIAISON_KINDS = (Kind.MEMBERS, Kind.PHOTOS, Kind.PASSPORTS, Kind.TRAVEL, Kind.HOTEL)

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField(help_text="Local time (Phnom Penh).")

    class Meta:
        ordering = ["event", "due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "kind"],
                name="deadline_one_per_kind_per_event",
                violation_error_message="This event already has a deadline of this kind; change that one.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.get_kind_display()} by {fmt(self.due_at)}"

    def clean(self) -> None:
        errors = deadline_errors(self)
        if errors:
            raise ValidationError(errors)


class ReminderRule(models.Model):
    """What to remind, when (an offset from a deadline or a start), to whom, through what."""

    class What(models.TextChoices):
        DEADLINE_MEMBERS = "deadline_members", "Liaison deadline: member list"
        DEADLINE_PHOTOS = "deadline_photos", "Liaison deadline: photos"
        DEADLINE_PASSPORTS = "deadline_passports", "Liaison deadline: passport data"
        DEADLINE_TRAVEL = "deadline_travel", "Liaison deadline: travel"
        DEADLINE_HOTEL = "deadline_hotel", "Liaison deadline: hotel"
        DEADLINE_ACCREDITATIONS = "deadline_accreditations", "Accreditations waiting for approval"
        PROTOCOL_TASK = "protocol_task", "Protocol task (start)"
        BILATERAL = "bilateral", "Bilateral meeting (start)"
        SESSION = "session", "Programme session (start)"

    ROLE_CHOICES = [(role, role.capitalize()) for role in STAFF_ROLES]

    name = models.CharField(max_length=120, unique=True)
    what = models.CharField(max_length=30, choices=What.choices)
    event = models.ForeignKey(
        "events.Event",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminder_rules",
        help_text="Leave empty to apply the rule to every event.",
    )
    offset_minutes = models.IntegerField(
        help_text="Minutes from the deadline or start: negative before it, positive after it."
    )
    to_role = models.CharField(
        max_length=20, choices=ROLE_CHOICES, blank=True, help_text="Every active staff member with this role."
    )
    to_assignee = models.BooleanField(
        default=False, help_text="The task's assignee, or the bilateral's protocol officer."
    )
    to_liaisons = models.BooleanField(default=False, help_text="The liaison officers of the delegation(s) concerned.")
    by_email = models.BooleanField(default=True)
    in_inbox = models.BooleanField(default=True, help_text="The admin inbox for staff; the liaison page for liaisons.")
    subject_template = models.CharField(max_length=200)
    body_template = models.TextField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["what", "offset_minutes", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = rule_errors(self)
        if errors:
            raise ValidationError(errors)


class Reminder(models.Model):
    """One message to one person about one subject, due at one time; sent at most once.

    `key` names it: rule, subject, recipient (and for change notices, the move). The due time is not part
    of the key on purpose: when the subject moves, the pending row moves with it instead of a second row
    being made beside it, and a row already sent stays sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued for sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not needed"
        FAILED = "failed", "Failed"

    class Purpose(models.TextChoices):
        REMINDER = "reminder", "Reminder"
        CHANGE_NOTICE = "change_notice", "Change notice"

    OPEN = (Status.PENDING, Status.QUEUED)

    key = models.CharField(max_length=200, unique=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.REMINDER)
    rule = models.ForeignKey(ReminderRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="reminders")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="reminders")
    subject_kind = models.CharField(max_length=20, help_text="delegation, event, session, task or bilateral")
    subject_id = models.PositiveBigIntegerField()
    about = models.CharField(max_length=300, blank=True, help_text="What the subject is, as people know it.")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    anchor_at = models.DateTimeField(help_text="The deadline or start the reminder is about.")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False, help_text="Sent well after it fell due (workers were down).")
    cancellation_noticed = models.BooleanField(
        default=False, help_text="Sent, then its subject was cancelled and the recipient told so."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True, help_text="After a mail failure: not before this time.")
    last_error = models.TextField(blank=True)
    title = models.CharField(max_length=300, blank=True, help_text="As sent.")
    body = models.TextField(blank=True, help_text="As sent (or the change notice to send).")

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="reminder_sweep"),
            models.Index(fields=["subject_kind", "subject_id"], name="reminder_subject"),
            models.Index(fields=["recipient", "status"], name="reminder_recipient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="reminder_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_purpose_display()} {self.key}"
