"""Who comes: partners, their delegations at each event, people, travel and accreditations."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from asemplanner.choices import Category, Rank
from asemplanner.fields import EncryptedCharField, EncryptedDateField, PassportDigestField
from asemplanner.timeranges import local_day_bounds
from delegations.validators import flight_number_validator, name_errors, person_errors, travel_errors


class Partner(models.Model):
    """One of the 53 ASEM partners: a country or an institution (the EU, the ASEAN Secretariat)."""

    class Kind(models.TextChoices):
        COUNTRY = "country", "Country"
        INSTITUTION = "institution", "Institution"

    class Region(models.TextChoices):
        EUROPE = "Europe", "Europe"
        ASIA = "Asia", "Asia"

    code = models.CharField(
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", "Use 2–8 capital letters, e.g. KHM or ASEAN.")],
        help_text="ISO 3166 alpha-3 for countries, a short code for institutions.",
    )
    name = models.CharField(max_length=100, unique=True, help_text="Name in English; sorts the order of precedence.")
    name_fr = models.CharField(
        "name in French", max_length=100, blank=True, help_text="For the order of precedence in French."
    )
    name_km = models.CharField(
        "name in Khmer", max_length=100, blank=True, help_text="For the order of precedence in Khmer."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COUNTRY)
    region = models.CharField(max_length=10, choices=Region.choices)
    joined_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1996, "ASEM began in 1996."), MaxValueValidator(2100)]
    )
    joined_at_summit = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        """The partner's name in `language` (en, fr, km); the English name when that one is not on file."""
        return {"fr": self.name_fr, "km": self.name_km}.get(language, "") or self.name


