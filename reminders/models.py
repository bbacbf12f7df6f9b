"""Deadlines per event, reminder rules staff edit, and the reminders the rules materialise into."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from asemplanner.roles import STAFF_ROLES
from asemplanner.timeranges import fmt
from reminders.validators import deadline_errors, rule_errors


class Deadline(models.Model):
    """By when something is due for one event: liaisons' data, or the accreditation office's approvals."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("Member list")
        PHOTOS = "photos", _("Photos")
        PASSPORTS = "passports", _("Passport data")
        TRAVEL = "travel", _("Travel (flights)")
        HOTEL = "hotel", _("Hotel")
        ACCREDITATIONS = "accreditations", _("Accreditations approved")

    LIAISON_KINDS = (Kind.MEMBERS, Kind.PHOTOS, Kind.PASSPORTS, Kind.TRAVEL, Kind.HOTEL)

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("event")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    due_at = models.DateTimeField(help_text=_("Local time (Phnom Penh)."), verbose_name=_("due at"))

    class Meta:
        ordering = ["event", "due_at"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "kind"],
                name="deadline_one_per_kind_per_event",
                violation_error_message=_("This event already has a deadline of this kind; change that one."),
            )
        ]

    def __str__(self) -> str:
        return _("%(event)s · %(kind)s by %(due)s") % {
            "event": self.event,
            "kind": self.get_kind_display(),
            "due": fmt(self.due_at),
        }

    def clean(self) -> None:
        errors = deadline_errors(self)
        if errors:
            raise ValidationError(errors)


class ReminderRule(models.Model):
    """What to remind, when (an offset from a deadline or a start), to whom, through what."""

    class What(models.TextChoices):
        DEADLINE_MEMBERS = "deadline_members", _("Liaison deadline: member list")
        DEADLINE_PHOTOS = "deadline_photos", _("Liaison deadline: photos")
        DEADLINE_PASSPORTS = "deadline_passports", _("Liaison deadline: passport data")
        DEADLINE_TRAVEL = "deadline_travel", _("Liaison deadline: travel")
        DEADLINE_HOTEL = "deadline_hotel", _("Liaison deadline: hotel")
        DEADLINE_ACCREDITATIONS = "deadline_accreditations", _("Accreditations waiting for approval")
        PROTOCOL_TASK = "protocol_task", _("Protocol task (start)")
        BILATERAL = "bilateral", _("Bilateral meeting (start)")
        SESSION = "session", _("Programme session (start)")

    ROLE_CHOICES = [(role, role.capitalize()) for role in STAFF_ROLES]

    name = models.CharField(max_length=120, unique=True, verbose_name=_("name"))
    what = models.CharField(max_length=30, choices=What.choices, verbose_name=_("what"))
    event = models.ForeignKey(
        "events.Event",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminder_rules",
        help_text=_("Leave empty to apply the rule to every event."),
        verbose_name=_("event"),
    )
    offset_minutes = models.IntegerField(
        help_text=_("Minutes from the deadline or start: negative before it, positive after it."),
        verbose_name=_("offset minutes"),
    )
    to_role = models.CharField(
        max_length=20,
        choices=ROLE_CHOICES,
        blank=True,
        help_text=_("Every active staff member with this role."),
        verbose_name=_("to role"),
    )
    to_assignee = models.BooleanField(
        default=False,
        help_text=_("The task's assignee, or the bilateral's protocol officer."),
        verbose_name=_("to assignee"),
    )
    to_liaisons = models.BooleanField(
        default=False,
        help_text=_("The liaison officers of the delegation(s) concerned."),
        verbose_name=_("to liaisons"),
    )
    by_email = models.BooleanField(default=True, verbose_name=_("by email"))
    in_inbox = models.BooleanField(
        default=True,
        help_text=_("The admin inbox for staff; the liaison page for liaisons."),
        verbose_name=_("in inbox"),
    )
    subject_template = models.CharField(max_length=200, verbose_name=_("subject template"))
    body_template = models.TextField(verbose_name=_("body template"))
    active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        ordering = ["what", "offset_minutes", "name"]
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")

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
        PENDING = "pending", _("Pending")
        QUEUED = "queued", _("Queued for sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not needed")
        FAILED = "failed", _("Failed")

    class Purpose(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        CHANGE_NOTICE = "change_notice", _("Change notice")

    OPEN = (Status.PENDING, Status.QUEUED)

    key = models.CharField(max_length=200, unique=True, verbose_name=_("key"))
    purpose = models.CharField(
        max_length=20, choices=Purpose.choices, default=Purpose.REMINDER, verbose_name=_("purpose")
    )
    rule = models.ForeignKey(
        ReminderRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="reminders", verbose_name=_("rule")
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="reminders", verbose_name=_("event")
    )
    subject_kind = models.CharField(
        max_length=20, help_text=_("delegation, event, session, task or bilateral"), verbose_name=_("subject kind")
    )
    subject_id = models.PositiveBigIntegerField(verbose_name=_("subject id"))
    about = models.CharField(
        max_length=300, blank=True, help_text=_("What the subject is, as people know it."), verbose_name=_("about")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("recipient")
    )
    anchor_at = models.DateTimeField(
        help_text=_("The deadline or start the reminder is about."), verbose_name=_("anchor at")
    )
    due_at = models.DateTimeField(verbose_name=_("due at"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    late = models.BooleanField(
        default=False, help_text=_("Sent well after it fell due (workers were down)."), verbose_name=_("late")
    )
    cancellation_noticed = models.BooleanField(
        default=False,
        help_text=_("Sent, then its subject was cancelled and the recipient told so."),
        verbose_name=_("cancellation noticed"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    retry_at = models.DateTimeField(
        null=True, blank=True, help_text=_("After a mail failure: not before this time."), verbose_name=_("retry at")
    )
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    title = models.CharField(max_length=300, blank=True, help_text=_("As sent."), verbose_name=_("title"))
    body = models.TextField(blank=True, help_text=_("As sent (or the change notice to send)."), verbose_name=_("body"))

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
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
