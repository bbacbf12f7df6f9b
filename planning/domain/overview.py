"""What the admin index shows first: the events, their numbers, and what needs staff attention."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from asemplanner.models import Notification
from delegations.models import Accreditation, Delegation, Person
from events.models import Conflict, Event, Session
from planning.models import Disruption
from protocol.models import BilateralMeeting, ProtocolTask


def _count(queryset, field: str = "event"):
    """A correlated COUNT per event, so several counts do not multiply each other's joins."""
    counted = queryset.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def event_overview() -> list[Event]:
    """All events, the summit first then its side events by date, with their headline numbers (one query)."""
    return list(
        Event.objects.select_related("parent")
        .annotate(
            n_delegations=_count(Delegation.objects.all()),
            n_sessions=_count(Session.objects.exclude(status=Session.Status.CANCELLED)),
            n_bilaterals_open=_count(BilateralMeeting.objects.filter(status__in=["requested", "accepted"])),
            n_bilaterals_scheduled=_count(BilateralMeeting.objects.filter(status="scheduled")),
            n_badges=_count(Accreditation.objects.filter(status__in=Accreditation.HAS_BADGE)),
        )
        .order_by(F("parent").asc(nulls_first=True), "start_date", "acronym")
    )


@dataclass(frozen=True)
class AttentionItem:
    label: str
    count: int
    url: str


def attention_items(user) -> list[AttentionItem]:
    """Open work, limited to what this user's role may see; only items with something to do."""
    checks = [
        (
            "asemplanner.view_notification",
            _("Unread notices in your inbox"),
            Notification.objects.filter(recipient=user, read_at__isnull=True)
            if user.pk
            else Notification.objects.none(),
            "admin:asemplanner_notification_changelist",
            "read_at__isempty=1",
        ),
        (
            "events.view_conflict",
            _("Open clashes (errors)"),
            Conflict.objects.filter(status=Conflict.Status.OPEN, severity=Conflict.Severity.ERROR),
            "admin:events_conflict_changelist",
            "status__exact=open&severity__exact=error",
        ),
        (
            "events.view_conflict",
            _("Open clashes (warnings)"),
            Conflict.objects.filter(status=Conflict.Status.OPEN, severity=Conflict.Severity.WARNING),
            "admin:events_conflict_changelist",
            "status__exact=open&severity__exact=warning",
        ),
        (
            "delegations.view_accreditation",
            _("Accreditations waiting for approval"),
            Accreditation.objects.filter(status=Accreditation.Status.REQUESTED),
            "admin:delegations_accreditation_changelist",
            "status__exact=requested",
        ),
        (
            "delegations.view_delegation",
            _("Delegations without a head of delegation"),
            Delegation.objects.filter(head__isnull=True).exclude(status=Delegation.Status.DECLINED),
            "admin:delegations_delegation_changelist",
            "head__isnull=True",
        ),
        (
            "delegations.view_person",
            _("People without a badge photo"),
            Person.objects.filter(photo=""),
            "admin:delegations_person_changelist",
            "photo__exact=",
        ),
        (
            "delegations.view_sensitive_person",
            _("People without passport data"),
            Person.objects.filter(passport_number=""),
            "admin:delegations_person_changelist",
            "passport_number__exact=",
        ),
        (
            "events.view_session",
            _("Sessions expecting more people than the room holds"),
            Session.objects.exclude(status=Session.Status.CANCELLED).filter(
                expected_attendance__gt=F("room__capacity")
            ),
            "admin:events_session_changelist",
            "capacity=over",
        ),
        (
            "protocol.view_bilateralmeeting",
            _("Bilateral requests waiting for an answer"),
            BilateralMeeting.objects.filter(status=BilateralMeeting.Status.REQUESTED),
            "admin:protocol_bilateralmeeting_changelist",
            "status__exact=requested",
        ),
        (
            "protocol.view_bilateralmeeting",
            _("Accepted bilaterals not yet scheduled"),
            BilateralMeeting.objects.filter(status=BilateralMeeting.Status.ACCEPTED),
            "admin:protocol_bilateralmeeting_changelist",
            "status__exact=accepted",
        ),
        (
            "planning.view_disruption",
            _("Open disruptions (a principal's arrival or departure moved)"),
            Disruption.objects.filter(status=Disruption.Status.OPEN),
            "admin:disruptions",
            "",
        ),
        (
            "protocol.view_protocoltask",
            _("Open protocol tasks with no team or assignee"),
            ProtocolTask.objects.filter(status=ProtocolTask.Status.OPEN, team__isnull=True, assignee__isnull=True),
            "admin:protocol_protocoltask_changelist",
            "status__exact=open&team__isnull=True&assignee__isnull=True",
        ),
    ]
    items = []
    # One COUNT per item the role may see: a fixed number of queries, whatever the data size.
    for perm, label, queryset, url_name, query in checks:
        if not user.has_perm(perm):
            continue
        count = queryset.count()
        if count:
            url = reverse(url_name)
            items.append(AttentionItem(label=label, count=count, url=f"{url}?{query}" if query else url))
    return items