class Delegation(models.Model):
    """A partner at one event, led by a head of delegation, kept current by its liaison officers."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="delegations")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="delegations")
    head = models.ForeignKey(
        "Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Must be a member of this delegation.",
    )
    quota = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1, "A delegation needs a quota of at least 1 person.")]
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITED)
    liaisons = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="liaison_delegations", help_text="Liaison officers."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["event__start_date", "partner__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "event"],
                name="delegation_one_per_partner_per_event",
                violation_error_message="This partner already has a delegation at this event.",
            ),
            models.CheckConstraint(condition=Q(quota__gte=1), name="delegation_quota_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} @ {self.event}"

    def clean(self) -> None:
        if self.head_id and self.pk and self.head is not None and self.head.delegation_id != self.pk:
            raise ValidationError(
                {
                    "head": f"{self.head} belongs to {self.head.delegation}, not to this delegation. "
                    "Choose one of this delegation's members as head."
                }
            )
        if self.head_id and not self.pk:
            raise ValidationError({"head": "Save the delegation and add its members first, then choose the head."})


def photo_upload_to(instance: Person, filename: str) -> str:
    """Server-made file names: nothing of the uploaded name (or the person's) reaches the disk."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in {".jpg", ".jpeg", ".png"}:
        suffix = ".jpg"
    return f"photos/{uuid.uuid4().hex}{suffix}"


class Person(models.Model):
    """A member of a delegation. Passport data and date of birth are sensitive (see SENSITIVE_FIELDS)."""

    SENSITIVE_FIELDS = ("passport_number", "passport_expiry", "date_of_birth")
    # Its value is a keyed digest of the number: no use to anyone reading the trail, so kept out of it.
    AUDIT_EXCLUDED = ("passport_digest",)

    delegation = models.ForeignKey(Delegation, on_delete=models.PROTECT, related_name="members")
    honorific = models.CharField(max_length=40, blank=True, help_text="e.g. H.E., Mr, Ms, Dr")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    # The passport's names above are Latin (ICAO 9303); this is the name as its bearer writes it, if another script.
    native_name = models.CharField(
        "name in own script",
        max_length=200,
        blank=True,
        help_text="The full name as written in the person's own script (Khmer, Chinese, Japanese, Korean, Thai, "
        "Lao, Mongolian Cyrillic…), printed on the badge under the Latin name. Leave empty when the same.",
    )
    function = models.CharField(max_length=150, help_text="e.g. Prime Minister, Ambassador, Press officer")
    rank = models.PositiveSmallIntegerField(choices=Rank.choices, default=Rank.OTHER)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.DELEGATE)
    nationality = models.CharField(
        max_length=3,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use the three-letter ISO code in capitals, e.g. KHM.")],
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    languages = models.CharField(max_length=100, blank=True, help_text="Interpretation needs, e.g. 'fr, km'.")
    photo = models.ImageField(upload_to=photo_upload_to, blank=True)
    # Stored encrypted (asemplanner/fields.py); the digest lets staff find an exact number, nothing more.
    passport_number = EncryptedCharField(max_length=30, blank=True)
    passport_digest = PassportDigestField(source="passport_number")
    passport_expiry = EncryptedDateField(null=True, blank=True)
    date_of_birth = EncryptedDateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["delegation", "rank", "family_name", "given_name"]
        verbose_name_plural = "people"
        permissions = [("view_sensitive_person", "Can see and edit passport data and date of birth")]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        return " ".join(part for part in (self.honorific, self.given_name, self.family_name) if part)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def clean(self) -> None:
        event = self.delegation.event if self.delegation_id else None
        errors = person_errors(
            passport_expiry=self.passport_expiry,
            date_of_birth=self.date_of_birth,
            event_end=event.end_date if event else None,
            event=str(event or ""),
        )
        errors.update(name_errors(given_name=self.given_name, family_name=self.family_name))
        joining = self.delegation_id and (
            self.pk is None or not Person.objects.filter(pk=self.pk, delegation_id=self.delegation_id).exists()
        )
        if joining:  # a new member, or one moved here from another delegation
            members = self.delegation.members.exclude(pk=self.pk).count()
            if members >= self.delegation.quota:
                errors["delegation"] = (
                    f"{self.delegation} already has {members} of its {self.delegation.quota} places. "
                    "Remove a member or ask the organisers to raise the quota."
                )
        if errors:
            raise ValidationError(errors)


class Travel(models.Model):
    """How a person arrives and leaves, and where they stay; on the day, where their flights are."""

    class ArrivalStatus(models.TextChoices):
        SCHEDULED = "scheduled", "On schedule"
        DELAYED = "delayed", "Delayed"
        LANDED = "landed", "Landed"
        AT_HOTEL = "at_hotel", "At hotel"

    class DepartureStatus(models.TextChoices):
        SCHEDULED = "scheduled", "On schedule"
        DELAYED = "delayed", "Delayed"
        DEPARTED = "departed", "Departed"

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="travel")
    arrival_flight = models.CharField(max_length=20, blank=True, validators=[flight_number_validator])
    arrival_at = models.DateTimeField(null=True, blank=True)
    arrival_airport = models.ForeignKey(
        "events.Venue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "airport"},
    )
    departure_flight = models.CharField(max_length=20, blank=True, validators=[flight_number_validator])
    departure_at = models.DateTimeField(null=True, blank=True)
    departure_airport = models.ForeignKey(
        "events.Venue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "airport"},
    )
    hotel = models.ForeignKey(
        "events.Venue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="guests",
        limit_choices_to={"kind": "hotel"},
    )
    arrival_status = models.CharField(
        max_length=12, choices=ArrivalStatus.choices, default=ArrivalStatus.SCHEDULED, help_text="On the day."
    )
    departure_status = models.CharField(
        max_length=12, choices=DepartureStatus.choices, default=DepartureStatus.SCHEDULED, help_text="On the day."
    )
    status_updated_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a flight status was last marked."
    )
    notes = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "travel"
        ordering = ["arrival_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(arrival_at__isnull=True)
                | Q(departure_at__isnull=True)
                | Q(departure_at__gt=F("arrival_at")),
                name="travel_departure_after_arrival",
            )
        ]

    def __str__(self) -> str:
        return f"Travel of {self.person}"

    def clean(self) -> None:
        window = label = None
        if self.person_id:
            event = self.person.delegation.event
            window, label = travel_window(event), f"the travel window of {event} and its side events"
        errors = travel_errors(
            arrival_at=self.arrival_at, departure_at=self.departure_at, window=window, window_label=label or ""
        )
        if errors:
            raise ValidationError(errors)


def travel_window(event) -> tuple[dt.datetime, dt.datetime]:
    """From PLANNER_TRAVEL_WINDOW_DAYS before the first day of the event (and its side events) to as many
    days after the last: delegations come early for side events and bilaterals, and leave late."""
    first, last = event.days_with_side_events()
    days = dt.timedelta(days=settings.PLANNER_TRAVEL_WINDOW_DAYS)
    return local_day_bounds(first - days, last + days)


