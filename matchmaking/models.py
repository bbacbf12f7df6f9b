"""The business forum's matchmaking: participants (companies, people), meeting tables, fixed slots, one-to-one
meeting requests between participants, the plan (draft, then published meetings) and the runs that make it.

A forum is an event (`events.Event`, e.g. the Asia-Europe Economic and Business Forum): everything here hangs on
its event. A participant may belong to a delegation, whose liaison officers manage it in the portal."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from asemplanner.i18n import local_date
from matchmaking.validators import slot_errors, validate_priority
from protocol.models import RunStatus


class ForumSlot(models.Model):
    """One fixed meeting slot of the forum (e.g. 10:00–10:30). Slots of an event never overlap."""

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="forum_slots", verbose_name=gettext_lazy("event")
    )
    start = models.DateTimeField(gettext_lazy("start"))
    end = models.DateTimeField(gettext_lazy("end"))

    class Meta:
        ordering = ["start"]
        verbose_name = gettext_lazy("forum slot")
        verbose_name_plural = gettext_lazy("forum slots")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="forumslot_end_after_start"),
            models.UniqueConstraint(
                fields=["event", "start"],
                name="forumslot_one_per_start",
                violation_error_message=gettext_lazy("The forum already has a slot starting then."),
            ),
        ]

    def __str__(self) -> str:
        start, end = timezone.localtime(self.start), timezone.localtime(self.end)
        return f"{local_date(start, 'D d M H:i')}–{local_date(end, 'H:i')}"

    def clean(self) -> None:
        if self.event_id is None:
            return
        errors = slot_errors(
            start=self.start, end=self.end, first_day=self.event.start_date, last_day=self.event.end_date
        )
        if errors:
            raise ValidationError(errors)
        clash = (
            ForumSlot.objects.filter(event_id=self.event_id, start__lt=self.end, end__gt=self.start)
            .exclude(pk=self.pk)
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {"start": gettext("This slot overlaps the slot %(other)s; slots of a forum may not overlap.")
                 % {"other": clash}}
            )  # fmt: skip


class MeetingTable(models.Model):
    """A table where two participants meet; optionally in a room of the venue."""

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="meeting_tables", verbose_name=gettext_lazy("event")
    )
    label = models.CharField(gettext_lazy("label"), max_length=60)
    room = models.ForeignKey(
        "events.Room",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_tables",
        verbose_name=gettext_lazy("room"),
    )
    active = models.BooleanField(gettext_lazy("in use"), default=True)

    class Meta:
        ordering = ["event", "label"]
        verbose_name = gettext_lazy("meeting table")
        verbose_name_plural = gettext_lazy("meeting tables")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "label"],
                name="meetingtable_unique_label",
                violation_error_message=gettext_lazy("The forum already has a table with this label."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.room})" if self.room_id else self.label


class Participant(models.Model):
    """A company or a person taking part in the forum's one-to-one meetings."""

    class Kind(models.TextChoices):
        COMPANY = "company", gettext_lazy("Company or organisation")
        PERSON = "person", gettext_lazy("Person")

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="participants", verbose_name=gettext_lazy("event")
    )
    delegation = models.ForeignKey(
        "delegations.Delegation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forum_participants",
        help_text=gettext_lazy(
            "The delegation whose liaison officers manage this participant: a delegation at the forum, or at the "
            "summit the forum belongs to."
        ),
        verbose_name=gettext_lazy("delegation"),
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    organisation = models.CharField(gettext_lazy("organisation"), max_length=200)
    name = models.CharField(
        gettext_lazy("representative"), max_length=200, blank=True, help_text=gettext_lazy("Who attends the meetings.")
    )
    sector = models.CharField(gettext_lazy("sector"), max_length=100, blank=True)
    profile = models.TextField(
        gettext_lazy("profile"), max_length=1000, blank=True, help_text=gettext_lazy("What you offer and look for.")
    )
    email = models.EmailField(gettext_lazy("contact email"), blank=True)
    active = models.BooleanField(gettext_lazy("active"), default=True)
    unavailable = models.ManyToManyField(
        ForumSlot,
        blank=True,
        related_name="unavailable_participants",
        help_text=gettext_lazy("The forum slots this participant cannot meet in."),
        verbose_name=gettext_lazy("unavailable in"),
    )

    class Meta:
        ordering = ["organisation", "name", "pk"]
        verbose_name = gettext_lazy("forum participant")
        verbose_name_plural = gettext_lazy("forum participants")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "organisation", "name"],
                name="participant_unique_per_forum",
                violation_error_message=gettext_lazy(
                    "This organisation and representative already take part in this forum."
                ),
            )
        ]
        indexes = [models.Index(fields=["event", "delegation"])]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.name})" if self.name else self.organisation

    def clean(self) -> None:
        if self.delegation is not None and self.event_id:
            event = self.event
            if self.delegation.event_id not in (event.pk, event.parent_id):
                raise ValidationError(
                    {"delegation": gettext("%(delegation)s is not at %(event)s or its summit; choose a delegation "
                                           "there, or none.") % {"delegation": self.delegation, "event": event}}
                )  # fmt: skip


