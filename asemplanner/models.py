"""The audit trail: who changed what, when, from what to what."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


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

    action = models.CharField(max_length=100, db_index=True, help_text="Dotted name, e.g. delegations.person.changed")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Username at the time, or the system part that wrote.")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    target = GenericForeignKey("content_type", "object_id")
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}")

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
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

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True, help_text="Where to act on it (an admin URL).")
    topic = models.CharField(max_length=100, help_text="What it is about, e.g. conflict:<fingerprint>")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="planner_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"session of {self.user} since {self.started_at:%Y-%m-%d %H:%M}"


class UserPreference(models.Model):
    """What a user chose for themself: the interface's language (asemplanner.i18n)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default="en", help_text="The interface's language for this user."
    )

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