class Accreditation(models.Model):
    """A person's admission to one event; an approved accreditation carries a badge number and version."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        PRINTED = "printed", "Printed"
        COLLECTED = "collected", "Collected"
        REVOKED = "revoked", "Revoked"

    HAS_BADGE = (Status.APPROVED, Status.PRINTED, Status.COLLECTED)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="accreditations")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="accreditations")
    category = models.CharField(max_length=20, choices=Category.choices)
    zones = models.ManyToManyField("protocol.SecurityZone", blank=True, related_name="accreditations")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    badge_number = models.CharField(max_length=20, null=True, blank=True, unique=True)
    badge_version = models.PositiveSmallIntegerField(default=1)
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["event", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "event"],
                name="accreditation_one_per_person_per_event",
                violation_error_message="This person already has an accreditation for this event.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "printed", "collected"]) | Q(badge_number__isnull=False),
                name="accreditation_badge_number_when_approved",
            ),
            models.CheckConstraint(condition=Q(badge_version__gte=1), name="accreditation_badge_version_positive"),
        ]
        indexes = [models.Index(fields=["event", "status"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.event}"

    def clean(self) -> None:
        errors = {}
        if self.person_id and self.event_id:
            home = self.person.delegation.event
            if self.event_id != home.pk and self.event.parent_id != home.pk:
                errors["event"] = (
                    f"{self.person} is in the delegation to {home}; accredit them to {home} "
                    "or to one of its side events."
                )
        if self.pk and self.event_id and self.status in self.HAS_BADGE:
            stored = type(self).objects.filter(pk=self.pk).values_list("event_id", "status").first()
            if stored and stored[0] != self.event_id and stored[1] != self.Status.REQUESTED:
                errors["event"] = (
                    "A badge has been issued for this accreditation's event; it cannot move to another event. "
                    "Revoke it and request an accreditation for the other event."
                )
        if self.status in self.HAS_BADGE and not self.badge_number:
            errors["badge_number"] = "An approved accreditation needs a badge number; approve it to assign one."
        if self.status == self.Status.REVOKED and not self.revoked_reason:
            errors["revoked_reason"] = "Say why the accreditation is revoked."
        if errors:
            raise ValidationError(errors)


class LiaisonInvitation(models.Model):
    """A link that lets one person become a liaison officer of one delegation: used once, expires.

    Only a digest of the token is stored; the token itself travels in the invitation mail alone.
    """

    SENSITIVE_FIELDS = ("token_hash",)

    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(help_text="Where the invitation goes; it becomes the liaison's username.")
    name = models.CharField(max_length=150, blank=True, help_text="Whom the mail greets, e.g. Ms Claire Dubois.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "liaison invitation"

    def __str__(self) -> str:
        return f"{self.email} → {self.delegation}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class MemberImport(models.Model):
    """A delegation list uploaded by a liaison that passed every check, waiting for their confirmation.

    A file with errors is never stored: the upload page lists them and nothing is kept. The parsed rows wait
    here between the preview and the confirmation; they may hold passport data, so they stay out of the
    audit trail (each imported person has an entry of their own) and are emptied once imported or discarded.
    """

    AUDIT_EXCLUDED = ("rows",)

    class Status(models.TextChoices):
        READY = "ready", "Ready to import"
        IMPORTED = "imported", "Imported"
        DISCARDED = "discarded", "Discarded"

    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.READY)
    rows = models.JSONField(default=list, blank=True, help_text="The parsed rows, field → value.")
    n_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.delegation})"


class ZoneRule(models.Model):
    """Which security zones a badge category opens: for one event, or for every event (no event).

    Approving an accreditation that has no zones chosen by hand grants the zones of its event's rule for its
    category, or else of the rule for all events (see `accreditation_zones_default`)."""

    event = models.ForeignKey(
        "events.Event",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="zone_rules",
        help_text="Leave empty for the rule that applies to every event without a rule of its own.",
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    zones = models.ManyToManyField("protocol.SecurityZone", blank=True, related_name="zone_rules")

    class Meta:
        ordering = ["event", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "category"],
                name="zonerule_one_per_event_category",
                violation_error_message="This event already has a zone rule for this category; change that one.",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(event__isnull=True),
                name="zonerule_one_global_per_category",
                violation_error_message="There is already a rule for all events for this category; change that one.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.event or 'all events'}"
