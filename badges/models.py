"""Print stations' and checkpoints' device tokens, the badge change feed, the print and scan logs, idempotency."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class DeviceToken(models.Model):
    """A print station's (or checkpoint's) credential: one event, some scopes, an expiry. Only its hash is kept."""

    class Scope(models.TextChoices):
        READ = "badges:read", gettext_lazy("Read badges (list, detail, photo, PDF, feed, verify)")
        PRINT = "badges:print", gettext_lazy("Report prints and reprint")
        CHECKPOINT = "checkpoint:scan", gettext_lazy("Verify badges at a checkpoint")

    name = models.CharField(
        gettext_lazy("name"),
        max_length=100,
        unique=True,
        help_text=gettext_lazy("The station, e.g. 'Sokha accreditation desk 2'."),
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="device_tokens", verbose_name=gettext_lazy("event")
    )
    scopes = models.JSONField(
        gettext_lazy("scopes"),
        default=list,
        help_text=gettext_lazy("Any of badges:read, badges:print, checkpoint:scan."),
    )
    zone = models.ForeignKey(
        "protocol.SecurityZone",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checkpoint_tokens",
        verbose_name=gettext_lazy("zone"),
        help_text=gettext_lazy(
            "The zone whose entrance this checkpoint guards: required with checkpoint:scan, and only then."
        ),
    )
    prefix = models.CharField(
        gettext_lazy("prefix"),
        max_length=12,
        unique=True,
        editable=False,
        help_text=gettext_lazy("Shown to tell tokens apart."),
    )
    token_hash = models.CharField(gettext_lazy("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=gettext_lazy("created by"),
    )
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(gettext_lazy("expires at"))
    last_used_at = models.DateTimeField(gettext_lazy("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(gettext_lazy("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["event", "name"]
        verbose_name = gettext_lazy("device token")
        verbose_name_plural = gettext_lazy("device tokens")
        # Who may make (and revoke) which kind of token; asemplanner.roles grants them by role.
        permissions = [
            ("issue_print_token", "Can make and revoke print-station tokens (badges:read, badges:print)"),
            ("issue_checkpoint_token", "Can make and revoke checkpoint tokens (checkpoint:scan)"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    # DRF's IsAuthenticated asks the authenticated "user"; a valid token is one.
    is_authenticated = True
    # The audit trail shows that the hash changed, never the hash itself.
    SENSITIVE_FIELDS = ("token_hash",)


class FeedCounter(models.Model):
    """One row: the last change-feed sequence number handed out. Writers lock it, so numbers follow commits."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed at {self.value}"


class BadgeState(models.Model):
    """Where a badge stands in the change feed: the sequence number of its latest change.

    It outlives its accreditation (no database constraint, nothing cascades): a deleted badge must still reach
    the stations, as a tombstone with its number."""

    accreditation = models.OneToOneField(
        "delegations.Accreditation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="feed_state",
    )
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField(unique=True)
    badge_number = models.CharField(max_length=20, blank=True)

    class Meta:
        indexes = [models.Index(fields=["event", "seq"], name="badge_feed")]

    def __str__(self) -> str:
        return f"badge {self.accreditation_id} at {self.seq}"


class PrintRecord(models.Model):
    """A station says it printed a badge version."""

    accreditation = models.ForeignKey(
        "delegations.Accreditation",
        on_delete=models.CASCADE,
        related_name="prints",
        verbose_name=gettext_lazy("accreditation"),
    )
    version = models.PositiveSmallIntegerField(gettext_lazy("version"))
    station = models.ForeignKey(
        DeviceToken, on_delete=models.PROTECT, related_name="prints", verbose_name=gettext_lazy("station")
    )
    printed_at = models.DateTimeField(
        gettext_lazy("printed at"), help_text=gettext_lazy("When the station printed it (its clock).")
    )
    received_at = models.DateTimeField(gettext_lazy("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = gettext_lazy("print record")
        verbose_name_plural = gettext_lazy("print records")

    def __str__(self) -> str:
        return f"{self.accreditation} v{self.version} printed by {self.station}"


class IdempotencyRecord(models.Model):
    """The response to a POST with an Idempotency-Key, replayed when the same key comes again."""

    token = models.ForeignKey(DeviceToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="Method, path and body of the first request.")
    status_code = models.PositiveSmallIntegerField(null=True, help_text="Empty while the first request runs.")
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_once_per_token")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'running'})"


class ScanLog(models.Model):
    """One badge scanned at a checkpoint and what the gate was told. Never the QR text: only a short hash of it,
    enough to see the same forged card come back."""

    class Result(models.TextChoices):
        ALLOWED = "allowed", gettext_lazy("Allowed")
        DENIED = "denied", gettext_lazy("Denied")

    class Reason(models.TextChoices):
        REVOKED = "revoked", gettext_lazy("Badge revoked")
        SUPERSEDED = "superseded", gettext_lazy("Old badge version (a newer one was printed)")
        WRONG_ZONE = "wrong_zone", gettext_lazy("Badge does not open this zone")
        WRONG_EVENT = "wrong_event", gettext_lazy("Badge of another event")
        FORGED = "forged", gettext_lazy("Signature does not match (forged or altered)")
        UNKNOWN = "unknown", gettext_lazy("No such badge")
        MALFORMED = "malformed", gettext_lazy("Not a badge QR (empty, too long or unreadable)")

    id = models.BigAutoField(primary_key=True)
    token = models.ForeignKey(
        DeviceToken, on_delete=models.PROTECT, related_name="scans", verbose_name=gettext_lazy("token")
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("event")
    )
    zone = models.ForeignKey(
        "protocol.SecurityZone", on_delete=models.PROTECT, related_name="scans", verbose_name=gettext_lazy("zone")
    )
    badge_number = models.CharField(gettext_lazy("badge number"), max_length=20, null=True, blank=True)
    accreditation = models.ForeignKey(
        "delegations.Accreditation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scans",
        verbose_name=gettext_lazy("accreditation"),
    )
    result = models.CharField(gettext_lazy("result"), max_length=10, choices=Result.choices)
    reason = models.CharField(gettext_lazy("reason"), max_length=20, choices=Reason.choices, blank=True)
    payload_hash = models.CharField(
        gettext_lazy("payload hash"),
        max_length=16,
        help_text=gettext_lazy("The first 16 hex digits of the QR text's SHA-256."),
    )
    scanned_at = models.DateTimeField(gettext_lazy("scanned at"), default=timezone.now)

    class Meta:
        ordering = ["-scanned_at", "-id"]
        verbose_name = gettext_lazy("scan log")
        verbose_name_plural = gettext_lazy("scan logs")
        indexes = [
            models.Index(fields=["zone", "scanned_at"], name="scan_zone_time"),
            models.Index(fields=["event", "scanned_at"], name="scan_event_time"),
        ]

    def __str__(self) -> str:
        return f"{self.badge_number or 'no badge'} at {self.zone_id}: {self.result}"
