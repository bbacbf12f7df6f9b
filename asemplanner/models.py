"""The audit trail: who changed what, when, from what to what."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # The one update allowed: deleting a user sets `actor` to NULL (actor_name keeps who it was).
        if set(kwargs) <= {"actor", "actor_id"} and all(value is None for value in kwargs.values()):
            return super().update(**kwargs)
        raise PermissionError("Audit entries are append-only.")

    def delete(self):
        raise PermissionError("Audit entries are append-only.")


class AuditEntry(models.Model):
    """One recorded write. Append-only: the application never updates or deletes an entry."""

    action = models.CharField(
        max_length=100,
        db_index=True,
        help_text=_("Dotted name, e.g. delegations.person.changed"),
        verbose_name=_("action"),
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(
        max_length=150,
        help_text=_("Username at the time, or the system part that wrote."),
        verbose_name=_("actor name"),
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("content type")
    )
    object_id = models.CharField(max_length=64, verbose_name=_("object id"))
    object_repr = models.CharField(max_length=200, verbose_name=_("object repr"))
    target = GenericForeignKey("content_type", "object_id")
    changes = models.JSONField(
        default=dict, blank=True, help_text=_("{field: [before, after]}"), verbose_name=_("changes")
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr} by {self.actor_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")


class Notification(models.Model):
    """A message in a staff member's inbox (shown in the admin); mailed too when they have an address."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    body = models.TextField(blank=True, verbose_name=_("body"))
    link = models.CharField(
        max_length=300, blank=True, help_text=_("Where to act on it (an admin URL)."), verbose_name=_("link")
    )
    topic = models.CharField(
        max_length=100, help_text=_("What it is about, e.g. conflict:<fingerprint>"), verbose_name=_("topic")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            # One notice per recipient per topic: a re-check that finds the same clash does not notify twice.
            models.UniqueConstraint(fields=["recipient", "topic"], name="notification_once_per_topic"),
        ]

    def __str__(self) -> str:
        return self.title


class UserSession(models.Model):
    """Which session keys belong to which user, filled at sign-in: 'sign out other sessions' and an admin's
    'sign out everywhere' end exactly these, without decoding every stored session."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="planner_sessions", verbose_name=_("user")
    )
    session_key = models.CharField(max_length=40, unique=True, verbose_name=_("session key"))
    started_at = models.DateTimeField(auto_now_add=True, verbose_name=_("started at"))

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"session of {self.user} since {self.started_at:%Y-%m-%d %H:%M}"


class UserPreference(models.Model):
    """What a user chose for themself: the interface's language (asemplanner.i18n)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference", verbose_name=_("user")
    )
    language = models.CharField(
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The interface's language for this user."),
        verbose_name=_("language"),
    )

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
