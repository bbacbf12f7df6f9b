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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from asemplanner.choices import Category, Rank
from asemplanner.fields import EncryptedCharField, EncryptedDateField, PassportDigestField
from asemplanner.timeranges import local_day_bounds
from delegations.validators import flight_number_validator, name_errors, person_errors, travel_errors


class Partner(models.Model):
    """One of the 53 ASEM partners: a country or an institution (the EU, the ASEAN Secretariat)."""

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        INSTITUTION = "institution", _("Institution")

    class Region(models.TextChoices):
        EUROPE = "Europe", _("Europe")
        ASIA = "Asia", _("Asia")

    code = models.CharField(
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", _("Use 2–8 capital letters, e.g. KHM or ASEAN."))],
        help_text=_("ISO 3166 alpha-3 for countries, a short code for institutions."),
        verbose_name=_("code"),
    )
    name = models.CharField(
        max_length=100,
        unique=True,
        help_text=_("Name in English; sorts the order of precedence."),
        verbose_name=_("name"),
    )
    name_fr = models.CharField(
        _("name in French"), max_length=100, blank=True, help_text=_("For the order of precedence in French.")
    )
    name_km = models.CharField(
        _("name in Khmer"), max_length=100, blank=True, help_text=_("For the order of precedence in Khmer.")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COUNTRY, verbose_name=_("kind"))
    region = models.CharField(max_length=10, choices=Region.choices, verbose_name=_("region"))
    joined_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1996, _("ASEM began in 1996.")), MaxValueValidator(2100)],
        verbose_name=_("joined year"),
    )
    joined_at_summit = models.CharField(max_length=60, blank=True, verbose_name=_("joined at summit"))

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        """The partner's name in `language` (en, fr, km); the English name when that one is not on file."""
        return {"fr": self.name_fr, "km": self.name_km}.get(language, "") or self.name