class MeetingRequest(models.Model):
    """One participant asks to meet another. One request per ordered pair; both directions asked make the pair
    mutual, as does the other side accepting."""

    class Status(models.TextChoices):
        REQUESTED = "requested", gettext_lazy("Requested")
        ACCEPTED = "accepted", gettext_lazy("Accepted")
        DECLINED = "declined", gettext_lazy("Declined")
        WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="meeting_requests", verbose_name=gettext_lazy("event")
    )
    sender = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="sent_requests", verbose_name=gettext_lazy("from")
    )
    receiver = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="received_requests", verbose_name=gettext_lazy("to")
    )
    priority = models.PositiveSmallIntegerField(
        gettext_lazy("priority"),
        default=3,
        validators=[validate_priority],
        help_text=gettext_lazy("1 (nice to meet) to 5 (must meet)."),
    )
    message = models.TextField(gettext_lazy("message"), max_length=1000, blank=True)
    status = models.CharField(gettext_lazy("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    created_at = models.DateTimeField(gettext_lazy("sent at"), auto_now_add=True)
    answered_at = models.DateTimeField(gettext_lazy("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("meeting request")
        verbose_name_plural = gettext_lazy("meeting requests")
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "receiver"],
                name="meetingrequest_one_per_pair",
                violation_error_message=gettext_lazy("This participant has already asked to meet that one."),
            ),
            models.CheckConstraint(condition=~Q(sender=F("receiver")), name="meetingrequest_not_to_self"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=5), name="meetingrequest_priority_1_5"),
        ]
        indexes = [models.Index(fields=["event", "status"])]

    def __str__(self) -> str:
        return f"{self.sender} → {self.receiver}"

    def clean(self) -> None:
        errors = {}
        if self.sender_id and self.sender_id == self.receiver_id:
            errors["receiver"] = gettext("A participant cannot ask to meet itself; choose another participant.")
        elif self.sender_id and self.receiver_id and self.event_id:
            for field, who in (("sender", self.sender), ("receiver", self.receiver)):
                if who.event_id != self.event_id:
                    errors[field] = gettext("%(who)s takes part in another forum, not %(event)s.") % {
                        "who": who,
                        "event": self.event,
                    }
                elif not who.active:
                    errors[field] = gettext(
                        "%(who)s no longer takes part (inactive); choose an active participant."
                    ) % {"who": who}
        if errors:
            raise ValidationError(errors)


class ForumRun(models.Model):
    """One planning of the forum's requests: queued, solved by a Celery worker (task `matchmaking.plan_forum`),
    previewed as draft meetings, then published (or replaced by the next run)."""

    Status = RunStatus

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="forum_runs", verbose_name=gettext_lazy("event")
    )
    status = models.CharField(gettext_lazy("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    allow_one_sided = models.BooleanField(
        gettext_lazy("plan one-sided requests"),
        default=False,
        help_text=gettext_lazy("Also plan requests the other side has not accepted, at a lower weight."),
    )
    progress = models.PositiveSmallIntegerField(gettext_lazy("progress"), default=0)
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
    unplaced = models.JSONField(gettext_lazy("not placed"), default=list, blank=True, help_text="[{request, reason}]")
    figures = models.JSONField(gettext_lazy("figures"), default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = gettext_lazy("forum planning run")
        verbose_name_plural = gettext_lazy("forum planning runs")

    def __str__(self) -> str:
        return f"{self.event} · {self.get_status_display()}"


class ForumMeeting(models.Model):
    """One placed meeting: a request (the pair's), a table and a slot. Draft while a run is previewed, published
    once staff publish it; a re-run replaces the drafts, publishing replaces the published ones."""

    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Draft")
        PUBLISHED = "published", gettext_lazy("Published")

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="forum_meetings", verbose_name=gettext_lazy("event")
    )
    run = models.ForeignKey(
        ForumRun, on_delete=models.CASCADE, related_name="meetings", verbose_name=gettext_lazy("run")
    )
    request = models.ForeignKey(
        MeetingRequest, on_delete=models.CASCADE, related_name="meetings", verbose_name=gettext_lazy("request")
    )
    first = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("first")
    )
    second = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("second")
    )
    table = models.ForeignKey(
        MeetingTable, on_delete=models.CASCADE, related_name="meetings", verbose_name=gettext_lazy("table")
    )
    slot = models.ForeignKey(
        ForumSlot, on_delete=models.CASCADE, related_name="meetings", verbose_name=gettext_lazy("slot")
    )
    mutual = models.BooleanField(gettext_lazy("mutual"), default=True)
    status = models.CharField(gettext_lazy("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)

    class Meta:
        ordering = ["slot__start", "table__label"]
        verbose_name = gettext_lazy("forum meeting")
        verbose_name_plural = gettext_lazy("forum meetings")
        constraints = [
            models.UniqueConstraint(fields=["table", "slot", "status"], name="forummeeting_one_per_table_slot"),
            models.UniqueConstraint(fields=["request", "status"], name="forummeeting_one_per_request"),
        ]
        indexes = [models.Index(fields=["event", "status"])]

    def __str__(self) -> str:
        return f"{self.first} – {self.second} · {self.slot} · {self.table.label}"