class Delegation(models.Model):
    """A partner at one event, led by a head of delegation, kept current by its liaison officers."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="delegations", verbose_name=_("partner")
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, related_name="delegations", verbose_name=_("event")
    )
    head = models.ForeignKey(
        "Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Must be a member of this delegation."),
        verbose_name=_("head"),
    )
    quota = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1, _("A delegation needs a quota of at least 1 person."))],
        verbose_name=_("quota"),
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITED, verbose_name=_("status"))
    liaisons = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="liaison_delegations",
        help_text=_("Liaison officers."),
        verbose_name=_("liaisons"),
    )
    notes = models.TextField(blank=True, verbose_name=_("notes"))

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["event__start_date", "partner__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "event"],
                name="delegation_one_per_partner_per_event",
                violation_error_message=_("This partner already has a delegation at this event."),
            ),
            models.CheckConstraint(condition=Q(quota__gte=1), name="delegation_quota_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} @ {self.event}"

    def clean(self) -> None:
        if self.head_id and self.pk and self.head is not None and self.head.delegation_id != self.pk:
            raise ValidationError(
                {
                    "head": gettext(
                        "%(head)s belongs to %(delegation)s, not to this delegation. "
                        "Choose one of this delegation's members as head."
                    )
                    % {"head": self.head, "delegation": self.head.delegation}
                }
            )
        if self.head_id and not self.pk:
            raise ValidationError(
                {"head": gettext("Save the delegation and add its members first, then choose the head.")}
            )


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

    delegation = models.ForeignKey(
        Delegation, on_delete=models.PROTECT, related_name="members", verbose_name=_("delegation")
    )
    honorific = models.CharField(
        max_length=40, blank=True, help_text=_("e.g. H.E., Mr, Ms, Dr"), verbose_name=_("honorific")
    )
    given_name = models.CharField(max_length=100, verbose_name=_("given name"))
    family_name = models.CharField(max_length=100, verbose_name=_("family name"))
    # The passport's names above are Latin (ICAO 9303); this is the name as its bearer writes it, if another script.
    native_name = models.CharField(
        _("name in own script"),
        max_length=200,
        blank=True,
        help_text=_(
            "The full name as written in the person's own script (Khmer, Chinese, Japanese, Korean, Thai, "
            "Lao, Mongolian Cyrillic…), printed on the badge under the Latin name. Leave empty when the same."
        ),
    )
    function = models.CharField(
        max_length=150, help_text=_("e.g. Prime Minister, Ambassador, Press officer"), verbose_name=_("function")
    )
    rank = models.PositiveSmallIntegerField(choices=Rank.choices, default=Rank.OTHER, verbose_name=_("rank"))
    category = models.CharField(
        max_length=20, choices=Category.choices, default=Category.DELEGATE, verbose_name=_("category")
    )
    nationality = models.CharField(
        max_length=3,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use the three-letter ISO code in capitals, e.g. KHM."))],
        verbose_name=_("nationality"),
    )
    email = models.EmailField(blank=True, verbose_name=_("email"))
    phone = models.CharField(max_length=40, blank=True, verbose_name=_("phone"))
    languages = models.CharField(
        max_length=100, blank=True, help_text=_("Interpretation needs, e.g. 'fr, km'."), verbose_name=_("languages")
    )
    photo = models.ImageField(upload_to=photo_upload_to, blank=True, verbose_name=_("photo"))
    # Stored encrypted (asemplanner/fields.py); the digest lets staff find an exact number, nothing more.
    passport_number = EncryptedCharField(max_length=30, blank=True, verbose_name=_("passport number"))
    passport_digest = PassportDigestField(source="passport_number", verbose_name=_("passport digest"))
    passport_expiry = EncryptedDateField(null=True, blank=True, verbose_name=_("passport expiry"))
    date_of_birth = EncryptedDateField(null=True, blank=True, verbose_name=_("date of birth"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("person")
        ordering = ["delegation", "rank", "family_name", "given_name"]
        verbose_name_plural = _("people")
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
                errors["delegation"] = gettext(
                    "%(delegation)s already has %(members)s of its %(quota)s places. "
                    "Remove a member or ask the organisers to raise the quota."
                ) % {"delegation": self.delegation, "members": members, "quota": self.delegation.quota}
        if errors:
            raise ValidationError(errors)


class Travel(models.Model):
    """How a person arrives and leaves, and where they stay; on the day, where their flights are."""

    class ArrivalStatus(models.TextChoices):
        SCHEDULED = "scheduled", _("On schedule")
        DELAYED = "delayed", _("Delayed")
        LANDED = "landed", _("Landed")
        AT_HOTEL = "at_hotel", _("At hotel")

    class DepartureStatus(models.TextChoices):
        SCHEDULED = "scheduled", _("On schedule")
        DELAYED = "delayed", _("Delayed")
        DEPARTED = "departed", _("Departed")

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="travel", verbose_name=_("person"))
    arrival_flight = models.CharField(
        max_length=20, blank=True, validators=[flight_number_validator], verbose_name=_("arrival flight")
    )
    arrival_at = models.DateTimeField(null=True, blank=True, verbose_name=_("arrival at"))
    arrival_airport = models.ForeignKey(
        "events.Venue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "airport"},
        verbose_name=_("arrival airport"),
    )
    departure_flight = models.CharField(
        max_length=20, blank=True, validators=[flight_number_validator], verbose_name=_("departure flight")
    )
    departure_at = models.DateTimeField(null=True, blank=True, verbose_name=_("departure at"))
    departure_airport = models.ForeignKey(
        "events.Venue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "airport"},
        verbose_name=_("departure airport"),
    )
    hotel = models.ForeignKey(
        "events.Venue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="guests",
        limit_choices_to={"kind": "hotel"},
        verbose_name=_("hotel"),
    )
    arrival_status = models.CharField(
        max_length=12,
        choices=ArrivalStatus.choices,
        default=ArrivalStatus.SCHEDULED,
        help_text=_("On the day."),
        verbose_name=_("arrival status"),
    )
    departure_status = models.CharField(
        max_length=12,
        choices=DepartureStatus.choices,
        default=DepartureStatus.SCHEDULED,
        help_text=_("On the day."),
        verbose_name=_("departure status"),
    )
    status_updated_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("When a flight status was last marked."),
        verbose_name=_("status updated at"),
    )
    notes = models.TextField(blank=True, verbose_name=_("notes"))

    class Meta:
        verbose_name = _("travel")
        verbose_name_plural = _("travel")
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
        return gettext("Travel of %(person)s") % {"person": self.person}

    def clean(self) -> None:
        window = label = None
        if self.person_id:
            event = self.person.delegation.event
            window = travel_window(event)
            label = gettext("the travel window of %(event)s and its side events") % {"event": event}
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
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        PRINTED = "printed", _("Printed")
        COLLECTED = "collected", _("Collected")
        REVOKED = "revoked", _("Revoked")

    HAS_BADGE = (Status.APPROVED, Status.PRINTED, Status.COLLECTED)

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="accreditations", verbose_name=_("person")
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, related_name="accreditations", verbose_name=_("event")
    )
    category = models.CharField(max_length=20, choices=Category.choices, verbose_name=_("category"))
    zones = models.ManyToManyField(
        "protocol.SecurityZone", blank=True, related_name="accreditations", verbose_name=_("zones")
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED, verbose_name=_("status"))
    badge_number = models.CharField(max_length=20, null=True, blank=True, unique=True, verbose_name=_("badge number"))
    badge_version = models.PositiveSmallIntegerField(default=1, verbose_name=_("badge version"))
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("requested at"))
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    revoked_reason = models.CharField(max_length=200, blank=True, verbose_name=_("revoked reason"))

    class Meta:
        verbose_name = _("accreditation")
        verbose_name_plural = _("accreditations")
        ordering = ["event", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "event"],
                name="accreditation_one_per_person_per_event",
                violation_error_message=_("This person already has an accreditation for this event."),
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
                errors["event"] = gettext(
                    "%(person)s is in the delegation to %(home)s; accredit them to %(home)s "
                    "or to one of its side events."
                ) % {"person": self.person, "home": home}
        if self.pk and self.event_id and self.status in self.HAS_BADGE:
            stored = type(self).objects.filter(pk=self.pk).values_list("event_id", "status").first()
            if stored and stored[0] != self.event_id and stored[1] != self.Status.REQUESTED:
                errors["event"] = gettext(
                    "A badge has been issued for this accreditation's event; it cannot move to another event. "
                    "Revoke it and request an accreditation for the other event."
                )
        if self.status in self.HAS_BADGE and not self.badge_number:
            errors["badge_number"] = gettext(
                "An approved accreditation needs a badge number; approve it to assign one."
            )
        if self.status == self.Status.REVOKED and not self.revoked_reason:
            errors["revoked_reason"] = gettext("Say why the accreditation is revoked.")
        if errors:
            raise ValidationError(errors)


class LiaisonInvitation(models.Model):
    """A link that lets one person become a liaison officer of one delegation: used once, expires.

    Only a digest of the token is stored; the token itself travels in the invitation mail alone.
    """

    SENSITIVE_FIELDS = ("token_hash",)

    delegation = models.ForeignKey(
        Delegation, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("delegation")
    )
    email = models.EmailField(
        help_text=_("Where the invitation goes; it becomes the liaison's username."), verbose_name=_("email")
    )
    name = models.CharField(
        max_length=150, blank=True, help_text=_("Whom the mail greets, e.g. Ms Claire Dubois."), verbose_name=_("name")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("token hash"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    expires_at = models.DateTimeField(editable=False, verbose_name=_("expires at"))
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("accepted at"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("revoked at"))

    class Meta:
        verbose_name_plural = _("liaison invitations")
        ordering = ["-created_at"]
        verbose_name = _("liaison invitation")

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
        READY = "ready", _("Ready to import")
        IMPORTED = "imported", _("Imported")
        DISCARDED = "discarded", _("Discarded")

    delegation = models.ForeignKey(
        Delegation, on_delete=models.CASCADE, related_name="imports", verbose_name=_("delegation")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    file_name = models.CharField(max_length=200, verbose_name=_("file name"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.READY, verbose_name=_("status"))
    rows = models.JSONField(
        default=list, blank=True, help_text=_("The parsed rows, field → value."), verbose_name=_("rows")
    )
    n_rows = models.PositiveIntegerField(default=0, verbose_name=_("n rows"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    imported_at = models.DateTimeField(null=True, blank=True, verbose_name=_("imported at"))

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
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
        help_text=_("Leave empty for the rule that applies to every event without a rule of its own."),
        verbose_name=_("event"),
    )
    category = models.CharField(max_length=20, choices=Category.choices, verbose_name=_("category"))
    zones = models.ManyToManyField(
        "protocol.SecurityZone", blank=True, related_name="zone_rules", verbose_name=_("zones")
    )

    class Meta:
        verbose_name = _("zone rule")
        verbose_name_plural = _("zone rules")
        ordering = ["event", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "category"],
                name="zonerule_one_per_event_category",
                violation_error_message=_("This event already has a zone rule for this category; change that one."),
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(event__isnull=True),
                name="zonerule_one_global_per_category",
                violation_error_message=_("There is already a rule for all events for this category; change that one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.event or gettext('all events')}"
